"""Text a client sends (issue 10, defect 1): no NUL and no other C0 control character
(tab, line feed and carriage return are text), and no text that is only whitespace.

Each refusal is a 422 problem naming the field, and nothing is stored: every body here
carries a unique marker in another field, and the event store must hold no event with
that marker afterwards (the same body without the bad character is stored, so the
marker check can see a stored case).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import psycopg
import pytest

from domain.commands import Body
from domain.commitment_commands import EpidemicEnded
from domain.project_commands import RaiseProblemIn
from domain.registry import ALL_CASE_TYPES
from tests.conftest import bearer
from tests.http.support import (
    API,
    check_case_response,
    check_problem,
    clerk,
    enterprise,
    lodge,
    snapshot,
    supervisor,
)
from tests.support import credit_code, lodge_body

PROJECTS = "/api/v1/projects"
COMMITMENTS = "/api/v1/commitments"
CREDIT_REPAIRS = "/api/v1/credit-repairs"
STATISTICS = "/api/v1/service-statistics"


def stored_events_with(database_url: str, marker: str) -> int:
    """How many stored events carry `marker` (as msgspec encodes it: plain UTF-8)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM oversight_events WHERE position(%s::bytea IN state) > 0",
            (marker.encode(),),
        ).fetchone()
    assert row is not None
    return row[0]


# --- bodies of each create, with the marker in a field the tests leave alone -----------


def complaint(code: str, marker: str) -> dict[str, Any]:
    return lodge_body(code, description=f"施工许可申请超时 {marker}")


def project(code: str, marker: str) -> dict[str, Any]:
    return {
        "name": "年产十万套汽车零部件项目",
        "investor": {"name": "哈尔滨某某汽车零部件有限公司", "credit_code": code},
        "city": "哈尔滨市",
        "investment_cny": 1_250_000_000,
        "sector": f"汽车制造 {marker}",
    }


def commitment(code: str, marker: str) -> dict[str, Any]:
    return {
        "matter": "建筑工程施工许可",
        "enterprise": {"name": "黑龙江某某建设有限公司", "credit_code": code},
        "statement": f"本企业承诺所缺材料于承诺期限内补齐 {marker}",
        "materials": ["消防设计审查意见", "施工图审查合格书"],
        "due": {"date": "2024-10-08"},
    }


def credit_repair(code: str, marker: str) -> dict[str, Any]:
    return {
        "enterprise": {"name": "黑龙江某某食品有限公司", "credit_code": code},
        "record_id": "哈市监罚〔2024〕0127号",
        "penalty_authority": "哈尔滨市市场监督管理局",
        "severity": "general",
        "proof": f"已缴清罚款并完成整改 {marker}",
        "pledge_signed": True,
    }


def statistics(code: str, marker: str) -> dict[str, Any]:
    return {
        "period_start": "2020-01-01",
        "period_end": "2020-03-31",
        "online": 120,
        "offline": 80,
        "note": f"一季度 {marker}",
    }


CREATES: dict[str, tuple[str, Callable[[str, str], dict[str, Any]], Callable[[str], Any]]] = {
    "complaint": (API, complaint, lambda code: enterprise(code)),
    "project": (PROJECTS, project, lambda code: clerk()),
    "commitment": (COMMITMENTS, commitment, lambda code: enterprise(code)),
    "credit_repair": (CREDIT_REPAIRS, credit_repair, lambda code: enterprise(code)),
    "statistics": (STATISTICS, statistics, lambda code: supervisor()),
}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a field given by its dotted path ("complainant.name", "materials.1")."""

    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


BAD_TEXT: list[Any] = [
    # (case type, field changed, its value, the field the problem names)
    pytest.param("complaint", "title", "a\u0000b", "title", id="complaint title NUL"),
    pytest.param(
        "complaint",
        "complainant.name",
        "a\u0000b",
        "complainant.name",
        id="complainant name NUL",
    ),
    pytest.param("complaint", "category", "\u001b[31m", "category", id="complaint category ESC"),
    pytest.param("complaint", "title", "bell\u0007", "title", id="complaint title BEL"),
    pytest.param("project", "name", "a\u0000b", "name", id="project name NUL"),
    pytest.param("project", "investor.name", "a\u0000b", "investor.name", id="investor name NUL"),
    pytest.param("commitment", "matter", "a\u0000b", "matter", id="commitment matter NUL"),
    pytest.param(
        "commitment", "enterprise.name", "a\u0000b", "enterprise.name", id="commitment ent NUL"
    ),
    pytest.param("commitment", "materials.1", "x\u0000", "materials", id="material NUL"),
    pytest.param(
        "credit_repair",
        "enterprise.name",
        "a\u0000b",
        "enterprise.name",
        id="credit-repair enterprise name NUL",
    ),
    pytest.param(
        "credit_repair", "record_id", "\u001f", "record_id", id="credit-repair record id US"
    ),
    pytest.param("statistics", "note", "a\u0000b", "note", id="statistics note NUL"),
]

BLANK_TEXT: list[Any] = [
    pytest.param("complaint", "title", "   ", "title", id="complaint title spaces"),
    pytest.param(
        "complaint", "complainant.name", "\u3000\t", "complainant.name", id="complainant blank"
    ),
    pytest.param("complaint", "category", "\r\n", "category", id="complaint category CRLF"),
    pytest.param("project", "name", "\n", "name", id="project name LF"),
    pytest.param("commitment", "matter", " ", "matter", id="commitment matter space"),
    pytest.param("commitment", "materials.0", "  ", "materials", id="material blank"),
    pytest.param(
        "credit_repair",
        "penalty_authority",
        "\u3000",
        "penalty_authority",
        id="credit-repair authority ideographic space",
    ),
    # An optional text, when given, follows the same rule (as `""` already did).
    pytest.param("statistics", "note", "  ", "note", id="optional note blank"),
]


def _refused(client, database_url, kind: str, path: str, value: Any, field: str) -> str:
    """Post the body with `path` set to `value`: a 422 naming `field`, nothing stored.
    Returns the rule the problem gives."""
    url, make_body, headers = CREATES[kind]
    code, marker = credit_code(), uuid.uuid4().hex
    body = make_body(code, marker)
    _set(path, value)(body)
    r = client.post(url, json=body, headers=headers(code))
    problem = check_problem(r, 422, field)
    assert problem["detail"].startswith(f"{field}: "), problem
    assert stored_events_with(database_url, marker) == 0
    return problem["errors"][0]["rule"]


@pytest.mark.parametrize(("kind", "path", "value", "field"), BAD_TEXT)
def test_control_characters_are_refused(client, database_url, kind, path, value, field):
    rule = _refused(client, database_url, kind, path, value, field)
    assert "control character" in rule, rule
    bad = next(c for c in value if ord(c) < 0x20)
    assert f"U+{ord(bad):04X}" in rule, rule  # says which character


@pytest.mark.parametrize(("kind", "path", "value", "field"), BLANK_TEXT)
def test_blank_text_is_refused(client, database_url, kind, path, value, field):
    rule = _refused(client, database_url, kind, path, value, field)
    assert "whitespace" in rule, rule


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_every_create_stores_its_marker(client, database_url, kind):
    """The control for the checks above: a good body of each kind is stored with it."""
    url, make_body, headers = CREATES[kind]
    code, marker = credit_code(), uuid.uuid4().hex
    r = client.post(url, json=make_body(code, marker), headers=headers(code))
    assert r.status_code == 201, r.text
    assert stored_events_with(database_url, marker) == 1


def test_tab_line_feed_and_carriage_return_are_text(client, database_url):
    code, marker = credit_code(), uuid.uuid4().hex
    description = f"第一行\r\n\t第二行\n{marker}"
    r = client.post(API, json=lodge_body(code, description=description), headers=enterprise(code))
    case = check_case_response(r, code=201, status="lodged")
    got = client.get(f"{API}/{case['id']}", headers=enterprise(code))
    assert got.status_code == 200, got.text
    assert got.json()["description"] == description
    assert stored_events_with(database_url, marker) == 1


MOVE_TEXT: list[Any] = [
    pytest.param("reject", {"reason": "a\u0000b"}, "reason", id="reject reason NUL"),
    pytest.param("reject", {"reason": " \t "}, "reason", id="reject reason blank"),
    pytest.param("accept", {"note": "\u0008"}, "note", id="accept note BS"),
    pytest.param("accept", {"note": "\u3000"}, "note", id="accept note blank"),
]


@pytest.mark.parametrize(("name", "body", "field"), MOVE_TEXT)
def test_moves_refuse_bad_text(client, name, body, field):
    case = lodge(client)
    before = snapshot(client, case["id"])
    r = client.post(f"{API}/{case['id']}/{name}", json=body, headers=clerk())
    check_problem(r, 422, field)
    assert snapshot(client, case["id"]) == before


def test_project_move_refuses_nul(client):
    r = client.post(PROJECTS, json=project(credit_code(), "m"), headers=clerk())
    pid = r.json()["id"]
    r = client.post(
        f"{PROJECTS}/{pid}/assign-leader", json={"leader": "王\u0000某"}, headers=supervisor()
    )
    check_problem(r, 422, "leader")
    got = client.get(f"{PROJECTS}/{pid}", headers=supervisor())
    assert got.status_code == 200, got.text
    assert got.json()["version"] == 1


def test_credit_repair_refusal_reason_blank(client):
    code = credit_code()
    r = client.post(CREDIT_REPAIRS, json=credit_repair(code, "m"), headers=enterprise(code))
    rid = r.json()["id"]
    r = client.post(
        f"{CREDIT_REPAIRS}/{rid}/initial-review",
        json={"passed": False, "reason": "\u3000 "},
        headers=bearer("clerk", "clerk-9"),
    )
    check_problem(r, 422, "reason")
    got = client.get(f"{CREDIT_REPAIRS}/{rid}", headers=bearer("clerk", "clerk-9"))
    assert got.json()["version"] == 1


def _bodies() -> set[type]:
    """Every body the API decodes (each case type's create and moves, the bodies with
    their own endpoints) and every struct nested in one."""
    found: set[type] = set()
    todo: list[Any] = [t.create_body for t in ALL_CASE_TYPES]
    todo += [m.body for t in ALL_CASE_TYPES for m in t.moves.values()]
    todo += [RaiseProblemIn, EpidemicEnded]
    while todo:
        info = msgspec.inspect.type_info(todo.pop())
        stack = [info]
        while stack:
            t = stack.pop()
            if isinstance(t, msgspec.inspect.StructType):
                if t.cls not in found:
                    found.add(t.cls)
                    stack += [f.type for f in t.fields]
            elif isinstance(t, msgspec.inspect.UnionType):
                stack += t.types
            elif isinstance(t, msgspec.inspect.ListType | msgspec.inspect.SetType):
                stack.append(t.item_type)
    return found


def test_every_body_checks_its_text():
    """A body struct not derived from `Body`, or one that overrides its `__post_init__`
    (rules across fields go in `check()`), would skip the text checks above."""
    bodies = _bodies()
    assert len(bodies) > 30
    for cls in bodies:
        assert issubclass(cls, Body), cls
        overriding = [k for k in cls.__mro__ if k is not Body and "__post_init__" in vars(k)]
        assert overriding == [], (cls, overriding)
