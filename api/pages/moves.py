"""The moves a case page offers, as forms: which fields each asks for, its button, and
whether the person looking at the case may make it now.

"May make it now" is the domain's own table (domain/complaint.py MOVE_ROLES, MOVE_FROM)
plus the checks its commands make of the actor (the department the case is with, the
enterprise that lodged it, no extension request already pending), so a page never
offers a button the application would refuse; the application still decides.

Issue 17 (the supervisor's pages) adds review, supervise, close and decide-extension
here: one entry each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from api.pages.forms import Field
from api.pages.i18n import N_
from api.pages.vocab import RATINGS
from domain.complaint import MOVE_FROM, MOVE_ROLES, Complaint
from domain.values import Actor, Rating, Role

REASON = Field("reason", N_("理由"), "textarea", hint=N_("这段文字会记入案件的办理经过"))


def _with_department(case: Complaint, actor: Actor) -> bool:
    return actor.org is not None and actor.org == case.department


def _lodger(case: Complaint, actor: Actor) -> bool:
    return actor.org is not None and actor.org == case.complainant.credit_code


def _extension_pending(case: Complaint, actor: Actor) -> bool:
    return case.extension_requested is not None


def _no_pending_extension(case: Complaint, actor: Actor) -> bool:
    return _with_department(case, actor) and case.extension_requested is None


@dataclass(frozen=True)
class PageMove:
    name: str  # the domain's move (its URL segment in the API)
    button: str  # msgid: the button, also the form's heading
    done: str  # msgid: what the page says after it
    fields: tuple[Field, ...] = ()
    style: str = "primary"  # primary, secondary, warning
    # A check of the actor beyond role and status (the domain's own).
    allowed: Callable[[Complaint, Actor], bool] | None = None
    hint: str | None = None  # msgid: a sentence above the fields


MOVES: Final[tuple[PageMove, ...]] = (
    PageMove("accept", N_("受理"), N_("已受理")),
    PageMove("reject", N_("不予受理"), N_("已决定不予受理"), (REASON,), "warning"),
    PageMove(
        "transfer",
        N_("转办"),
        N_("已转办"),
        (
            Field(
                "department", N_("承办部门"), hint=N_("承办部门的代码，例如 hlj-fgw"), width="w-20"
            ),
            Field(
                "working_days",
                N_("办理时限"),
                "number",
                required=False,
                hint=N_("工作日数。不填写则按规定的办理时限计算"),
                width="w-5",
            ),
        ),
    ),
    PageMove("reply", N_("答复"), N_("已答复"), (Field("answer", N_("答复内容"), "textarea"),)),
    PageMove(
        "request-extension",
        N_("申请延期"),
        N_("已申请延期"),
        (
            Field("working_days", N_("延长的工作日数"), "number", width="w-5"),
            REASON,
        ),
        "secondary",
        _no_pending_extension,
    ),
    PageMove("send-back", N_("退回"), N_("已退回"), (REASON,), "warning", _with_department),
    PageMove(
        "rate",
        N_("提交评价"),
        N_("已提交评价"),
        (
            Field(
                "rating",
                N_("您对办理结果是否满意？"),
                "radios",
                options=tuple((r.value, RATINGS[r]) for r in Rating),
            ),
            Field("comment", N_("评价意见"), "textarea", required=False),
        ),
        allowed=_lodger,
        hint=N_("选择不满意或非常不满意，案件将退回承办部门重新办理。"),
    ),
    PageMove(
        "withdraw",
        N_("撤回"),
        N_("已撤回"),
        (REASON,),
        "warning",
        _lodger,
        hint=N_("撤回后案件即终止办理，不能恢复。"),
    ),
    # Issue 17: the supervisor's moves.
    PageMove(
        "review",
        N_("审核"),
        N_("已审核"),
        (
            Field(
                "approved",
                N_("审核结果"),
                "radios",
                options=(("true", N_("通过")), ("false", N_("重办"))),
            ),
            Field(
                "note",
                N_("审核意见"),
                "textarea",
                required=False,
                hint=N_("选择重办时必须填写：写明需要重新办理的内容"),
            ),
        ),
        hint=N_("审核承办部门的答复：通过后请企业评价；重办则退回承办部门重新办理。"),
    ),
    PageMove(
        "decide-extension",
        N_("审批延期"),
        N_("已审批延期申请"),
        (
            Field(
                "approved",
                N_("审批结果"),
                "radios",
                options=(("true", N_("批准")), ("false", N_("不批准"))),
            ),
            Field("note", N_("备注"), "textarea", required=False),
        ),
        "secondary",
        _extension_pending,
    ),
    PageMove(
        "supervise",
        N_("督办"),
        N_("已督办"),
        (Field("note", N_("督办意见"), "textarea"),),
        "secondary",
    ),
    PageMove(
        "close",
        N_("办结"),
        N_("已办结"),
        (Field("note", N_("备注"), "textarea", required=False),),
        hint=N_("企业尚未评价时，可由监督人员办结案件。"),
    ),
)
BY_NAME: Final[dict[str, PageMove]] = {m.name: m for m in MOVES}
# The moves of a department that only the department the case is with may make.
_DEPARTMENT_MOVES = frozenset({"reply", "request-extension", "send-back"})


def may_make(move: PageMove, case: Complaint, actor: Actor) -> bool:
    if actor.role not in MOVE_ROLES[move.name] or case.status not in MOVE_FROM[move.name]:
        return False
    if move.name in _DEPARTMENT_MOVES and not _with_department(case, actor):
        return False
    return move.allowed is None or move.allowed(case, actor)


def available(case: Complaint, actor: Actor) -> list[PageMove]:
    """The moves `actor` may make on `case` now, in the order the page shows them."""
    if actor.role in (Role.INSPECTOR, Role.ADMIN):
        return []
    return [m for m in MOVES if may_make(m, case, actor)]


def body_values(move: PageMove, form: Mapping[str, str]) -> dict[str, Any]:
    """A move form's values shaped as the move's body: empty optional fields left out."""
    values: dict[str, Any] = {}
    for field in move.fields:
        raw = form.get(field.name, "")
        if field.widget == "checkbox":
            values[field.name] = raw == "on"
        elif raw.strip() == "" and not field.required:
            continue
        elif raw == "" and field.widget in ("radios", "select"):
            continue  # nothing chosen: the body's own "missing" error
        else:
            values[field.name] = raw.strip() if field.widget == "number" else raw
    return values
