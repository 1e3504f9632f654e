"""The 24 projects described one by one with their problems, what the 176 generated ones
are drawn from, and the release's figures for the projects that those make up."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from domain.project import Classification, CoordinationRole, ProblemCategory

NS, RS, PL, NEW = (
    Classification.NEVER_STOPPED,
    Classification.RESUMED,
    Classification.PLANNING_TO_RESUME,
    Classification.NEWLY_SIGNED,
)
LAND, APPROVAL, FINANCING, LABOUR, LOGISTICS, SUPPLIES, OTHER = (
    ProblemCategory.LAND,
    ProblemCategory.APPROVAL,
    ProblemCategory.FINANCING,
    ProblemCategory.LABOUR,
    ProblemCategory.LOGISTICS,
    ProblemCategory.SUPPLIES,
    ProblemCategory.OTHER,
)


class ProblemSpec(NamedTuple):
    category: ProblemCategory
    description: str
    raised_by: str  # "enterprise", "officer" or "clerk"
    path: str  # note, escalate, resolve, unresolvable, reopen
    outcome: str = ""  # the solution, or why it cannot be solved
    second: str = ""  # after a reopening: the reason, then "|" and the second solution


class ProjectSpec(NamedTuple):
    name: str
    city: str
    sector: str
    industry: str  # the investor's line of business
    yi: str  # investment in 亿元 (100 million yuan)
    classes: tuple[tuple[Classification | None, int], ...]  # (class, working days later)
    window: tuple[int, int]  # the working days it may be registered on
    leader: str | None
    problems: tuple[ProblemSpec, ...] = ()
    replace_officer: bool = False


PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        "哈尔滨新区智能装备产业园项目", "哈尔滨", "装备制造", "装备制造", "35",
        ((PL, 0), (RS, 8)), (0, 5), "哈尔滨市人民政府副市长",
        (
            ProblemSpec(
                LABOUR, "受疫情影响外省技术工人返岗困难，用工缺口约200人。", "enterprise",
                "note resolve",
                "人社部门组织专场线上招聘会，协调包车接回外省技术工人186人，用工缺口基本解决。",
            ),
            ProblemSpec(
                LOGISTICS, "关键设备从江苏厂家发货，途经多地检疫站通行受阻。", "officer",
                "resolve", "协调交通运输部门办理重点物资运输通行证，设备已运抵现场。",
            ),
        ),
    ),
    ProjectSpec(
        "哈尔滨冰雪大世界配套酒店群项目", "哈尔滨", "文化旅游", "旅游开发", "18",
        ((PL, 0),), (0, 10), "哈尔滨市营商环境建设监督局局长",
        (
            ProblemSpec(
                FINANCING, "项目贷款审批受疫情影响暂停，续建资金缺口约3亿元。", "enterprise",
                "note escalate",
            ),
        ),
    ),
    ProjectSpec(
        "哈尔滨生物医药产业园二期项目", "哈尔滨", "生物医药", "生物科技", "12",
        ((NS, 0),), (0, 3), "哈尔滨市人民政府副市长",
        (
            ProblemSpec(
                SUPPLIES, "生产防疫物资所需熔喷布、消毒液原料短缺。", "officer",
                "note resolve", "工信部门协调省内熔喷布生产企业优先保障供应，首批5吨已到货。",
            ),
            ProblemSpec(
                APPROVAL, "新增消毒产品生产线需办理卫生许可，申请特事特办。", "enterprise",
                "resolve", "开通应急审批绿色通道，按承诺制办理，2个工作日内核发许可。",
            ),
        ),
    ),
    ProjectSpec(
        "哈尔滨综合保税区跨境电商物流中心项目", "哈尔滨", "现代物流", "跨境贸易", "8.6",
        ((NEW, 0),), (40, 60), "哈尔滨市人民政府副市长",
        (
            ProblemSpec(
                LAND, "项目用地尚未完成土地征收，无法办理用地手续。", "enterprise", "note",
            ),
        ),
    ),
    ProjectSpec(
        "哈尔滨哈南大数据中心项目", "哈尔滨", "数字经济", "信息技术", "22",
        ((PL, 0), (RS, 12)), (0, 8), "哈尔滨市营商环境建设监督局局长",
        (
            ProblemSpec(
                OTHER, "双回路供电接入方案审批进度慢，影响机房建设。", "officer",
                "escalate resolve", "联系领导召集供电公司专题会商，供电方案已批复。",
            ),
        ),
        replace_officer=True,
    ),
    ProjectSpec(
        "哈尔滨松北新能源汽车零部件项目", "哈尔滨", "汽车零部件", "汽车零部件", "15",
        ((NEW, 0),), (30, 55), None,
        (
            ProblemSpec(
                APPROVAL, "签约后项目备案、环评、能评需同步推进，申请并联审批。", "officer",
                "note",
            ),
        ),
    ),
    ProjectSpec(
        "齐齐哈尔重型数控机床智能化改造项目", "齐齐哈尔", "装备制造", "装备制造", "6.8",
        ((PL, 0), (RS, 5)), (0, 6), "齐齐哈尔市人民政府副市长",
        (
            ProblemSpec(
                FINANCING, "技改资金缺口，申请省级技术改造专项资金支持。", "enterprise",
                "note resolve", "协调工信部门纳入省级技改项目库，专项资金已拨付。",
            ),
        ),
    ),
    ProjectSpec(
        "齐齐哈尔年产30万吨玉米淀粉深加工项目", "齐齐哈尔", "农产品加工", "粮食加工", "9.5",
        ((NS, 0),), (0, 5), "齐齐哈尔市人民政府副市长",
        (
            ProblemSpec(
                LOGISTICS, "原料玉米收购运输受卡口限制，库存仅够生产7天。", "enterprise",
                "resolve", "协调开通粮食运输绿色通道，原料运输恢复正常。",
            ),
        ),
    ),
    ProjectSpec(
        "齐齐哈尔风电装备制造基地项目", "齐齐哈尔", "新能源", "电力设备", "14",
        ((PL, 0),), (5, 15), "齐齐哈尔市营商环境建设监督局局长",
        (
            ProblemSpec(
                LABOUR, "施工队伍中外省工人返岗需核酸检测证明，检测预约困难。", "officer",
                "note note",
            ),
        ),
    ),
    ProjectSpec(
        "牡丹江中俄木材精深加工园区项目", "牡丹江", "木材加工", "木业", "5.2",
        ((PL, 0), (RS, 10)), (0, 8), "牡丹江市人民政府副市长",
        (
            ProblemSpec(
                LOGISTICS, "俄罗斯进口原木受口岸防疫措施影响，通关时间延长。", "enterprise",
                "escalate resolve", "联系领导协调海关开辟绿色通道，通关时间由7天压缩至2天。",
            ),
            ProblemSpec(
                FINANCING, "出口订单减少，申请贷款延期偿还。", "enterprise",
                "resolve reopen resolve", "协调银行办理贷款展期3个月。",
                "企业反映展期后利率上浮，问题未实际解决。"
                "|协调银行按原利率办理展期，并纳入复工复产专项贷款名单。",
            ),
        ),
    ),
    ProjectSpec(
        "牡丹江镜泊湖旅游度假区提档升级项目", "牡丹江", "文化旅游", "旅游开发", "7.5",
        ((PL, 0),), (5, 20), "牡丹江市人民政府副市长",
        (
            ProblemSpec(
                APPROVAL, "景区改造涉及林地占用，需报省级审批。", "officer", "escalate",
            ),
        ),
    ),
    ProjectSpec(
        "绥芬河口岸物流仓储项目", "牡丹江", "现代物流", "物流", "4.3",
        ((NEW, 0),), (45, 65), None,
    ),
    ProjectSpec(
        "佳木斯水稻全产业链加工项目", "佳木斯", "农产品加工", "米业", "6",
        ((NS, 0),), (0, 5), "佳木斯市人民政府副市长",
        (
            ProblemSpec(
                SUPPLIES, "春耕备耕期间包装材料和防疫物资供应紧张。", "enterprise",
                "resolve", "协调供应企业优先保障，包装材料和口罩、消毒液已到货。",
            ),
        ),
    ),
    ProjectSpec(
        "同江口岸综合物流园项目", "佳木斯", "现代物流", "物流", "3.8",
        ((NEW, 0), (PL, 20), (RS, 45)), (0, 10), "佳木斯市营商环境建设监督局局长",
        (
            ProblemSpec(
                APPROVAL, "口岸配套设施建设需多部门联合验收。", "officer",
                "note resolve", "组织海关、交通、住建等部门联合验收，一次性通过。",
            ),
        ),
    ),
    ProjectSpec(
        "大庆石化炼油结构调整转型升级项目", "大庆", "石油化工", "石化科技", "95",
        ((NS, 0),), (0, 3), "大庆市人民政府副市长",
        (
            ProblemSpec(
                LABOUR, "检修期外地施工人员集中进场，需集中健康监测。", "officer",
                "resolve", "协调卫健部门设立进场人员健康监测点，施工人员分批有序进场。",
            ),
            ProblemSpec(
                LOGISTICS, "大型设备超限运输许可办理时间长。", "enterprise",
                "resolve", "交通运输部门按承诺制当日核发超限运输许可。",
            ),
        ),
        replace_officer=True,
    ),
    ProjectSpec(
        "大庆高新区聚碳酸酯新材料项目", "大庆", "新材料", "新材料科技", "28",
        ((PL, 0), (RS, 7)), (0, 6), "大庆市人民政府副市长",
        (
            ProblemSpec(
                LAND, "项目二期用地规划调整尚未批复。", "enterprise",
                "escalate resolve", "联系领导召开专题会，规划调整方案已批复。",
            ),
            ProblemSpec(
                APPROVAL, "危险化学品建设项目安全条件审查排队时间长，申请简化程序。", "clerk",
                "unresolvable",
                "企业安全评价报告存在重大缺陷须重新编制，依法不能简化审查程序，已指导企业整改。",
            ),
        ),
    ),
    ProjectSpec(
        "大庆光伏发电平价上网项目", "大庆", "新能源", "电力设备", "11",
        ((NEW, 0),), (35, 60), "大庆市营商环境建设监督局局长",
        (
            ProblemSpec(
                LAND, "光伏用地涉及草原，需办理草原征占用手续。", "officer", "note",
            ),
        ),
    ),
    ProjectSpec(
        "大庆乳制品加工扩建项目", "大庆", "食品加工", "乳业", "4.6",
        ((RS, 0),), (0, 10), None,
        (
            ProblemSpec(
                FINANCING, "奶源收购资金紧张，申请纳入复工复产重点企业名单获得优惠贷款。",
                "enterprise", "resolve", "已纳入重点企业名单，优惠贷款3000万元已发放。",
            ),
        ),
    ),
    ProjectSpec(
        "鸡西石墨负极材料产业化项目", "鸡西", "新材料", "石墨科技", "16",
        ((PL, 0),), (5, 15), "鸡西市人民政府副市长",
        (
            ProblemSpec(
                LAND, "企业要求以低于评估价的价格取得项目用地。", "enterprise",
                "note unresolvable",
                "企业要求的土地出让价格低于国家规定的工业用地出让最低价标准，依法不能支持，"
                "已向企业解释并提供分期缴纳方案。",
            ),
            ProblemSpec(
                APPROVAL, "项目节能审查进度慢，影响开工。", "officer", "escalate",
            ),
        ),
    ),
    ProjectSpec(
        "鹤岗石墨烯新材料项目", "鹤岗", "新材料", "石墨科技", "5",
        ((NEW, 0), (PL, 30)), (10, 30), "鹤岗市人民政府副市长",
        (
            ProblemSpec(
                APPROVAL, "签约后申请办理外商投资项目备案。", "officer",
                "resolve", "已通过投资项目在线审批监管平台当日完成备案。",
            ),
        ),
    ),
    ProjectSpec(
        "双鸭山煤化工综合利用项目", "双鸭山", "煤化工", "石化科技", "24",
        ((PL, 0), (RS, 15)), (0, 10), "双鸭山市人民政府副市长",
        (
            ProblemSpec(
                SUPPLIES, "复工所需口罩、测温枪、消毒液等防疫物资短缺。", "officer",
                "resolve", "协调调配口罩2万只、测温枪50支、消毒液2吨，满足复工需要。",
            ),
            ProblemSpec(
                LABOUR, "技术岗位招聘困难，缺少化工专业技术人员。", "enterprise",
                "resolve reopen", "协调省内高校推荐化工专业毕业生。",
                "企业反映推荐人员到岗不足三成，缺口仍然较大。|",
            ),
        ),
    ),
    ProjectSpec(
        "绥化鲜食玉米加工园区项目", "绥化", "农产品加工", "食品", "3.2",
        ((NS, 0),), (0, 8), "绥化市人民政府副市长",
        (
            ProblemSpec(
                LOGISTICS, "冷链运输车辆不足，产品外运受阻。", "enterprise", "note escalate",
            ),
        ),
    ),
    ProjectSpec(
        "黑河中俄跨境能源储运项目", "黑河", "能源", "跨境贸易", "30",
        ((NEW, 0),), (50, 70), "黑河市人民政府副市长",
        (
            ProblemSpec(
                OTHER, "外方技术人员入境受疫情防控政策限制。", "officer", "unresolvable",
                "受国家入境疫情防控政策限制，外方人员暂无法入境，已协调改为远程视频技术指导。",
            ),
        ),
    ),
    ProjectSpec(
        "伊春森林食品（蓝莓）精深加工项目", "伊春", "食品加工", "食品", "2.6",
        ((None, 0), (PL, 2)), (5, 15), "伊春市人民政府副市长",
        (
            ProblemSpec(
                FINANCING, "设备采购资金缺口约2000万元，申请对接金融机构。", "clerk", "",
            ),
        ),
    ),
)  # fmt: skip

CLASS_NOTES = {
    RS: "项目已全面复工，施工人员和设备已到位。",
    PL: "项目已完成复工准备，计划近期开复工。",
    NEW: "新签约项目，已纳入分类服务保障。",
    NS: "疫情期间未停工，持续跟踪服务。",
}
NOTE_TEXTS = {
    CoordinationRole.COORDINATOR: "已协调相关部门召开专题会商，明确办理路径和时限。",
    CoordinationRole.INFORMER: "已向企业推送复工复产惠企政策清单并逐项解读。",
    CoordinationRole.LIAISON: "已与企业负责人建立每日联络机制，及时掌握进展。",
    CoordinationRole.SERVICE_OFFICER: "已帮办代办相关手续，材料已提交审批部门。",
    CoordinationRole.SUPERVISOR: "已督促承办部门限时办结，跟踪办理结果。",
}


OFFICER_NOTES = (
    "首席服务员，履行“五大员”职责。",
    "协同服务，负责项目手续代办和信息报送。",
    "协同服务，负责项目用工和物资保障联络。",
)


# The release's figures for the projects (DOMAIN.md), which the dashboard shows for the
# year to the release's day: leaders in contact with 168 projects, problems of 47
# projects coordinated, 157 task forces, 614 chief service officers.
RELEASE_DAY = date(2020, 7, 7)
RELEASE_PROJECTS = {
    "with_leader_contact": 168,
    "projects_with_coordinated_problems": 47,
    "task_forces": 157,
    "chief_service_officers": 614,
}
# Projects besides the described ones (PROJECTS), drawn from these lines of business.
GENERATED_PROJECTS = 176
PRODUCTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (sector, the investor's line of business, what is built)
    ("装备制造", "装备制造",
     ("智能装备产业园", "数控机床扩能", "农机装备制造", "电力装备", "轨道交通装备配套")),
    ("食品加工", "食品",
     ("绿色食品产业园", "大豆精深加工", "杂粮加工", "肉制品加工", "饮品生产线")),
    ("农产品加工", "粮食加工", ("水稻精深加工", "玉米深加工", "马铃薯全粉加工", "仓储烘干中心")),
    ("新材料", "新材料科技", ("石墨深加工", "碳纤维复合材料", "高性能膜材料", "新型建材")),
    ("医药健康", "生物科技",
     ("生物医药产业园", "北药种植加工", "医用防护用品生产线", "疫苗冷链配送")),
    ("现代物流", "物流", ("冷链物流园", "电商仓储分拨中心", "陆港物流枢纽", "粮食物流中心")),
    ("新能源", "电力设备", ("风电", "生物质热电联产", "分布式光伏", "储能电站")),
    ("文化旅游", "旅游开发", ("冰雪旅游度假区", "森林康养基地", "边境旅游综合体", "湿地生态旅游")),
    ("数字经济", "信息技术", ("大数据中心", "软件产业园", "智慧城市运营中心", "工业互联网平台")),
    ("汽车零部件", "汽车零部件", ("汽车零部件产业园", "新能源汽车电池配套", "汽车内饰件")),
)  # fmt: skip
CLASS_CHOICES = (NS, RS, PL, NEW)
LEADER_TITLES = (
    "{city}市人民政府副市长",
    "{city}市人民政府市长助理",
    "{city}市营商环境建设监督局局长",
)
GENERATED_PROBLEMS = (
    ProblemSpec(LABOUR, "复工后一线操作工缺口较大，急需招聘。", "enterprise", "note resolve",
                 "人社部门组织专场线上招聘会，用工缺口已补齐。"),
    ProblemSpec(LOGISTICS, "原材料运输车辆跨市通行受限，影响复工。", "officer", "resolve",
                 "协调办理重点物资运输车辆通行证，原材料已运抵。"),
    ProblemSpec(SUPPLIES, "复工所需口罩、消毒液储备不足。", "officer", "note resolve",
                 "协调调配口罩、消毒液，满足复工防疫需要。"),
    ProblemSpec(FINANCING, "流动资金紧张，申请对接复工复产专项贷款。", "enterprise",
                 "note resolve", "已对接银行发放复工复产专项贷款。"),
    ProblemSpec(APPROVAL, "施工许可所需部分材料因疫情无法按时提交。", "clerk", "resolve",
                 "按“承诺即开工”容缺受理，施工许可已核发，材料待疫情结束后补齐。"),
    ProblemSpec(LAND, "项目用地报批材料需补正，进度较慢。", "officer", "note"),
)  # fmt: skip
