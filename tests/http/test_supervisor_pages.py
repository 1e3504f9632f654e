"""The supervisor's and the inspector's pages of issue 17 over HTTP (Litestar's test
client on the real app and a real PostgreSQL): the dashboard's figures are the API's to
its two decimals, warnings link their cases, the supervisor's moves store through the
application with errors next to their fields and stale versions shown as
"案件已被他人更新" (nothing stored either way), the lists take the API's filters and
export the whole filtered list as the API's CSV, the timeline shows each version and
the case as it stood, the audit trail is the API's.

The browser course (Playwright, axe, the replay, the evidence bundle verified in the
page, screenshots) is tests/http/test_supervisor_browser.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest
from litestar.testing import TestClient

from tests.http import test_commitments as commitments
from tests.http import test_credit_repairs as repairs
from tests.http import test_projects as projects
from tests.http.pages_support import Page, as_user, page_of
from tests.http.support import (
    API,
    AUDIT,
    clerk,
    department,
    inspector,
    latest_position,
    lodge,
    move,
    snapshot,
    supervisor,
)
from tests.support import Clock, credit_code

pytestmark = pytest.mark.http

SUPERVISOR = as_user("supervisor", "sup-pages")
INSPECTOR = as_user("inspector", "insp-pages")
STATUS_NAMES = {
    "lodged": "已登记",
    "accepted": "已受理",
    "rejected": "不予受理",
    "transferred": "已转办",
    "replied": "已答复",
    "awaiting_rating": "待评价",
    "closed": "已办结",
    "withdrawn": "已撤回",
}
FIGURE = re.compile(r'data-figure="([a-z_.]+)"[^>]*>([^<]*)<')


def figures_on(page: Page) -> dict[str, str]:
    return {key: unescape(text) for key, text in FIGURE.findall(page.html)}


def lookup(document: dict[str, Any], key: str) -> Any:
    value: Any = document
    for part in key.split("."):
        value = value[part]
    return value


def assert_shown_as_the_api(shown: str, value: Any) -> None:
    """A figure as the page shows it against the API's value: integers as they are,
    shares and rates with exactly two decimals, nothing to divide by as a dash."""
    if value is None:
        assert shown == "—"
    elif isinstance(value, int):
        assert shown == str(value)
    else:
        number = shown.removesuffix("%")
        assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", number), shown
        assert float(number) == round(value, 2)


def api_dashboard(client: TestClient, **params: str) -> dict[str, Any]:
    position = latest_position(client)
    r = client.get(
        "/api/v1/dashboard",
        params=params,
        headers={**supervisor(), "X-Min-Position": str(position)},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def replied_case(client: TestClient, clock: Clock) -> str:
    """A complaint answered by its department, waiting for the supervisor's review."""
    case = lodge(client)
    for name, who in (("accept", clerk()), ("transfer", clerk()), ("reply", department("hlj-fgw"))):
        clock.advance(minutes=5)
        move(client, case["id"], name, who)
    clock.advance(minutes=5)
    return str(case["id"])


def case_page(client: TestClient, case_id: str, headers: dict[str, str], status: int = 200) -> Page:
    return page_of(client.get(f"/cases/{case_id}", headers=headers), status)


def post_move(
    client: TestClient,
    path: str,
    move_name: str,
    headers: dict[str, str],
    status: int,
    version: str | None = None,
    **fields: str,
) -> Any:
    """Send a move's form as the page renders it (its hidden version), with `fields`."""
    page = page_of(client.get(path, headers=headers))
    form = page.form(f"{path}/{move_name}")
    data = {**form.fields, **fields}
    if version is not None:
        data["version"] = version
    r = client.post(f"{path}/{move_name}", data=data, headers=headers, follow_redirects=False)
    assert r.status_code == status, r.text[-3000:]
    return r


# --- the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_shows_the_api_figures_to_two_decimals(
    client: TestClient, clock: Clock
) -> None:
    case_id = replied_case(client, clock)
    move(client, case_id, "review", supervisor())
    clock.advance(minutes=5)
    move(client, case_id, "rate", as_user("enterprise", "ent", lodged_code(client, case_id)))
    lodge(client)
    api = api_dashboard(client)
    page = page_of(client.get("/dashboard", headers=SUPERVISOR))
    shown = figures_on(page)
    assert len(shown) >= 20
    for key, text in shown.items():
        assert_shown_as_the_api(text, lookup(api, key))
    # The default period: this year to date in Beijing (the clock: 23 September 2024).
    assert "统计期间：2024-01-01 至 2024-09-23" in page.text
    assert api["period"] == {"from": "2024-01-01", "to": "2024-09-23", "as_of": None}
    # The status chart's table alternative holds the API's counts by status.
    table = re.search(r'data-chart-table="chart-status".*?</table>', page.html, re.S)
    assert table is not None
    rows = dict(
        re.findall(r'<th scope="row">([^<]+)</th><td class="numeric">([0-9]+)</td>', table.group(0))
    )
    assert rows == {STATUS_NAMES[s]: str(n) for s, n in api["complaints"]["by_status"].items()}
    # Every chart is an image with its own title and description, and a table.
    assert page.html.count('role="img"') == page.html.count('<details class="chart-figure__table">')
    for chart in ("chart-status", "chart-kind", "chart-service", "chart-weekly", "chart-late"):
        assert f'id="{chart}-title"' in page.html and f'id="{chart}-desc"' in page.html


def lodged_code(client: TestClient, case_id: str) -> str:
    r = client.get(f"{API}/{case_id}", headers=supervisor())
    code: str = r.json()["complainant"]["credit_code"]
    return code


def test_a_period_and_an_as_of_day_give_the_api_figures_of_that_period(
    client: TestClient, clock: Clock
) -> None:
    replied_case(client, clock)
    params = {"from": "2024-09-01", "to": "2024-09-30", "as_of": "2024-09-22"}
    api = api_dashboard(client, **params)
    page = page_of(client.get("/dashboard?" + urlencode(params), headers=SUPERVISOR))
    for key, text in figures_on(page).items():
        assert_shown_as_the_api(text, lookup(api, key))
    assert "截至 2024-09-22" in page.text
    # What is overdue now is the present's: not drawn for a day in the past.
    assert 'id="chart-overdue"' not in page.html
    assert 'id="chart-overdue"' in page_of(client.get("/dashboard", headers=SUPERVISOR)).html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2024-13-01", "to": "2024-12-31"}, "from", "请输入日期，例如 2026-01-31"),
        ({"from": "2024-05-01", "to": "2024-04-01"}, "to", "截止日期不能早于起始日期"),
        ({"from": "2024-05-01"}, "to", "请同时填写起止日期（都不填则为本年至今）"),
        ({"from": "2001-01-01", "to": "2024-01-01"}, "to", "期间最长为十年"),
        ({"as_of": "yesterday"}, "as_of", "请输入日期，例如 2026-01-31"),
    ],
)
def test_the_period_picker_says_what_is_wrong_next_to_the_field(
    client: TestClient, query: dict[str, str], field: str, message: str
) -> None:
    page = page_of(client.get("/dashboard?" + urlencode(query), headers=SUPERVISOR), 422)
    assert page.by_id(f"period-{field}-error") == f"错误：{message}"
    assert f'href="#period-{field}"' in page.html  # the error summary links the field
    # The figures are the year to date's meanwhile.
    assert "统计期间：2024-01-01 至 2024-09-23" in page.text


def test_who_may_read_the_supervisor_pages(client: TestClient) -> None:
    for path in ("/dashboard", "/ranking", "/audit"):
        assert client.get(path, headers=as_user("clerk", "c")).status_code == 403
        assert client.get(path, headers=INSPECTOR).status_code == 200
    assert client.get("/warnings", headers=as_user("clerk", "c")).status_code == 200
    code = credit_code()
    assert client.get("/warnings", headers=as_user("enterprise", code, code)).status_code == 403
    assert client.get("/projects", headers=as_user("department", "d", "hlj-fgw")).status_code == 403
    r = client.get("/dashboard", follow_redirects=False)  # nobody signed in: to sign in
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


def test_the_ranking_is_the_api_s(client: TestClient, clock: Clock) -> None:
    replied_case(client, clock)
    r = client.get(
        "/api/v1/departments/ranking",
        headers={**supervisor(), "X-Min-Position": str(latest_position(client))},
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    page = page_of(client.get("/ranking", headers=SUPERVISOR))
    rows = re.findall(
        r'<tr data-department="([^"]+)">\s*<td>([0-9]+)</td>.*?data-figure="on_time_rate">([^<]*)<'
        r'.*?data-figure="satisfied_share">([^<]*)<',
        page.html,
        re.S,
    )
    # In the API's order (its items are ranked: the first is first), numbered from 1.
    assert [(d, int(rank)) for d, rank, _, _ in rows] == [
        (i["department"], place) for place, i in enumerate(items, start=1)
    ]
    for (_, _, on_time, satisfied), item in zip(rows, items, strict=True):
        assert_shown_as_the_api(on_time, item["on_time_rate"])
        assert_shown_as_the_api(satisfied, item["satisfied_share"])


# --- warnings --------------------------------------------------------------------------------


def test_warnings_link_their_cases_and_filter_by_type_level_and_department(
    fresh_client: TestClient, clock: Clock
) -> None:
    client = fresh_client
    late = lodge(client)  # acceptance due within a working day
    clock.advance(days=6)  # past it (6 calendar days hold at least 3 working days)
    waiting = replied_case(client, clock)  # review due: not yet past
    position = latest_position(client)
    api = client.get(
        "/api/v1/warnings", headers={**supervisor(), "X-Min-Position": str(position)}
    ).json()["items"]
    page = page_of(client.get("/warnings", headers=SUPERVISOR))
    linked = re.findall(r'<tr class="row--(\w+)" data-case-id="([0-9a-f-]+)">', page.html)
    assert [case for _, case in linked] == [w["case_id"] for w in api]
    assert (("overdue", late["id"]) in linked) and f'href="/cases/{late["id"]}"' in page.html
    assert "已超期" in page.text
    overdue_only = page_of(client.get("/warnings?level=overdue", headers=SUPERVISOR))
    assert waiting not in overdue_only.html and late["id"] in overdue_only.html
    commitments_only = page_of(client.get("/warnings?case_type=commitment", headers=SUPERVISOR))
    assert late["id"] not in commitments_only.html
    intake = page_of(client.get("/warnings?department=intake", headers=SUPERVISOR))
    assert late["id"] in intake.html and waiting not in intake.html
    bad = page_of(client.get("/warnings?case_type=nonsense", headers=SUPERVISOR), 422)
    assert bad.by_id("filter-case_type-error") == "错误：请选择案件类型"


# --- the supervisor's moves on a complaint --------------------------------------------------


def test_review_asks_for_a_reason_to_redo_and_stores_the_decision(
    client: TestClient, clock: Clock
) -> None:
    case_id = replied_case(client, clock)
    page = case_page(client, case_id, SUPERVISOR)
    assert "审核" in page.buttons() and "督办" in page.buttons()
    assert {"通过", "重办", "审核结果", "审核意见（选填）"} <= set(page.labels())
    before = snapshot(client, case_id)
    path = f"/cases/{case_id}"
    r = post_move(client, path, "review", SUPERVISOR, 422, approved="false", note="")
    assert (
        page_of(r, 422).by_id("review-note-error") == "错误：选择重办时，请写明需要重新办理的内容"
    )
    r = post_move(client, path, "review", SUPERVISOR, 422, note="看过")  # nothing chosen
    assert page_of(r, 422).by_id("review-approved-error") == "错误：请选择审核结果"
    assert snapshot(client, case_id) == before
    r = post_move(client, path, "review", SUPERVISOR, 303, approved="false", note="请补充整改时限")
    assert r.headers["location"] == f"/cases/{case_id}?done=review"
    done = page_of(client.get(r.headers["location"], headers=SUPERVISOR))
    assert "已审核" in done.text
    stored = client.get(f"{API}/{case_id}", headers=supervisor()).json()
    assert stored["status"] == "transferred" and stored["redo_count"] == 1


def test_a_stale_review_shows_the_case_as_it_is_now_and_stores_nothing(
    client: TestClient, clock: Clock
) -> None:
    case_id = replied_case(client, clock)
    path = f"/cases/{case_id}"
    stale = case_page(client, case_id, SUPERVISOR).form(f"{path}/review").fields["version"]
    move(client, case_id, "supervise", supervisor("another-supervisor"))  # someone first
    before = snapshot(client, case_id)
    r = client.post(
        f"{path}/review",
        data={"version": stale, "approved": "true"},
        headers=SUPERVISOR,
        follow_redirects=False,
    )
    page = page_of(r, 409)
    assert page.by_id("stale-title") == "案件已被他人更新"
    assert "已答复" in page.text  # the case as it is now
    assert snapshot(client, case_id) == before


def test_supervise_close_and_decide_an_extension(client: TestClient, clock: Clock) -> None:
    case = lodge(client)
    case_id = str(case["id"])
    for name, who in (("accept", clerk()), ("transfer", clerk())):
        clock.advance(minutes=5)
        move(client, case_id, name, who)
    path = f"/cases/{case_id}"
    assert "审批延期" not in case_page(client, case_id, SUPERVISOR).buttons()  # none pending
    r = post_move(client, path, "supervise", SUPERVISOR, 422, note=" ")
    assert page_of(r, 422).by_id("supervise-note-error") == "错误：请填写督办意见"
    post_move(client, path, "supervise", SUPERVISOR, 303, note="请于本周内答复")
    move(client, case_id, "request-extension", department("hlj-fgw"))
    assert "审批延期" in case_page(client, case_id, SUPERVISOR).buttons()
    post_move(client, path, "decide-extension", SUPERVISOR, 303, approved="true", note="同意")
    body = client.get(f"{API}/{case_id}", headers=supervisor()).json()
    assert body["extension_requested"] is None and body["supervision_count"] == 1
    for name, who in (("reply", department("hlj-fgw")), ("review", supervisor())):
        clock.advance(minutes=5)
        move(client, case_id, name, who)
    assert "办结" in case_page(client, case_id, SUPERVISOR).buttons()
    post_move(client, path, "close", SUPERVISOR, 303)
    assert client.get(f"{API}/{case_id}", headers=supervisor()).json()["status"] == "closed"
    # An inspector reads, and makes no move.
    page = case_page(client, case_id, INSPECTOR)
    assert not page.buttons() or page.buttons() == ["退出"]
    assert f'href="/cases/{case_id}/timeline"' in page.html


# --- the other case types' moves --------------------------------------------------------------


def test_a_commitment_granted_on_its_page_and_a_stale_form_refused(
    client: TestClient, clock: Clock
) -> None:
    case = commitments.make(client)
    cid = case["id"]
    path = f"/commitments/{cid}"
    page = page_of(client.get(path, headers=SUPERVISOR))
    assert "已承诺" in page.text and "容缺受理" in page.buttons()
    stale = page.form(f"{path}/grant").fields["version"]
    post_move(client, path, "grant", SUPERVISOR, 303, note="当场审批")
    after = commitments.snapshot(client, cid)
    assert after[1] == "granted"
    r = client.post(
        f"{path}/exempt",
        data={"version": stale, "reason": "受疫情影响"},
        headers=SUPERVISOR,
        follow_redirects=False,
    )
    page = page_of(r, 409)
    assert page.by_id("stale-title") == "案件已被他人更新"
    assert "已容缺受理" in page.text
    assert commitments.snapshot(client, cid) == after
    r = post_move(client, path, "exempt", SUPERVISOR, 422, reason="")
    assert page_of(r, 422).by_id("exempt-reason-error") == "错误：请填写理由"
    assert commitments.snapshot(client, cid) == after


def test_a_credit_repair_reviewed_on_its_page(client: TestClient, clock: Clock) -> None:
    case = repairs.apply(client)
    cid = case["id"]
    path = f"/credit-repairs/{cid}"
    before = repairs.snapshot(client, cid)
    r = post_move(client, path, "initial-review", SUPERVISOR, 422)
    assert page_of(r, 422).by_id("initial-review-passed-error") == "错误：请选择审核结果"
    assert repairs.snapshot(client, cid) == before
    post_move(client, path, "initial-review", SUPERVISOR, 303, passed="true")
    page = page_of(client.get(path + "?done=initial-review", headers=SUPERVISOR))
    assert "已初审" in page.text and "已完成：初审" in page.text
    # The re-review must be by someone else: the application says so, nothing stored.
    after = repairs.snapshot(client, cid)
    r = post_move(client, path, "re-review", SUPERVISOR, 409, passed="true")
    assert page_of(r, 409).by_id("refused-title") == "这项操作现在不能进行"
    assert repairs.snapshot(client, cid) == after


def test_a_project_classified_and_its_problem_resolved_on_their_pages(
    client: TestClient, clock: Clock
) -> None:
    project = projects.register(client)
    pid = project["id"]
    path = f"/projects/{pid}"
    page = page_of(client.get(path, headers=SUPERVISOR))
    assert {"确定分类", "指定推进专班"} <= set(page.buttons())
    post_move(client, path, "classify", SUPERVISOR, 303, classification="resumed")
    assert (
        client.get(f"/api/v1/projects/{pid}", headers=supervisor()).json()["classification"]
        == "resumed"
    )
    problem = projects.raise_problem(client, pid, clerk())
    # The project's problems come from its view: the page waits for this browser's last
    # write (the position cookie a page's move leaves; here, the API's position).
    cookie = {"Cookie": f"oversight_position={latest_position(client)}"}
    page = page_of(client.get(path, headers={**SUPERVISOR, **cookie}))
    assert f'href="/problems/{problem["id"]}"' in page.html
    ppath = f"/problems/{problem['id']}"
    post_move(client, ppath, "resolve", SUPERVISOR, 303, solution="协调自然资源局加快办理")
    body = client.get(f"/api/v1/problems/{problem['id']}", headers=supervisor()).json()
    assert body["status"] == "resolved"


# --- lists and CSV ---------------------------------------------------------------------------


def test_lists_take_the_api_filters_and_page_on(client: TestClient, clock: Clock) -> None:
    for _ in range(3):
        case = lodge(client)
        clock.advance(minutes=1)
        move(client, case["id"], "reject", clerk())
    position = latest_position(client)
    cookie = {"Cookie": f"oversight_position={position}"}
    page = page_of(client.get("/cases?status=rejected", headers={**SUPERVISOR, **cookie}))
    statuses = re.findall(r'class="tag tag--(\w+)"', page.html)
    assert statuses and set(statuses) == {"rejected"}
    assert 'href="/cases.csv?status=rejected"' in page.html
    bad = page_of(client.get("/cases?status=nonsense&kind=complaint", headers=SUPERVISOR), 422)
    assert bad.by_id("filter-status-error") == "错误：请选择状态"
    # An enterprise's own list has no filters and no export.
    code = credit_code()
    mine = page_of(client.get("/cases", headers=as_user("enterprise", code, code)))
    assert "导出 CSV" not in mine.text
    # Paging keeps the filters.
    everything = page_of(client.get("/cases?kind=complaint", headers=SUPERVISOR))
    next_link = re.search(r'href="(/cases\?[^"]+)" rel="next"', everything.html)
    if next_link:
        assert "kind=complaint" in unescape(next_link.group(1))
    projects.register(client)
    bad = page_of(client.get("/projects?has_open_problems=maybe", headers=SUPERVISOR), 422)
    assert bad.by_id("filter-has_open_problems-error") == "错误：请选择有待解决的问题"


# --- the timeline and the audit trail --------------------------------------------------------


def test_the_timeline_shows_every_version_and_the_case_as_it_stood(
    client: TestClient, clock: Clock
) -> None:
    case_id = replied_case(client, clock)
    timeline = client.get(f"{API}/{case_id}/timeline", headers=inspector()).json()
    page = page_of(client.get(f"/cases/{case_id}/timeline", headers=INSPECTOR))
    versions = [int(v) for v in re.findall(r'<li class="versions__item" id="v([0-9]+)"', page.html)]
    assert versions == [e["version"] for e in reversed(timeline["entries"])] == [4, 3, 2, 1]
    assert page.by_id("v2").startswith("第 2 版：受理")
    assert "受理人员 clerk-1" in page.by_id("v2")
    assert 'type="range"' in page.html and page.labels()[0] == "版本"
    assert "截至时间" in page.labels()
    assert "data-bundle-download" in page.html  # the inspector's evidence bundle
    for version in (1, 2, 3):
        stood = page_of(
            client.get(f"/cases/{case_id}/timeline?version={version}", headers=INSPECTOR)
        )
        api = client.get(f"{API}/{case_id}?version={version}", headers=inspector()).json()
        assert stood.by_id("stood-title") == f"第 {version} 版时的案件"
        assert (
            re.search(r"data-stood-status>([^<]+)<", stood.html).group(1)
            == STATUS_NAMES[  # type: ignore[union-attr]
                api["status"]
            ]
        )
    # As of an instant (Beijing time, as the field shows it): between versions 2 and 3.
    second = next(e for e in timeline["entries"] if e["version"] == 2)
    from datetime import datetime

    local = datetime.fromisoformat(second["at"]).astimezone(
        client.app.state.services.app.calendar.timezone
    ) + timedelta(minutes=1)
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S")
    stood = page_of(client.get(f"/cases/{case_id}/timeline?as_of={stamp}", headers=INSPECTOR))
    assert "第 2 版" in stood.by_id("stood-title")
    assert re.search(r"data-stood-status>([^<]+)<", stood.html).group(1) == "已受理"  # type: ignore[union-attr]
    before = (local - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    stood = page_of(client.get(f"/cases/{case_id}/timeline?as_of={before}", headers=INSPECTOR))
    assert "该时间案件尚未登记" in stood.text
    bad = page_of(client.get(f"/cases/{case_id}/timeline?version=9", headers=INSPECTOR), 422)
    assert bad.by_id("tl-version-error") == "错误：版本须在 1 至 4 之间"
    bad = page_of(client.get(f"/cases/{case_id}/timeline?as_of=soon", headers=INSPECTOR), 422)
    assert bad.by_id("tl-as_of-error").startswith("错误：请输入日期和时间")
    # A supervisor reads it without the bundle; a clerk may not.
    assert (
        "data-bundle-download"
        not in page_of(client.get(f"/cases/{case_id}/timeline", headers=SUPERVISOR)).html
    )
    assert (
        client.get(f"/cases/{case_id}/timeline", headers=as_user("clerk", "c")).status_code == 403
    )
    assert (
        client.get(
            f"/cases/{'0' * 8}-0000-0000-0000-{'0' * 12}/timeline", headers=INSPECTOR
        ).status_code
        == 404
    )


def test_the_timeline_of_a_commitment(client: TestClient, clock: Clock) -> None:
    case = commitments.granted(client, clock)
    page = page_of(client.get(f"/commitments/{case['id']}/timeline", headers=INSPECTOR))
    assert page.by_id("v2").startswith("第 2 版：容缺受理")
    assert "已容缺受理" in page.by_id("v2")


def test_the_audit_trail_is_the_api_s_with_its_filters(client: TestClient, clock: Clock) -> None:
    case_id = replied_case(client, clock)
    position = latest_position(client)
    api = client.get(
        AUDIT, params={"case_id": case_id}, headers={**inspector(), "X-Min-Position": str(position)}
    ).json()["items"]
    page = page_of(client.get(f"/audit?case_id={case_id}", headers=INSPECTOR))
    rows = re.findall(r'<td class="numeric">([0-9]+)</td>\s*<td class="nowrap">', page.html)
    assert [int(p) for p in rows] == [item["position"] for item in api] and len(rows) == 4
    assert f'href="/cases/{case_id}/timeline"' in page.html
    by_actor = page_of(client.get(f"/audit?case_id={case_id}&actor=clerk-1", headers=INSPECTOR))
    assert (
        len(re.findall(r'<td class="numeric">[0-9]+</td>\s*<td class="nowrap">', by_actor.html))
        == 2
    )
    bad = page_of(client.get("/audit?case_id=not-a-case&from=soon", headers=INSPECTOR), 422)
    assert bad.by_id("filter-case_id-error") == "错误：请输入案件编号（UUID）"
    assert bad.by_id("filter-from-error").startswith("错误：请输入日期和时间")


def test_a_list_field_is_one_item_a_line_and_enterprises_have_no_record_pages(
    client: TestClient, clock: Clock
) -> None:
    case = commitments.granted(client, clock)
    cid, code = case["id"], case["code"]
    path = f"/commitments/{cid}"
    clerk_pages = as_user("clerk", "clerk-pages")
    page = page_of(client.get(path, headers=clerk_pages))
    assert "补交材料" in page.labels() or "材料" in page.labels()
    post_move(
        client, path, "supply", clerk_pages, 303, materials="施工图审查合格书\n\n中标通知书\n"
    )
    body = client.get(f"/api/v1/commitments/{cid}", headers=supervisor()).json()
    assert body["materials_supplied"] == ["施工图审查合格书", "中标通知书"]
    enterprise = as_user("enterprise", code, code)
    assert client.get(path, headers=enterprise).status_code == 403
    assert client.get(f"/commitments/{cid}/timeline", headers=enterprise).status_code == 403
