"""The web pages of issue 16 over HTTP (Litestar's test client on the real app and a real
PostgreSQL): the visible names the issue fixes, forms that store through the same
application as the API, errors next to their fields with nothing stored, stale
versions, who may see and do what, the language switch and working-day deadlines.

The course through a real browser, axe and the screenshots are in
tests/http/test_pages_browser.py.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from domain.application import Oversight
from oversight.runtime import create_app
from oversight.settings import Settings, parse_rate_limits
from tests.conftest import JWT_SECRET
from tests.http.pages_support import Page, as_user, desk_lists, page_of, register_enterprise
from tests.http.support import (
    API,
    CST,
    at,
    department,
    latest_position,
    list_cases,
    snapshot,
    supervisor,
)
from tests.support import Clock, credit_code, lodge_body

pytestmark = pytest.mark.http

KIND_NAMES = ("投诉", "诉求", "举报")
STATUS_NAMES = ("已登记", "已受理", "不予受理", "已转办", "已答复", "待评价", "已办结", "已撤回")
RATING_NAMES = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")


def _enterprise(application: Oversight) -> tuple[str, dict[str, str]]:
    code = credit_code()
    register_enterprise(application, code)
    return code, as_user("enterprise", code, code)


def _clerk() -> dict[str, str]:
    return as_user("clerk", "clerk-pages")


def _lodge(client: TestClient, headers: dict[str, str], **fields: str) -> tuple[str, Any]:
    form = {
        "kind": "complaint",
        "category": "approval",
        "title": "施工许可审批超时",
        "description": "二期厂房施工许可在网上提交已超过承诺时限，系统一直显示审核中。",
        **fields,
    }
    r = client.post("/cases/new", data=form, headers=headers, follow_redirects=False)
    assert r.status_code == 303, r.text[-2000:]
    location = r.headers["location"]
    found = re.fullmatch(r"/cases/([0-9a-f-]{36})\?done=lodge", location)
    assert found, location
    return found.group(1), r


def _case(client: TestClient, case_id: str, headers: dict[str, str], status: int = 200) -> Page:
    return page_of(client.get(f"/cases/{case_id}", headers=headers), status)


def _move(
    client: TestClient,
    case_id: str,
    move: str,
    headers: dict[str, str],
    status: int = 303,
    version: str | None = None,
    **fields: str,
) -> Any:
    page = _case(client, case_id, headers)
    form = page.form(f"/cases/{case_id}/{move}")
    data = {**form.fields, **fields}
    if version is not None:
        data["version"] = version
    r = client.post(f"/cases/{case_id}/{move}", data=data, headers=headers, follow_redirects=False)
    assert r.status_code == status, r.text[-3000:]
    return r


def cookie(**values: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in values.items())}


def caught_up(client: TestClient) -> dict[str, str]:
    """The cookie a move leaves: the lists wait for the views to reach it."""
    return cookie(oversight_position=str(latest_position(client)))


def _stored(client: TestClient, case_id: str) -> tuple[int, str, int, str]:
    return snapshot(client, case_id)


# --- the public pages ----------------------------------------------------------------------


def test_home_offers_sign_in_registration_and_the_api_docs(client: TestClient) -> None:
    page = page_of(client.get("/"))
    assert 'lang="zh-CN"' in page.html
    links = {e.get("href"): e for e in page.elements if e["tag"] == "a"}
    assert "/login" in links and "/register" in links
    assert "登录" in page.text and "企业注册" in page.text
    for path in (
        "/schema/swagger",
        "/schema/redoc",
        "/schema/openapi.json",
        "/healthz",
        "/api/v1/meta",
    ):
        assert path in links, path
    assert page.by_id("version") and page.by_id("build") == "unknown"
    # One h1, headings in order
    levels = [int(e["tag"][1]) for e in page.elements if re.fullmatch(r"h[1-6]", e["tag"])]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


def test_a_protected_page_sends_a_visitor_to_sign_in_and_back(client: TestClient) -> None:
    for path in ("/desk", "/cases", "/cases/new", f"/cases/{UUID(int=7)}", "/cases?cursor=x"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, (path, r.text)
        assert r.headers["location"].startswith("/login?next=")
        assert r.headers["location"] == "/login?next=" + path.replace("?", "%3F").replace(
            "=", "%3D"
        )
    # Not JSON: a person gets a page, an API client its 401 as before
    assert client.get("/api/v1/complaints").status_code == 401


def test_english_by_the_switch_and_by_accept_language(client: TestClient) -> None:
    r = client.get("/language/en?next=/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "oversight_lang=en" in r.headers["set-cookie"]
    client.cookies.clear()  # each request below says its own language
    page = page_of(client.get("/", headers=cookie(oversight_lang="en")))
    assert 'lang="en"' in page.html
    assert "Sign in" in page.text and "Register an enterprise" in page.text
    assert "登录" not in page.text
    # The switch back is labelled in its own language
    assert page.html.count(' lang="zh-CN"') == 1 and "中文" in page.text
    page = page_of(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}))
    assert "Sign in" in page.text
    page = page_of(client.get("/", headers={"Accept-Language": "fr, zh-TW;q=0.8"}))
    assert "登录" in page.text
    # The switch is no open redirect
    for target in ("https://example.org/", "//example.org/", "/\\example.org"):
        r = client.get("/language/en", params={"next": target}, follow_redirects=False)
        assert r.headers["location"] == "/", target


# --- lodging -----------------------------------------------------------------------------------


def test_the_lodging_form_asks_what_the_issue_names(
    client: TestClient, application: Oversight
) -> None:
    _, me = _enterprise(application)
    page = page_of(client.get("/cases/new", headers=me))
    labels = page.labels()
    for name in ("类型", "类别", "标题", "内容", "保密", *KIND_NAMES):
        assert name in labels, (name, labels)
    assert "提交" in page.buttons()
    # Every field has a label (input ids match a label's for=)
    ids = {
        e["id"]
        for e in page.elements
        if e["tag"] in ("input", "textarea", "select") and e.get("type") != "hidden"
    }
    fors = {e["for"] for e in page.elements if e["tag"] == "label"}
    assert ids and ids <= fors, ids - fors


def test_form_errors_are_shown_next_to_their_fields_and_nothing_is_stored(
    client: TestClient, application: Oversight
) -> None:
    code, me = _enterprise(application)
    r = client.post(
        "/cases/new",
        data={"category": "approval", "title": "   ", "description": ""},
        headers=me,
    )
    page = page_of(r, 422)
    assert page.title.startswith("错误")
    summary = page.by_id("error-summary-title")
    assert summary == "请更正以下问题"
    # Each error is next to its field and linked from the summary
    assert page.by_id("kind-error") == "错误：请选择类型"
    assert page.by_id("title-error") == "错误：请填写标题"
    assert page.by_id("description-error") == "错误：请填写内容"
    for anchor in ("#kind", "#title", "#description"):
        assert f'href="{anchor}"' in page.html
    assert 'aria-invalid="true"' in page.html
    # What was typed stays
    assert 'value="approval" selected' in page.html
    # A title too long, a report-only choice on a complaint, a control character
    r = client.post(
        "/cases/new",
        data={
            "kind": "complaint",
            "category": "approval",
            "title": "长" * 201,
            "description": "内容\x01",
            "confidential": "on",
        },
        headers=me,
    )
    page = page_of(r, 422)
    assert page.by_id("title-error") == "错误：标题不能超过 200 个字"
    assert page.by_id("description-error") == "错误：内容含有不能使用的控制字符"
    assert page.by_id("confidential-error") == "错误：只有举报可以选择保密"
    # Nothing stored
    assert list_cases(client, as_user("enterprise", code, code), latest_position(client)) == []


def test_lodging_stores_the_case_and_shows_it(
    client: TestClient, application: Oversight, clock: Clock
) -> None:
    clock.set(at(2024, 9, 23, 2))  # Monday 10:00 in Beijing
    code, me = _enterprise(application)
    case_id, r = _lodge(client, me, kind="report", confidential="on")
    assert "oversight_position=" in r.headers["set-cookie"]
    page = page_of(client.get(r.headers["location"], headers=me))
    assert page.by_id("done-title") == "已提交"
    # The case number: kind, day lodged in Beijing, the id's first eight hex digits
    assert f"JB20240923-{case_id.replace('-', '')[:8].upper()}" in page.text
    assert "已登记" in page.text and "举报" in page.text and "保密" in page.text
    # The acceptance deadline in working days (issue 11: 2 working days after lodging)
    assert re.search(r"还剩 \d+ 个工作日", page.text), page.text
    # The API sees the same case, lodged by the enterprise with its registered name
    body = client.get(f"{API}/{case_id}", headers=supervisor()).json()
    assert body["status"] == "lodged" and body["kind"] == "report" and body["confidential"]
    assert body["channel"] == "web"
    assert body["complainant"] == {
        "name": "黑龙江某某建设有限公司",
        "credit_code": code,
        "phone": "13800000000",
    }
    # 我的案件 lists it, with its status and deadline
    position = re.search(r"oversight_position=(\d+)", r.headers["set-cookie"])
    assert position
    mine = page_of(client.get("/cases", headers=me | cookie(oversight_position=position.group(1))))
    assert "我的案件" in mine.text
    assert f'href="/cases/{case_id}"' in mine.html
    assert "已登记" in mine.text and re.search(r"还剩 \d+ 个工作日", mine.text)


# --- the bureau's moves ----------------------------------------------------------------------


def test_the_course_through_the_pages(
    client: TestClient, application: Oversight, clock: Clock
) -> None:
    clock.set(at(2024, 9, 23, 2))
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me)
    clerk = _clerk()
    # The clerk's desk lists it, with its deadline
    assert desk_lists(client, clerk | caught_up(client), case_id)
    page = _case(client, case_id, clerk)
    assert {"受理", "不予受理"} <= set(page.buttons())
    assert "转办" not in page.buttons()
    clock.advance(hours=1)
    r = _move(client, case_id, "accept", clerk)
    assert r.headers["location"] == f"/cases/{case_id}?done=accept"
    page = page_of(client.get(r.headers["location"], headers=clerk))
    assert page.by_id("done-title") == "已受理" and "已受理" in page.text
    assert "转办" in page.buttons()
    assert {"承办部门", "办理时限（选填）"} <= set(page.labels()), page.labels()
    clock.advance(hours=1)
    _move(client, case_id, "transfer", clerk, department="hlj-fgw", working_days="5")
    page = _case(client, case_id, clerk)
    assert "已转办" in page.text and "hlj-fgw" in page.text
    assert "还剩 5 个工作日" in page.text or "还剩 6 个工作日" in page.text
    # The department: its desk, then the reply
    dept = department("hlj-fgw", "fgw-officer")
    assert desk_lists(client, dept | caught_up(client), case_id)
    page = _case(client, case_id, dept)
    assert {"答复", "申请延期", "退回"} <= set(page.buttons())
    assert "答复内容" in page.labels()
    clock.advance(hours=2)
    _move(client, case_id, "reply", dept, answer="已协调办结施工许可。")
    assert "已答复" in _case(client, case_id, dept).text
    # Until the review approves it, the enterprise sees the case still with the department
    page = _case(client, case_id, me)
    assert "已转办" in page.text and "已协调办结施工许可。" not in page.text
    # The supervisor's review (API: its page is issue 17's)
    version = client.get(f"{API}/{case_id}", headers=supervisor()).json()["version"]
    clock.advance(hours=1)
    r = client.post(
        f"{API}/{case_id}/review",
        json={"approved": True},
        headers={**supervisor(), "If-Match": f'"{version}"'},
    )
    assert r.status_code == 200, r.text
    page = _case(client, case_id, me)
    assert "待评价" in page.text and "已协调办结施工许可。" in page.text
    assert "提交评价" in page.buttons()
    assert set(RATING_NAMES) <= set(page.labels())
    clock.advance(hours=1)
    _move(client, case_id, "rate", me, rating="satisfied", comment="办理及时")
    page = _case(client, case_id, me)
    assert "已办结" in page.text and "满意" in page.text
    assert not page.forms or all("/cases/" not in f.action for f in page.forms)
    assert client.get(f"{API}/{case_id}", headers=supervisor()).json()["rating"] == "satisfied"


def test_a_move_form_error_is_shown_next_to_its_field_and_nothing_changes(
    client: TestClient, application: Oversight
) -> None:
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me)
    before = _stored(client, case_id)
    r = _move(client, case_id, "reject", _clerk(), status=422, reason=" ")
    page = page_of(r, 422)
    assert page.by_id("reject-reason-error") == "错误：请填写理由"
    assert 'href="#reject-reason"' in page.html
    assert _stored(client, case_id) == before
    # A transfer to a department code that cannot be one, a time limit that is no number
    _move(client, case_id, "accept", _clerk())
    before = _stored(client, case_id)
    r = _move(
        client, case_id, "transfer", _clerk(), status=422, department="省 发改委", working_days="十"
    )
    page = page_of(r, 422)
    assert page.by_id("transfer-department-error").startswith("错误：请输入部门代码")
    assert page.by_id("transfer-working_days-error") == "错误：办理时限须为整数，例如 10"
    assert _stored(client, case_id) == before


def test_a_stale_version_shows_the_case_as_it_is_now(
    client: TestClient, application: Oversight
) -> None:
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me)
    clerk = _clerk()
    stale = _case(client, case_id, clerk).form(f"/cases/{case_id}/reject").fields["version"]
    _move(client, case_id, "accept", as_user("clerk", "another-clerk"))  # someone else first
    before = _stored(client, case_id)
    r = client.post(
        f"/cases/{case_id}/reject",
        data={"version": stale, "reason": "不属于受理范围"},
        headers=clerk,
        follow_redirects=False,
    )
    page = page_of(r, 409)
    assert page.by_id("stale-title") == "案件已被他人更新"
    assert "已受理" in page.text  # the current state
    assert "不予受理" not in page.buttons()  # no longer possible
    assert _stored(client, case_id) == before


def test_withdrawing_while_open(client: TestClient, application: Oversight) -> None:
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me)
    page = _case(client, case_id, me)
    assert "撤回" in page.buttons()
    r = _move(client, case_id, "withdraw", me, status=422, reason="")
    assert page_of(r, 422).by_id("withdraw-reason-error") == "错误：请填写理由"
    _move(client, case_id, "withdraw", me, reason="问题已解决")
    page = _case(client, case_id, me)
    assert "已撤回" in page.text and "问题已解决" in page.text
    assert "撤回" not in page.buttons()


# --- who sees what -----------------------------------------------------------------------------


def test_another_enterprise_s_case_is_not_found(client: TestClient, application: Oversight) -> None:
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me)
    _, other = _enterprise(application)
    for path in (f"/cases/{case_id}", f"/cases/{UUID(int=1)}", "/cases/not-a-case"):
        page = page_of(client.get(path, headers=other), 404)
        assert "找不到页面" in page.text
    # The same for a department the case never went to, and for a move
    page_of(client.get(f"/cases/{case_id}", headers=department("hlj-other")), 404)
    before = _stored(client, case_id)
    r = client.post(
        f"/cases/{case_id}/withdraw", data={"version": "1", "reason": "x"}, headers=other
    )
    page_of(r, 404)
    assert _stored(client, case_id) == before


def test_roles_get_their_own_pages(client: TestClient, application: Oversight) -> None:
    _, me = _enterprise(application)
    assert page_of(client.get("/desk", headers=me), 403).title.startswith("没有权限")
    assert page_of(client.get("/cases/new", headers=_clerk()), 403)
    # A development token names no registered enterprise: no complainant to lodge as
    code = credit_code()
    page_of(client.get("/cases/new", headers=as_user("enterprise", code, code)), 403)
    # An inspector reads but is offered no move
    case_id, _ = _lodge(client, me)
    page = _case(client, case_id, as_user("inspector", "insp-pages"))
    assert not [f for f in page.forms if f.action.startswith(f"/cases/{case_id}/")]


def test_a_confidential_report_hides_the_reporter_from_the_department(
    client: TestClient, application: Oversight
) -> None:
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me, kind="report", confidential="on")
    _move(client, case_id, "accept", _clerk())
    _move(client, case_id, "transfer", _clerk(), department="hlj-scjgj")
    page = _case(client, case_id, department("hlj-scjgj"))
    assert "身份保密" in page.text
    assert "黑龙江某某建设有限公司" not in page.html
    desk = page_of(client.get("/desk", headers=department("hlj-scjgj") | caught_up(client)))
    assert f'href="/cases/{case_id}"' in desk.html and "黑龙江某某建设有限公司" not in desk.html


# --- the language and deadlines on a case ------------------------------------------------------


def test_the_case_page_in_english(client: TestClient, application: Oversight, clock: Clock) -> None:
    clock.set(at(2024, 9, 23, 2))
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me)
    page = page_of(client.get(f"/cases/{case_id}", headers=me | cookie(oversight_lang="en")))
    assert "Lodged" in page.text and "Case number" in page.text
    assert re.search(r"\d+ working days? left", page.text), page.text
    assert "Withdraw" in page.buttons()
    assert "已登记" not in page.text


def test_an_overdue_case_says_by_how_many_working_days(
    client: TestClient, application: Oversight, clock: Clock
) -> None:
    clock.set(at(2024, 9, 23, 2))  # Monday
    _, me = _enterprise(application)
    case_id, _ = _lodge(client, me)
    due = datetime.fromisoformat(
        client.get(f"{API}/{case_id}", headers=supervisor()).json()["due_at"]
    )
    assert due == datetime(2024, 9, 24, 17, 30, tzinfo=CST), due  # 1 working day: Tuesday
    assert "还剩 1 个工作日" in _case(client, case_id, _clerk()).text  # Monday: Tuesday left
    clock.set(at(2024, 9, 24, 3))
    assert "今天到期" in _case(client, case_id, _clerk()).text
    clock.set(at(2024, 9, 27, 2))  # Friday 10:00 Beijing: Wednesday to Friday have passed
    page = _case(client, case_id, _clerk())
    assert "已超期 3 个工作日" in page.text
    assert "2024年9月24日 17:30" in page.text
    # Over the National Day holidays (1-7 October 2024), only working days count
    clock.set(at(2024, 10, 8, 2))  # Tuesday 8 October: 25-30 Sept and 8 Oct
    assert "已超期 6 个工作日" in _case(client, case_id, _clerk()).text


def test_the_desk_puts_the_oldest_deadline_first(
    client: TestClient, application: Oversight, clock: Clock
) -> None:
    # Days no other test lodges on, so these two lead the shared database's desk
    clock.set(at(2023, 1, 16, 2))
    _, me = _enterprise(application)
    later, _ = _lodge(client, me, title="后到期的案件")
    clock.set(at(2023, 1, 9, 2))
    sooner, _ = _lodge(client, me, title="先到期的案件")
    clock.set(at(2023, 1, 16, 3))
    desk = page_of(client.get("/desk", headers=_clerk() | caught_up(client)))
    assert desk.html.index(f"/cases/{sooner}") < desk.html.index(f"/cases/{later}")
    row = desk.html[desk.html.index(f"/cases/{sooner}") - 600 : desk.html.index(f"/cases/{sooner}")]
    assert "row--overdue" in row and "已超期" in row


def test_the_desk_pages_on_in_deadline_order_without_repeating_a_case(
    client: TestClient, application: Oversight, clock: Clock
) -> None:
    clock.set(at(2023, 2, 6, 2))
    _, me = _enterprise(application)
    for n in range(3):
        _lodge(client, me, title=f"翻页案件 {n}")
    seen: list[str] = []
    dues: list[str] = []
    path: str | None = "/desk"
    pages = 0
    while path and pages < 40:
        desk = page_of(client.get(path, headers=_clerk() | caught_up(client)))
        rows = re.findall(
            r'<tr class="[^"]*">\s*<td>(.*?)</td>\s*<td><a href="/cases/([0-9a-f-]{36})"',
            desk.html,
            re.S,
        )
        for cell, case_id in rows:
            seen.append(case_id)
            due = re.search(r'datetime="([^"]+)"', cell)
            dues.append(due.group(1) if due else "~")  # none: after every deadline
        found = re.search(r'href="(/desk\?cursor=[^"]+)"', desk.html)
        path = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert len(seen) == len(set(seen)), "a case on two pages"
    instants = [datetime.fromisoformat(d) for d in dues if d != "~"]
    assert instants == sorted(instants)
    assert "~" not in dues or dues.index("~") == len(instants)  # those without one, last


def test_lodging_on_the_page_counts_against_the_same_rate_limit_as_the_api(
    settings: Settings, database_url: str, application: Oversight, clock: Clock
) -> None:
    code, me = _enterprise(application)
    limited = dataclasses.replace(settings, rate_limits=parse_rate_limits("lodge=2/minute"))
    app = create_app(limited, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as client:
        r = client.post(API, json=lodge_body(code), headers=me)
        assert r.status_code == 201, r.text
        _lodge(client, me)
        form = {"kind": "appeal", "category": "other", "title": "第三件", "description": "内容"}
        r = client.post("/cases/new", data=form, headers=me, follow_redirects=False)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        # (the app's deadline watchers may store reminders meanwhile: count the cases)
        assert len(list_cases(client, me, latest_position(client))) == 2
