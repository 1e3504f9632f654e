"""What the supervisor's and the inspector's pages (issue 17) call the domain's values, in
Chinese (msgids, translated where shown: api/pages/i18n.py). The complaint's own names
(kinds, statuses, steps, events, roles) are part 1's, in api/pages/vocab.py; these are
the other case types', the warnings', the dashboard's and the timeline's.

A value no table names is shown as it is stored (`name_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from api.pages.i18n import N_

# The case types by the name the API and the audit trail use.
CASE_TYPES: Final[dict[str, str]] = {
    "complaint": N_("投诉举报"),
    "project": N_("重大项目"),
    "problem": N_("项目问题"),
    "commitment": N_("信用承诺"),
    "credit_repair": N_("信用修复"),
    "service_statistics": N_("政务服务统计"),
}
# The audit trail names aggregates (projections/audit_trail.py) as well.
AGGREGATES: Final[dict[str, str]] = {
    "Complaint": "complaint",
    "Project": "project",
    "ProjectProblem": "problem",
    "Commitment": "commitment",
    "CreditRepair": "credit_repair",
    "ServiceStatistics": "service_statistics",
}
# Where each case type's page is (the complaint's is part 1's /cases/{id}).
CASE_PATHS: Final[dict[str, str]] = {
    "complaint": "/cases",
    "project": "/projects",
    "problem": "/problems",
    "commitment": "/commitments",
    "credit_repair": "/credit-repairs",
}

# The steps a warning is about (projections/warnings.py), beyond the complaint's.
WARNING_STEPS: Final[dict[str, str]] = {
    "acceptance": N_("受理"),
    "transfer": N_("转办"),
    "handling": N_("部门办理"),
    "review": N_("审核"),
    "rating": N_("企业评价"),
    "resolution": N_("问题解决"),
    "materials": N_("补交材料"),
    "decision": N_("逾期处理"),
    "initial_review": N_("初审"),
    "re_review": N_("复审"),
}
WARNING_LEVELS: Final[dict[str, str]] = {"overdue": N_("已超期"), "due_soon": N_("即将到期")}
RESPONSIBLE: Final[dict[str, str]] = {
    "intake": N_("受理窗口"),
    "supervision": N_("监督人员"),
    "credit": N_("信用管理"),
}

PROJECT_CLASSES: Final[dict[str, str]] = {
    "never_stopped": N_("未停工"),
    "resumed": N_("已开复工"),
    "planning_to_resume": N_("拟开复工"),
    "newly_signed": N_("新签约"),
}
PROJECT_STATUSES: Final[dict[str, str]] = {"active": N_("推进中")}
PROBLEM_STATUSES: Final[dict[str, str]] = {
    "open": N_("待解决"),
    "escalated": N_("已提级"),
    "resolved": N_("已解决"),
    "unresolvable": N_("无法解决"),
}
PROBLEM_CATEGORIES: Final[dict[str, str]] = {
    "land": N_("用地"),
    "approval": N_("审批"),
    "financing": N_("融资"),
    "labour": N_("用工"),
    "logistics": N_("物流"),
    "supplies": N_("物资"),
    "other": N_("其他"),
}
COORDINATION_ROLES: Final[dict[str, str]] = {
    "coordinator": N_("协调员"),
    "informer": N_("信息员"),
    "liaison": N_("联络员"),
    "service_officer": N_("服务员"),
    "supervisor": N_("监督员"),
}
COMMITMENT_STATUSES: Final[dict[str, str]] = {
    "committed": N_("已承诺"),
    "granted": N_("已容缺受理"),
    "overdue": N_("逾期未补正"),
    "fulfilled": N_("已履约"),
    "breached": N_("已失信"),
    "exempted": N_("已免责"),
    "revoked": N_("已撤销"),
}
CREDIT_REPAIR_STATUSES: Final[dict[str, str]] = {
    "applied": N_("已申请"),
    "initially_reviewed": N_("已初审"),
    "re_reviewed": N_("已复审"),
    "submitted": N_("已报送"),
    "repaired": N_("已修复"),
    "refused": N_("不予修复"),
    "withdrawn": N_("已撤回"),
}
SEVERITIES: Final[dict[str, str]] = {
    "minor": N_("轻微"),
    "general": N_("一般"),
    "serious": N_("严重"),
}

# Each case type's statuses, by case type name.
STATUSES_OF: Final[dict[str, dict[str, str]]] = {
    "project": PROJECT_STATUSES,
    "problem": PROBLEM_STATUSES,
    "commitment": COMMITMENT_STATUSES,
    "credit_repair": CREDIT_REPAIR_STATUSES,
}

# The moves of the other case types (their URL segments), as buttons and in timelines.
MOVES: Final[dict[str, str]] = {
    "classify": N_("确定分类"),
    "assign-task-force": N_("指定推进专班"),
    "assign-officer": N_("指定首席服务员"),
    "assign-leader": N_("指定联系领导"),
    "join-task-force": N_("增加推进专班"),
    "leave-task-force": N_("撤出推进专班"),
    "join-officer": N_("增加首席服务员"),
    "leave-officer": N_("撤出首席服务员"),
    "join-leader": N_("增加联系领导"),
    "leave-leader": N_("撤出联系领导"),
    "note": N_("记录协调情况"),
    "escalate": N_("提级协调"),
    "resolve": N_("确认解决"),
    "declare-unresolvable": N_("确认无法解决"),
    "reopen": N_("重新办理"),
    "remind": N_("催办"),
    "grant": N_("容缺受理"),
    "epidemic-ended": N_("记录疫情结束"),
    "breach": N_("认定失信"),
    "exempt": N_("免责"),
    "revoke": N_("撤销"),
    "initial-review": N_("初审"),
    "re-review": N_("复审"),
    "submit": N_("报送信用中心"),
    "record-outcome": N_("记录终审结果"),
}

# Fields of the move forms (the body's field names), as labels.
FIELDS: Final[dict[str, str]] = {
    "note": N_("备注"),
    "reason": N_("理由"),
    "approved": N_("审核结果"),
    "classification": N_("分类"),
    "task_force": N_("推进专班"),
    "officer_id": N_("首席服务员（用户名）"),
    "leader": N_("联系领导"),
    "role": N_("身份"),
    "text": N_("协调情况"),
    "solution": N_("解决办法"),
    "working_days": N_("办理时限（工作日）"),
    "ended_on": N_("疫情结束日期"),
    "finding": N_("核查结论"),
    "passed": N_("审核结果"),
    "repaired": N_("终审结果"),
    "materials": N_("材料"),
}

# The timeline's events: the complaint's are in vocab.EVENTS; these are the others'.
EVENTS: Final[dict[str, str]] = {
    "Registered": N_("登记"),
    "Reclassified": N_("分类"),
    "TaskForceAssigned": N_("指定推进专班"),
    "TaskForceJoined": N_("增加推进专班"),
    "TaskForceLeft": N_("撤出推进专班"),
    "OfficerAssigned": N_("指定首席服务员"),
    "OfficerJoined": N_("增加首席服务员"),
    "OfficerLeft": N_("撤出首席服务员"),
    "LeaderAssigned": N_("指定联系领导"),
    "LeaderJoined": N_("增加联系领导"),
    "LeaderLeft": N_("撤出联系领导"),
    "Raised": N_("提出问题"),
    "Noted": N_("记录协调情况"),
    "Escalated": N_("提级"),
    "Resolved": N_("已解决"),
    "DeclaredUnresolvable": N_("确认无法解决"),
    "Reopened": N_("重新办理"),
    "DeadlineEscalated": N_("超期上报"),
    "Reminded": N_("催办"),
    "DeadlineRecomputed": N_("期限重新计算"),
    "Committed": N_("作出承诺"),
    "Granted": N_("容缺受理"),
    "MaterialsSupplied": N_("补交材料"),
    "EpidemicEnded": N_("疫情结束"),
    "Overdue": N_("逾期未补正"),
    "Fulfilled": N_("履约"),
    "Breached": N_("认定失信"),
    "Exempted": N_("免责"),
    "Revoked": N_("撤销"),
    "Applied": N_("提出申请"),
    "InitiallyReviewed": N_("初审"),
    "ReReviewed": N_("复审"),
    "Submitted": N_("报送信用中心"),
    "OutcomeRecorded": N_("终审结果"),
    "Withdrawn": N_("撤回"),
    "Recorded": N_("记录"),
    "Corrected": N_("更正"),
}

# The timeline's field names (the aggregate's attributes), for the changes table.
CHANGED_FIELDS: Final[dict[str, str]] = {
    "status": N_("状态"),
    "department": N_("承办部门"),
    "handling_due": N_("办理期限"),
    "acceptance_due": N_("受理期限"),
    "transfer_due": N_("转办期限"),
    "review_due": N_("审核期限"),
    "rating_due": N_("评价期限"),
    "reply": N_("答复内容"),
    "replied_at": N_("答复时间"),
    "rating": N_("评价"),
    "redo_count": N_("重办次数"),
    "supervision_count": N_("督办次数"),
    "closed_at": N_("办结时间"),
    "last_reason": N_("理由"),
    "urgent": N_("急事快办"),
    "classification": N_("分类"),
    "solution": N_("解决办法"),
    "due_at": N_("期限"),
    "escalated": N_("已提级"),
}


def name_of(table: Mapping[str, str], value: object) -> str:
    """The msgid for `value` in `table`, or the value itself (shown as stored)."""
    key = getattr(value, "value", value)
    return table.get(str(key), str(key)) if key is not None else ""
