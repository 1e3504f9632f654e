"""The 16 credit commitments (承诺即开工), each with its due and its path of moves."""

from __future__ import annotations

from typing import NamedTuple


class CommitmentSpec(NamedTuple):
    matter: str
    materials: tuple[str, ...]
    due: tuple[str, int]  # ("days", calendar days after the commitment) or ("epidemic", grace)
    path: str  # grant, supply:0+1 (materials by index), overdue, breach, exempt, revoke
    window: tuple[int, int]
    reason: str = ""  # of a breach, exemption or revocation
    finding: str = ""  # of a revocation


STATEMENT = (
    "本企业承诺已符合{matter}的审批条件，申报内容真实有效；所缺材料于约定期限内补齐，"
    "如有不实或未按期履诺，自愿承担撤销审批决定等法律责任并纳入信用记录。"
)

COMMITMENTS: tuple[CommitmentSpec, ...] = (
    CommitmentSpec(
        "食品经营许可", ("食品安全管理制度文本", "从业人员健康证明", "经营场所平面布局图"),
        ("days", 45), "grant supply:0+1 supply:2", (0, 30),
    ),
    CommitmentSpec(
        "建筑工程施工许可", ("施工图设计文件审查合格书", "工程质量安全监督手续", "施工合同"),
        ("epidemic", 20), "grant supply:0 supply:1 supply:2", (0, 20),
    ),
    CommitmentSpec(
        "排污许可证核发", ("环境影响评价批复文件", "污染防治设施验收报告"),
        ("days", 60), "grant supply:0+1", (0, 40),
    ),
    CommitmentSpec(
        "医疗器械生产许可（医用口罩转产）", ("产品检验报告", "洁净车间检测报告"),
        ("days", 30), "grant overdue supply:0+1", (0, 20),
    ),
    CommitmentSpec(
        "建设工程消防设计审查", ("消防设计文件", "建筑总平面图"),
        ("days", 40), "grant supply:0+1 revoke", (0, 20),
        reason="核查发现实际情况与承诺内容不符，撤销审批决定。",
        finding="现场核查发现实际建筑面积与承诺的消防设计文件不符，消防设施未按设计施工。",
    ),
    CommitmentSpec(
        "道路货物运输经营许可", ("车辆技术等级评定证明", "驾驶员从业资格证"),
        ("days", 30), "grant overdue breach", (0, 30),
        reason="逾期未补齐材料，经两次催告仍未提交，且非疫情原因，依法认定未履诺。",
    ),
    CommitmentSpec(
        "建设用地规划许可", ("国有建设用地使用权出让合同", "规划设计条件"),
        ("days", 30), "grant supply:0 overdue breach", (10, 40),
        reason="规划设计条件逾期未提交，企业已正常生产经营，不属于疫情影响，认定失信。",
    ),
    CommitmentSpec(
        "工业产品生产许可（防护服转产）", ("产品检验报告", "生产设备清单"),
        ("days", 30), "grant overdue exempt", (0, 25),
        reason="检验机构受疫情影响停工，企业无法如期取得检验报告，属疫情防控影响，"
        "暂不纳入失信记录，不实施失信联合惩戒。",
    ),
    CommitmentSpec(
        "药品经营许可", ("质量管理文件", "仓储设施验收报告"),
        ("epidemic", 15), "grant exempt", (0, 20),
        reason="企业所在地实行封闭管理，无法完成整改，属疫情防控影响，暂不纳入失信记录。",
    ),
    CommitmentSpec(
        "消毒产品生产企业卫生许可", ("生产车间检测报告", "产品配方及工艺说明"),
        ("days", 40), "grant revoke", (10, 40),
        reason="核查发现不符合审批条件，撤销卫生许可。",
        finding="现场核查发现生产车间不具备承诺的洁净条件，消毒产品检验不合格。",
    ),
    CommitmentSpec(
        "建筑工程竣工验收备案", ("工程竣工验收报告", "质量保修书"),
        ("days", 30), "grant overdue", (30, 55),
    ),
    CommitmentSpec(
        "危险化学品经营许可", ("安全评价报告", "安全管理制度", "从业人员培训合格证明"),
        ("days", 40), "grant supply:0 overdue", (25, 45),
    ),
    CommitmentSpec(
        "建设项目环境影响评价审批", ("环境影响报告表", "公众参与说明"),
        ("epidemic", 30), "grant", (5, 40),
    ),
    CommitmentSpec(
        "人防工程建设审批", ("人防工程施工图", "易地建设费缴纳凭证"),
        ("epidemic", 40), "grant supply:0", (5, 50),
    ),
    CommitmentSpec(
        "城镇污水排入排水管网许可", ("排水户内部管网图", "水质检测报告"),
        ("days", 120), "grant supply:0", (50, 80),
    ),
    CommitmentSpec(
        "取水许可", ("水资源论证报告", "取水工程设计文件"),
        ("days", 60), "", (98, 98),
    ),
)  # fmt: skip
