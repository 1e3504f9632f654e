"""The penalties behind the 38 credit-repair applications, and their outcomes."""

from __future__ import annotations

from typing import NamedTuple

from domain.credit_repair import Severity


class Penalty(NamedTuple):
    authority: str  # "{city}" is the city's name
    abbr: str  # in the decision number
    severity: Severity
    proof: str


PENALTIES = (
    Penalty("{city}市市场监督管理局", "市监", Severity.MINOR,
             "已补报并公示年度报告，罚款已缴清，相关违法行为已纠正。"),
    Penalty("{city}市市场监督管理局", "市监", Severity.GENERAL,
             "已下架全部涉事预包装食品并足额缴纳罚款，完善了进货查验制度。"),
    Penalty("{city}市生态环境局", "环", Severity.GENERAL,
             "已完成废气治理设施改造，经第三方检测达标排放，罚款已缴清。"),
    Penalty("{city}市应急管理局", "应急", Severity.MINOR,
             "已组织全员安全生产培训并考核合格，罚款已缴清。"),
    Penalty("国家税务总局{city}市税务局", "税", Severity.MINOR,
             "已补办纳税申报，税款、滞纳金和罚款均已缴清。"),
    Penalty("{city}市住房和城乡建设局", "建", Severity.GENERAL,
             "已补办施工许可手续并缴纳罚款，项目已合法施工。"),
    Penalty("{city}市交通运输局", "交", Severity.MINOR,
             "罚款已缴清，车辆已加装称重监控装置，杜绝超限运输。"),
    Penalty("{city}市消防救援支队", "消", Severity.GENERAL,
             "已更换失效消防设施并通过消防救援机构复查。"),
    Penalty("{city}市市场监督管理局", "市监", Severity.SERIOUS,
             "已召回全部不合格产品，罚款已缴清，整改报告已提交。"),
)  # fmt: skip

# 38 applications, as in the release: every one reviewed within 1 working day and
# repaired (the other paths stay in oversight/demo/planners/credit_repair.py for
# other data sets).
REPAIR_OUTCOMES = ("repaired",) * 38
