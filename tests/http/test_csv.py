"""Every list answers `Accept: text/csv` with every page of the list its filters select
(UTF-8 with a BOM, one charset parameter), in English or, for `Accept-Language: zh-CN`,
with Chinese headers and values."""

from __future__ import annotations

import csv
import enum
import io
import re
from typing import Any

import pytest

from api.export import columns_of, header, row_type_of
from api.labels import ZH_ENUMS, ZH_FIELD_VALUES, ZH_HEADERS
from tests.conftest import bearer
from tests.http.support import check_problem, clerk, lodge
from tests.support import credit_code, lodge_body

SUPERVISOR = bearer("supervisor", "sup-1")
LISTS = [
    "/api/v1/complaints",
    "/api/v1/audit-trail",
    "/api/v1/projects",
    "/api/v1/commitments",
    "/api/v1/credit-repairs",
    "/api/v1/warnings",
    "/api/v1/service-statistics",
    "/api/v1/departments/ranking",
]
INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def check_csv_headers(response: Any, language: str) -> None:
    content_type = response.headers["content-type"]
    assert content_type == "text/csv; charset=utf-8", content_type  # one charset
    assert response.headers["content-language"] == language
    assert "attachment" in response.headers["content-disposition"]


def json_pages(client: Any, path: str, headers: dict[str, str], **params: Any) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = client.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.parametrize("path", LISTS)
def test_a_list_as_csv_has_the_json_items_of_every_page(client, path):
    code = credit_code()
    lodged = client.post(
        "/api/v1/complaints",
        json=lodge_body(code, title='含,逗号与"引号"的标题'),
        headers=bearer("enterprise", "e", code),
    ).json()
    # The enterprise sees only its own case in the complaints list; others see all.
    who = bearer("enterprise", "e", code) if path == "/api/v1/complaints" else SUPERVISOR
    headers = {**who, "X-Min-Position": str(lodged["position"])}
    if path == "/api/v1/departments/ranking":  # one page: a department each
        items = client.get(path, headers=headers).json()["items"]
    else:
        items = json_pages(client, path, headers, limit=2)
    params = {} if path == "/api/v1/departments/ranking" else {"limit": 2}
    as_csv = client.get(path, params=params, headers={**headers, "Accept": "text/csv"})
    check_csv_headers(as_csv, "en")
    rows = rows_of(as_csv)
    assert len(rows) == len(items)
    if items and "id" in items[0]:
        assert [r["id"] for r in rows] == [i["id"] for i in items]
    if path == "/api/v1/complaints":
        assert rows[0]["title"] == '含,逗号与"引号"的标题'
        assert rows[0]["complainant.credit_code"] == code
    for row in rows:
        for value in row.values():
            if re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T", value):
                assert INSTANT.fullmatch(value), value


def test_csv_streams_every_page_with_the_filters_applied(client):
    code = credit_code()
    enterprise = bearer("enterprise", "e", code)
    cases = [lodge(client, code, urgent=i % 3 == 0) for i in range(7)]
    headers = {**enterprise, "X-Min-Position": str(cases[-1]["position"])}
    every = [i["id"] for i in json_pages(client, "/api/v1/complaints", headers, limit=3)]
    assert sorted(every) == sorted(c["id"] for c in cases)
    urgent = [i["id"] for i in json_pages(client, "/api/v1/complaints", headers, urgent="true")]
    assert sorted(urgent) == sorted(c["id"] for i, c in enumerate(cases) if i % 3 == 0)
    # The JSON list: three pages of 3; the CSV: all of them in one answer.
    r = client.get("/api/v1/complaints", params={"limit": 3}, headers=headers)
    assert len(r.json()["items"]) == 3 and r.json()["next_cursor"]
    rows = rows_of(
        client.get(
            "/api/v1/complaints", params={"limit": 3}, headers={**headers, "Accept": "text/csv"}
        )
    )
    assert [row["id"] for row in rows] == every
    # A filter applies to every page; a cursor given starts the export there.
    filtered = client.get(
        "/api/v1/complaints",
        params={"limit": 1, "urgent": "true"},
        headers={**headers, "Accept": "text/csv"},
    )
    assert [row["id"] for row in rows_of(filtered)] == urgent
    first = client.get("/api/v1/complaints", params={"limit": 2}, headers=headers).json()
    rest = client.get(
        "/api/v1/complaints",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers={**headers, "Accept": "text/csv"},
    )
    assert [row["id"] for row in rows_of(rest)] == every[2:]


def test_csv_in_chinese_for_zh_cn(client):
    code = credit_code()
    case = lodge(client, code, urgent=True)
    headers = {
        **bearer("enterprise", "e", code),
        "X-Min-Position": str(case["position"]),
        "Accept": "text/csv",
    }
    zh = client.get("/api/v1/complaints", headers={**headers, "Accept-Language": "zh-CN"})
    check_csv_headers(zh, "zh-CN")
    (row,) = rows_of(zh)
    assert row["编号"] == case["id"]
    assert row["状态"] == "已登记"
    assert row["类别"] == "投诉"
    assert row["渠道"] == "网站"
    assert row["急事快办"] == "是"
    assert row["保密"] == "否"
    assert row["投诉人.统一社会信用代码"] == code
    assert row["当前环节"] == "受理"
    assert INSTANT.fullmatch(row["登记时间"])
    # Chinese preferred by weight; English otherwise (and by default).
    for accept_language, language in [
        ("en;q=0.5, zh;q=0.9", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("en-GB, zh-CN;q=0.8", "en"),
        ("fr", "en"),
        ("zh;q=0", "en"),
    ]:
        r = client.get(
            "/api/v1/complaints", headers={**headers, "Accept-Language": accept_language}
        )
        check_csv_headers(r, language)
    (row,) = rows_of(client.get("/api/v1/complaints", headers=headers))
    assert (row["status"], row["kind"], row["urgent"]) == ("lodged", "complaint", "true")


def test_the_dashboard_csv_in_chinese(client):
    r = client.get(
        "/api/v1/dashboard",
        headers={**SUPERVISOR, "Accept": "text/csv", "Accept-Language": "zh-CN"},
    )
    check_csv_headers(r, "zh-CN")
    rows = rows_of(r)
    figures = {row["指标"]: row["数值"] for row in rows}
    assert "投诉.受理.比率（%）" in figures
    assert "投诉.满意度.分布.非常满意" in figures
    assert "重大项目.按分类.已开复工" in figures
    # Only codes stay as they are (complaint categories and departments are codes).
    untranslated = [k for k in figures if re.search("[a-z]", k)]
    assert all(k.startswith(("投诉.按分类.", "投诉.按部门.")) for k in untranslated), untranslated


def test_every_column_and_value_of_every_list_has_a_chinese_name(client):
    document = client.get("/schema/openapi.json").json()
    lists = [
        (path, ops["get"])
        for path, ops in document["paths"].items()
        if "get" in ops and "text/csv" in ops["get"]["responses"]["200"]["content"]
    ]
    assert len(lists) >= 10
    app = client.app
    missing: list[str] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("csv") is not True:
                continue
            row = row_type_of(handler.parsed_fn_signature.return_type.annotation)
            assert row is not None, handler
            for column in columns_of(row):
                name = header(column, "zh")
                if re.search("[A-Za-z]", name):
                    missing.append(f"{route.path}: header {column.name}")
                values = column.values
                if isinstance(values, type) and issubclass(values, enum.Enum):
                    table = ZH_ENUMS.get(values, {})
                    missing += [
                        f"{route.path}: {column.name}={m.value}"
                        for m in values
                        if m.value not in table
                    ]
                elif values is not None:
                    table = ZH_FIELD_VALUES.get(column.path[-1], {})
                    missing += [
                        f"{route.path}: {column.name}={v}" for v in values if v not in table
                    ]
    assert missing == []
    assert ZH_HEADERS  # the tables are in api/labels.py


def test_errors_stay_problem_json_when_csv_is_asked(client):
    r = client.get("/api/v1/complaints?limit=0", headers={**SUPERVISOR, "Accept": "text/csv"})
    check_problem(r, 422, "limit")
    r = client.get("/api/v1/complaints?q=1", headers={**SUPERVISOR, "Accept": "text/csv"})
    check_problem(r, 400, "q")
    check_problem(
        client.get(
            "/api/v1/complaints",
            headers={**clerk(), "Accept": "text/csv", "Authorization": "Bearer x"},
        ),
        401,
    )
