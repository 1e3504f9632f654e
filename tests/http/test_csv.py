"""Every list answers `Accept: text/csv` (UTF-8 with a BOM) with the same items."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import bearer
from tests.support import credit_code, lodge_body

SUPERVISOR = bearer("supervisor", "sup-1")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/complaints",
        "/api/v1/audit-trail",
        "/api/v1/projects",
        "/api/v1/commitments",
        "/api/v1/credit-repairs",
        "/api/v1/warnings",
    ],
)
def test_a_list_as_csv_has_the_json_items(client, path):
    code = credit_code()
    lodged = client.post(
        "/api/v1/complaints",
        json=lodge_body(code, title='含,逗号与"引号"的标题'),
        headers=bearer("enterprise", "e", code),
    ).json()
    # The enterprise sees only its own case in the complaints list; others see all.
    who = bearer("enterprise", "e", code) if path == "/api/v1/complaints" else SUPERVISOR
    headers = {**who, "X-Min-Position": str(lodged["position"])}
    as_json = client.get(path + "?limit=5", headers=headers)
    assert as_json.status_code == 200, as_json.text
    items = as_json.json()["items"]
    as_csv = client.get(path + "?limit=5", headers={**headers, "Accept": "text/csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert len(rows) == len(items)
    if path == "/api/v1/complaints":
        assert rows[0]["title"] == '含,逗号与"引号"的标题'
        assert rows[0]["id"] == items[0]["id"]
        assert rows[0]["complainant.credit_code"] == code


def test_errors_stay_problem_json_when_csv_is_asked(client):
    r = client.get("/api/v1/complaints?limit=0", headers={**SUPERVISOR, "Accept": "text/csv"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
