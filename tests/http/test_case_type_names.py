"""One name per case type: the audit trail names each event's case type as the URLs,
the warnings and the ledger's case map do (`problem`, not the aggregate's class name
`ProjectProblem`; views.audit_trail v2, issue 13)."""

from __future__ import annotations

import pytest

from domain.registry import ALL_CASE_TYPES
from tests.http.support import API, clerk, enterprise, supervisor
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.http


def trail_case_types(client, case_id: str, position: int) -> set[str]:
    r = client.get(
        "/api/v1/audit-trail",
        params={"case_id": case_id},
        headers={**supervisor(), "X-Min-Position": str(position)},
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items
    return {item["case_type"] for item in items}


def test_the_audit_trail_names_case_types_as_the_urls_do(client):
    code = credit_code()
    project = {
        "name": "年产十万套汽车零部件项目",
        "investor": {"name": "哈尔滨某某汽车零部件有限公司", "credit_code": code},
        "city": "哈尔滨市",
        "investment_cny": 1_250_000_000,
        "sector": "汽车制造",
    }
    r = client.post("/api/v1/projects", json=project, headers=clerk())
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = client.post(
        f"/api/v1/projects/{pid}/problems",
        json={"category": "land", "description": "用地手续未办结"},
        headers=clerk(),
    )
    assert r.status_code == 201, r.text
    problem = r.json()
    r = client.post(API, json=lodge_body(code), headers=enterprise(code))
    assert r.status_code == 201, r.text
    complaint = r.json()
    last = max(problem["position"], complaint["position"])

    assert trail_case_types(client, problem["id"], last) == {"problem"}
    assert trail_case_types(client, pid, last) == {"project"}
    assert trail_case_types(client, complaint["id"], last) == {"complaint"}
    # The names the URLs use: /api/v1/problems/{id}, and the warnings' case_type.
    assert {"problem", "project", "complaint"} <= {t.name for t in ALL_CASE_TYPES}
