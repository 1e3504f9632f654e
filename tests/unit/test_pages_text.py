"""What the web pages say (issue 16), without a server: deadlines in working days, the
English catalogue, the language a request gets, errors in words, case numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from jinja2 import Environment

from api.pages import i18n, vocab
from api.pages.case_view import case_number
from api.pages.catalogue import missing
from api.pages.deadlines import DUE_SOON, ON_TIME, OVERDUE, deadline_state, working_days_after
from api.pages.forms import Field, message_for
from api.pages.render import ENVIRONMENT, format_instant, safe_next
from domain.calendar import WorkingCalendar

CAL = WorkingCalendar()
BEIJING = timezone(timedelta(hours=8))


def beijing(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BEIJING)


def close_of(y: int, m: int, d: int) -> datetime:
    return datetime.combine(datetime(y, m, d).date(), time(17, 30), tzinfo=BEIJING)


# --- deadlines ----------------------------------------------------------------------------


def test_working_days_left_count_the_days_after_today_up_to_the_deadline() -> None:
    # Wednesday 2024-09-18 is a working day after the Mid-Autumn break (15-17 Sept)
    state = deadline_state(CAL, close_of(2024, 9, 23), beijing(2024, 9, 18))
    assert (state.state, state.working_days) == (ON_TIME, 3)  # Thu, Fri, Mon
    state = deadline_state(CAL, close_of(2024, 9, 20), beijing(2024, 9, 19))
    assert (state.state, state.working_days) == (DUE_SOON, 1)
    state = deadline_state(CAL, close_of(2024, 9, 19), beijing(2024, 9, 19, 17, 29))
    assert (state.state, state.working_days) == (DUE_SOON, 0)  # due today


def test_overdue_by_working_days_not_calendar_days() -> None:
    state = deadline_state(CAL, close_of(2024, 9, 23), beijing(2024, 9, 25))
    assert (state.state, state.working_days) == (OVERDUE, 2)  # Tue, Wed
    state = deadline_state(CAL, close_of(2024, 9, 23), beijing(2024, 9, 23, 17, 31))
    assert (state.state, state.working_days) == (OVERDUE, 0)  # passed earlier today
    # Over National Day 2024: 1-7 October off, Sunday 29 Sept and Saturday 12 Oct worked
    state = deadline_state(CAL, close_of(2024, 9, 27), beijing(2024, 10, 12))
    assert (state.state, state.working_days) == (OVERDUE, 7)  # 29, 30 Sept; 8-12 Oct
    assert working_days_after(CAL, datetime(2024, 9, 28).date(), datetime(2024, 9, 30).date()) == 2
    assert working_days_after(CAL, datetime(2024, 9, 30).date(), datetime(2024, 9, 30).date()) == 0


def test_a_deadline_is_shown_in_beijing_time_whatever_the_instant_s_zone() -> None:
    due = datetime(2024, 9, 24, 9, 30, tzinfo=UTC)  # 17:30 in Beijing
    state = deadline_state(CAL, due, datetime(2024, 9, 23, 2, tzinfo=UTC))
    assert state.due.utcoffset() == timedelta(hours=8)
    assert format_instant("zh-CN", state.due, CAL.timezone) == "2024年9月24日 17:30"
    assert format_instant("en", state.due, CAL.timezone) == "24 Sep 2024 17:30"
    assert format_instant("zh-CN", due, CAL.timezone, with_time=False) == "2024年9月24日"


def _deadline_text(lang: str, state: Any) -> str:
    template = ENVIRONMENT.from_string("{{ state|deadline }}")
    return template.render(lang=lang, tz=CAL.timezone, state=state)


def test_the_deadline_in_words_in_both_languages() -> None:
    cases = [
        (close_of(2024, 9, 23), beijing(2024, 9, 18), "还剩 3 个工作日", "3 working days left"),
        (close_of(2024, 9, 20), beijing(2024, 9, 19), "还剩 1 个工作日", "1 working day left"),
        (close_of(2024, 9, 19), beijing(2024, 9, 19), "今天到期", "due today"),
        (
            close_of(2024, 9, 23),
            beijing(2024, 9, 25),
            "已超期 2 个工作日",
            "overdue by 2 working days",
        ),
        (
            close_of(2024, 9, 23),
            beijing(2024, 9, 24),
            "已超期 1 个工作日",
            "overdue by 1 working day",
        ),
        (close_of(2024, 9, 23), beijing(2024, 9, 23, 18), "今天已超期", "overdue since today"),
    ]
    for due, now, zh, en in cases:
        state = deadline_state(CAL, due, now)
        assert _deadline_text("zh-CN", state) == zh
        assert _deadline_text("en", state) == en


# --- languages -----------------------------------------------------------------------------


def test_every_text_of_the_pages_has_its_english() -> None:
    """`python -m api.pages.catalogue` adds new texts to the .po; each needs its English."""
    gaps = missing()
    assert not gaps, f"{len(gaps)} texts without English, e.g. {gaps[:10]}"


def test_every_name_of_the_domain_s_values_is_translated() -> None:
    for table in (
        vocab.KINDS,
        vocab.STATUSES,
        vocab.RATINGS,
        vocab.STEPS,
        vocab.ROLES,
        vocab.EVENTS,
    ):
        for msgid in table.values():
            assert i18n.gettext("en", msgid) != msgid, msgid
            assert i18n.gettext("zh-CN", msgid) == msgid


def test_the_issue_s_names_are_the_chinese_ones() -> None:
    assert list(vocab.KINDS.values()) == ["投诉", "诉求", "举报"]
    assert set(vocab.STATUSES.values()) == {
        "已登记", "已受理", "不予受理", "已转办", "已答复", "待评价", "已办结", "已撤回",
    }  # fmt: skip
    assert list(vocab.RATINGS.values())[:5] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]


@pytest.mark.parametrize(
    ("cookie", "header", "lang"),
    [
        (None, None, "zh-CN"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, "fr-FR, en;q=0.5", "en"),
        (None, "fr-FR, de;q=0.5", "zh-CN"),
        (None, "en;q=0.2, zh;q=0.9", "zh-CN"),
        (None, "en;q=0", "zh-CN"),
        (None, "garbage;;;q=x,,", "zh-CN"),
        ("en", "zh-CN", "en"),
        ("zh-CN", "en", "zh-CN"),
        ("klingon", "en", "en"),
    ],
)
def test_the_language_of_a_request(cookie: str | None, header: str | None, lang: str) -> None:
    cookies = {i18n.LANG_COOKIE: cookie} if cookie else {}
    assert i18n.negotiate(cookies, header) == lang


def test_a_translated_text_escapes_what_it_fills_in() -> None:
    env = Environment(autoescape=True)
    i18n.install(env)
    out = env.from_string('{{ _("请填写%(label)s", label=x) }}').render(lang="en", x="<b>")
    assert out == "Enter &lt;b&gt;"


# --- errors in words --------------------------------------------------------------------------

FORM = (
    Field("title", "标题"),
    Field("kind", "类型", "radios"),
    Field("working_days", "办理时限", "number", required=False),
    Field("department", "承办部门"),
    Field("credit_code", "统一社会信用代码"),
)


CREDIT_CODE_EN = (
    "A unified social credit code has 18 digits or capital letters,"
    " and its last character is its check character"
)
DEPARTMENT_EN = "Enter a department code: letters, digits, dots, underscores and hyphens only"
RULES_IN_WORDS = [
    ("title", "Expected `str` of length >= 1", "请填写标题", "Enter title"),
    ("title", "must not be only whitespace", "请填写标题", "Enter title"),
    (
        "title",
        "Expected `str` of length <= 200",
        "标题不能超过 200 个字",
        "title must be 200 characters or fewer",
    ),
    ("kind", "Object missing required field `kind`", "请选择类型", "Choose type"),
    ("kind", "Invalid enum value 'x'", "请选择类型", "Choose type"),
    (
        "working_days",
        "Expected `int | null`, got `str`",
        "办理时限须为整数，例如 10",
        "time limit must be a whole number, like 10",
    ),
    (
        "working_days",
        "Expected `int` <= 365",
        "办理时限不能大于 365",
        "time limit must be 365 or less",
    ),
    (
        "working_days",
        "at most 30 working days",
        "办理时限最多 30 个工作日",
        "time limit can be at most 30 working days",
    ),
    (
        "department",
        "Expected `str` matching regex '^[A-Za-z0-9_.-]+$'",
        "请输入部门代码，只能包含字母、数字、点、下划线和连字符",
        DEPARTMENT_EN,
    ),
    (
        "credit_code",
        "check character 'X' does not match",
        "统一社会信用代码应为 18 位数字或大写字母，且最后一位校验码正确",
        CREDIT_CODE_EN,
    ),
    ("title", "something new", "标题：something new", "title: something new"),
]


@pytest.mark.parametrize(("field", "rule", "zh", "en"), RULES_IN_WORDS)
def test_the_api_s_rules_in_words(field: str, rule: str, zh: str, en: str) -> None:
    assert message_for("zh-CN", FORM, {"field": field, "rule": rule}).message == zh
    assert message_for("en", FORM, {"field": field, "rule": rule}).message == en
    assert (
        message_for("zh-CN", FORM, {"field": f"complainant.{field}", "rule": rule}).field == field
    )


# --- small things ---------------------------------------------------------------------------


def test_the_next_page_is_always_one_of_ours() -> None:
    assert safe_next("/cases?cursor=x") == "/cases?cursor=x"
    for bad in (
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "",
        None,
        "cases",
        "/a\nb",
    ):
        assert safe_next(bad) == "/"


def test_a_case_number_is_its_kind_day_and_id() -> None:
    case_id = UUID("1a2b3c4d-0000-4000-8000-000000000000")
    lodged = datetime(2024, 9, 22, 17, 0, tzinfo=UTC)  # 01:00 on the 23rd in Beijing
    assert case_number(case_id, "complaint", lodged, CAL) == "TS20240923-1A2B3C4D"
    assert case_number(case_id, "appeal", lodged, CAL).startswith("SQ")
    assert case_number(case_id, "report", lodged, CAL).startswith("JB")
