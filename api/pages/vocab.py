"""What the pages call the domain's values, in Chinese (translated where shown).

The issue fixes the visible names of kinds, statuses, ratings and moves: they are the
msgids here, so the contract is visible in the code (tests/http/test_pages.py checks
each name on the pages). A value the tables do not name is shown as it is stored.
"""

from __future__ import annotations

from typing import Final

from api.pages.i18n import N_
from domain.complaint import Status
from domain.values import Kind, Rating, Role

KINDS: Final[dict[str, str]] = {
    Kind.COMPLAINT: N_("投诉"),
    Kind.APPEAL: N_("诉求"),
    Kind.REPORT: N_("举报"),
}
# The order the lodging form offers them in.
KIND_ORDER: Final[tuple[Kind, ...]] = (Kind.COMPLAINT, Kind.APPEAL, Kind.REPORT)
# A case number's prefix by kind (TS: 投诉, SQ: 诉求, JB: 举报), see `case_number`.
KIND_PREFIX: Final[dict[str, str]] = {Kind.COMPLAINT: "TS", Kind.APPEAL: "SQ", Kind.REPORT: "JB"}

STATUSES: Final[dict[str, str]] = {
    Status.LODGED: N_("已登记"),
    Status.ACCEPTED: N_("已受理"),
    Status.REJECTED: N_("不予受理"),
    Status.TRANSFERRED: N_("已转办"),
    Status.REPLIED: N_("已答复"),
    Status.AWAITING_RATING: N_("待评价"),
    Status.CLOSED: N_("已办结"),
    Status.WITHDRAWN: N_("已撤回"),
}

# The five levels, best first, as the rating form lists them.
RATINGS: Final[dict[str, str]] = {
    Rating.VERY_SATISFIED: N_("非常满意"),
    Rating.SATISFIED: N_("满意"),
    Rating.BASICALLY_SATISFIED: N_("基本满意"),
    Rating.UNSATISFIED: N_("不满意"),
    Rating.VERY_UNSATISFIED: N_("非常不满意"),
    "not_rated": N_("未评价"),
}

# The step a case waits on (domain/complaint.py STEP_OF), as "当前环节".
STEPS: Final[dict[str, str]] = {
    "acceptance": N_("受理"),
    "transfer": N_("转办"),
    "handling": N_("部门办理"),
    "review": N_("审核"),
    "rating": N_("企业评价"),
}

ROLES: Final[dict[str, str]] = {
    Role.ENTERPRISE: N_("企业"),
    Role.CLERK: N_("受理人员"),
    Role.DEPARTMENT: N_("承办部门"),
    Role.SUPERVISOR: N_("监督人员"),
    Role.INSPECTOR: N_("审计人员"),
    Role.ADMIN: N_("管理员"),
    Role.SERVICE_OFFICER: N_("首席服务员"),
    Role.SYSTEM: N_("系统"),
}

CHANNELS: Final[dict[str, str]] = {
    "web": N_("网站"),
    "app": N_("移动端"),
    "hotline": N_("热线"),
    "window": N_("窗口"),
    "letter": N_("信函"),
    "email": N_("电子邮件"),
}

# Complaint categories the lodging form offers (the codes the demo and the API use).
# Issue 15 makes categories reference data managed by administrators; until the pages
# read them from there, this is the list (docs/pages.md).
CATEGORIES: Final[dict[str, str]] = {
    "approval": N_("行政审批"),
    "policy": N_("政策落实"),
    "registration": N_("登记注册"),
    "utilities": N_("水电气暖"),
    "land": N_("用地规划"),
    "labour": N_("用工社保"),
    "finance": N_("融资信贷"),
    "logistics": N_("交通物流"),
    "resumption": N_("复工复产"),
    "supplies": N_("物资保障"),
    "conduct": N_("工作作风"),
    "other": N_("其他"),
}

# What each event of a complaint's course says happened.
EVENTS: Final[dict[str, str]] = {
    "Lodged": N_("提交"),
    "Accepted": N_("受理"),
    "Rejected": N_("不予受理"),
    "Transferred": N_("转办"),
    "SentBack": N_("退回"),
    "ExtensionRequested": N_("申请延期"),
    "ExtensionDecided": N_("延期审批"),
    "Replied": N_("答复"),
    "Reviewed": N_("审核"),
    "Rated": N_("评价"),
    "Supervised": N_("督办"),
    "Withdrawn": N_("撤回"),
    "Closed": N_("办结"),
    "ClosedUnrated": N_("逾期未评价，办结"),
    "Reminded": N_("催办"),
    "Escalated": N_("超期上报"),
    "DeadlineRecomputed": N_("办理时限重新计算"),
}


def label(table: dict[str, str], value: object) -> str:
    """The name of `value` in `table` (the msgid), or the value itself."""
    key = getattr(value, "value", value)
    return table.get(str(key), str(key)) if key is not None else ""
