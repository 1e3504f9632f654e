"""The 40 complaints, appeals and reports, each with the path of moves it takes
(oversight/demo/planners/complaint.py reads the tokens), and the texts of their moves."""

from __future__ import annotations

from typing import NamedTuple

from domain.values import Channel, Kind


class ComplaintSpec(NamedTuple):
    kind: Kind
    channel: Channel
    category: str
    title: str
    description: str
    department: str  # where the clerk transfers it
    path: str  # the moves after lodging (see _plan_complaint)
    window: tuple[int, int]  # the working days it may be lodged on
    answer: str = "经核查，已督促相关科室加快办理，并将办理结果告知企业。"
    city: str | None = None
    then: str | None = None  # the department after a send-back
    respondent: str | None = None
    confidential: bool = False
    note: str | None = None  # reason for a rejection, send-back or withdrawal


A, C, R = Kind.APPEAL, Kind.COMPLAINT, Kind.REPORT
WEB, APP, HOTLINE, WINDOW, LETTER, EMAIL = (
    Channel.WEB,
    Channel.APP,
    Channel.HOTLINE,
    Channel.WINDOW,
    Channel.LETTER,
    Channel.EMAIL,
)

COMPLAINTS: tuple[ComplaintSpec, ...] = (
    # --- closed ------------------------------------------------------------------------
    ComplaintSpec(
        A, WEB, "resumption", "申请尽快办理复工复产备案",
        "我公司为食品加工企业，已落实测温、消毒、错峰就餐等防疫措施，在政务服务平台"
        "“复工复产诉求受理窗口”提交复工备案后3天无人联系，请协调尽快完成备案。",
        "hlj-gxt", "accept transfer reply review+ rate+", (0, 40),
        answer="已协调属地工信部门当日完成复工备案，并指导企业落实防控措施，企业已复工。",
    ),
    ComplaintSpec(
        C, APP, "approval", "施工许可网上申请超时未办结",
        "二期厂房施工许可在“全省事APP”提交已超过承诺时限，系统一直显示“审核中”，"
        "施工队伍已进场待工，影响项目开工。",
        "hrb-zjj", "accept transfer ext+ reply review+ rate+", (5, 60), city="哈尔滨",
        answer="经核查系图审系统数据未同步所致，已现场办结并核发施工许可证，"
        "对相关责任人进行了约谈。",
    ),
    ComplaintSpec(
        A, HOTLINE, "labour", "外省返岗员工健康码互认",
        "公司有46名外省员工持外省健康码返岗，在社区被要求再隔离14天，生产线无法开工，"
        "请求协调“龙江健康码”互认。",
        "hlj-rst", "accept! transfer reply review+ rate+", (0, 20),
        answer="已协调疫情防控指挥部和社区，对持绿码且核酸检测阴性的员工准予返岗，"
        "企业当日恢复生产。",
    ),
    ComplaintSpec(
        C, WINDOW, "approval", "消防验收被要求补交承诺制已免除的材料",
        "按照“承诺即开工”我公司已书面承诺后补材料，窗口仍要求先提交施工图审查合格书原件"
        "才受理消防验收。",
        "hlj-zjt", "accept transfer send-back transfer2 reply review+ rate+", (5, 55),
        city="哈尔滨", then="hrb-zjj",
        note="该项目消防验收属市级权限，非本单位职责，请转哈尔滨市住房和城乡建设局办理。",
        answer="已按承诺制受理消防验收，材料待疫情结束后补齐，验收已于次日完成。",
    ),
    ComplaintSpec(
        C, WEB, "policy", "稳岗返还资金迟迟未到账",
        "3月申请的失业保险稳岗返还审核通过已两个多月仍未拨付，企业发放工资困难。",
        "hlj-rst", "accept transfer reply review+ rate- reply review+ rate+", (10, 55),
        answer="经查资金已列入拨付计划，近期拨付。",
    ),
    ComplaintSpec(
        C, LETTER, "utilities", "供电增容报装拖延",
        "新建生产线需增容至2000千伏安，供电部门受理后一个月未现场勘查，影响设备调试。",
        "hlj-fgw", "accept transfer reply review- reply review+ rate+", (5, 55),
        answer="已督促供电企业派员现场勘查，出具供电方案，增容工程已排期施工。",
    ),
    ComplaintSpec(
        A, APP, "finance", "申请复工复产专项贷款贴息",
        "企业受疫情影响流动资金紧张，已向银行申请复工复产专项贷款，请协助落实省级贴息政策。",
        "hlj-jrjgj", "accept transfer supervise reply review+ rate+", (5, 60),
        answer="已将企业纳入复工复产重点企业融资需求清单，贷款已发放，贴息按季度兑付。",
    ),
    ComplaintSpec(
        C, EMAIL, "registration", "不动产登记预约号源不足",
        "网上预约不动产登记连续两周约不上号，抵押贷款无法按时放款。",
        "dq-zrzyj", "accept transfer reply review+ close", (10, 70), city="大庆",
        answer="已增加预约号源并开通企业专窗，企业已于次日办结抵押登记。",
    ),
    ComplaintSpec(
        A, WEB, "logistics", "员工通勤车辆通行证办理",
        "企业复工后员工通勤大巴进出小区和卡口受阻，请求办理复工复产车辆通行证。",
        "hlj-jtyst", "accept transfer reply review+ rate+", (0, 30),
        answer="已为企业办理复工复产车辆通行证3张，并告知网上申领方式。",
    ),
    ComplaintSpec(
        R, HOTLINE, "conduct", "执法人员借疫情检查吃拿卡要",
        "某区市场监管所执法人员以疫情防控检查为名多次到店，暗示购买指定消毒产品，"
        "否则不予通过检查。请求为举报人保密。",
        "hlj-scjgj", "accept transfer ext+ reply review+ rate+", (5, 50), city="哈尔滨",
        respondent="hrb-scjgj", confidential=True,
        answer="经调查举报基本属实，已责令相关执法人员停职检查，移交纪检监察机关处理。",
    ),
    ComplaintSpec(
        C, WEB, "approval", "排污许可变更审批超时",
        "企业产能调整申请排污许可变更，提交材料已超过20个工作日未办结。",
        "hlj-sthjt", "accept transfer remind reply review+ rate+", (5, 50),
        answer="已完成排污许可变更审批，对超时办理情况在系统内通报。",
    ),
    ComplaintSpec(
        A, WINDOW, "supplies", "防疫物资生产申请应急审批绿色通道",
        "企业转产医用口罩，生产线已安装完毕，申请开通应急审批“绿色通道”，"
        "尽快核发医疗器械生产许可证。",
        "hlj-yjj", "accept! transfer reply review+ rate+", (0, 15),
        answer="已开通应急审批绿色通道，当日完成现场核查并核发医疗器械生产许可证。",
    ),
    ComplaintSpec(
        C, APP, "utilities", "燃气开户接驳拖延",
        "新建食堂燃气开户申请提交已一个月，燃气公司以疫情为由迟迟不安排接驳。",
        "hrb-zjj", "accept transfer ext- reply review+ rate+", (10, 60), city="哈尔滨",
        answer="已督促燃气企业完成接驳通气，并要求其公开办理时限。",
    ),
    ComplaintSpec(
        A, WEB, "logistics", "原材料运输车辆跨市通行受阻",
        "从大庆运往哈尔滨的原料车辆在高速口被劝返，请求协调办理重点物资运输车辆通行证。",
        "hlj-jtyst", "accept transfer reply review+ rate+", (0, 20),
        answer="已为企业办理重点物资运输车辆通行证，车辆已正常通行。",
    ),
    ComplaintSpec(
        C, HOTLINE, "policy", "国有房产租金减免政策未落实",
        "企业承租国有企业经营用房，按政策应减免3个月租金，出租单位至今未落实。",
        "hlj-gzw", "accept transfer supervise remind escalate reply review+ rate+", (5, 45),
        answer="已责成出租企业按政策减免3个月租金，已退还企业多缴租金。",
    ),
    ComplaintSpec(
        A, LETTER, "approval", "食品经营许可证延续办理",
        "许可证即将到期，疫情期间无法到窗口办理延续，请求网上办理或顺延。",
        "qqhr-zwfw", "accept transfer reply review+ close", (10, 70), city="齐齐哈尔",
        answer="已通过“不见面审批”完成许可证延续，新证件快递送达企业。",
    ),
    # --- awaiting rating ----------------------------------------------------------------
    ComplaintSpec(
        C, WEB, "approval", "建设工程规划许可证核发超时",
        "项目规划许可申请已超过法定时限，多次询问均答复“正在研究”。",
        "dq-zrzyj", "accept transfer reply review+", (80, 88), city="大庆",
        answer="规划许可证已核发，超时原因系规划条件调整，已向企业说明。",
    ),
    ComplaintSpec(
        A, APP, "policy", "小微企业社保费减免政策咨询",
        "我公司为小微企业，疫情期间社保费减免未在缴费系统中体现，请求核实。",
        "hlj-rst", "accept transfer reply review+", (82, 90),
        answer="经核实企业符合减免条件，已在系统中补录减免，多缴部分将退还。",
    ),
    ComplaintSpec(
        R, WEB, "conduct", "中介机构冒用政府名义收取代办费",
        "有中介以“政务服务中心代办”名义向企业收取复工审批代办费，称可加急办理。",
        "hlj-scjgj", "accept transfer reply review+", (70, 80),
        answer="已对涉事中介立案调查，并在政务服务平台发布提示：复工审批不收取任何费用。",
    ),
    # --- replied, waiting for the bureau's review ---------------------------------------
    ComplaintSpec(
        A, WEB, "resumption", "申请复工复产阶段性降低用电成本",
        "企业申请享受阶段性降低用电成本政策，电费结算未按95%执行。",
        "hlj-fgw", "accept transfer reply", (85, 92),
        answer="已协调供电企业按政策重新结算电费，差额在下期电费中抵扣。",
    ),
    ComplaintSpec(
        C, HOTLINE, "utilities", "自来水管网接入审批拖延",
        "新厂区自来水接入申请已提交一个多月，至今未批复。",
        "hrb-zjj", "accept transfer reply", (80, 92), city="哈尔滨",
        answer="已完成接入审批，施工单位已进场。",
    ),
    ComplaintSpec(
        C, APP, "approval", "环评审批要求重复提交纸质材料",
        "已在网上提交环评材料，窗口仍要求提交纸质材料一式五份。",
        "hlj-sthjt", "accept transfer reply review- reply", (70, 82),
        answer="已取消纸质材料要求，环评审批按网上材料办理。",
    ),
    # --- with a department ----------------------------------------------------------------
    ComplaintSpec(
        C, WEB, "approval", "取水许可审批超时",
        "企业取水许可申请已超过承诺时限未办结，影响新生产线投产。",
        "hlj-slt", "accept transfer", (90, 92),
    ),
    ComplaintSpec(
        A, APP, "policy", "申请外贸企业出口信用保险保费补贴",
        "企业出口订单受疫情影响，申请出口信用保险保费补贴，不清楚申报渠道。",
        "hlj-swt", "accept transfer ext?", (95, 96),
    ),
    ComplaintSpec(
        C, LETTER, "land", "项目用地不动产权证办理拖延",
        "项目用地出让金已缴清三个月，不动产权证仍未办理，无法办理施工许可。",
        "hlj-zrzyt", "accept transfer remind", (84, 87), city="大庆",
    ),
    ComplaintSpec(
        R, WINDOW, "conduct", "街道设卡阻拦已备案企业复工",
        "企业已完成复工备案，所在街道仍设卡阻拦员工进入厂区，要求另行审批。",
        "hrb-yshj", "accept transfer remind escalate", (30, 60), city="哈尔滨",
    ),
    ComplaintSpec(
        C, WEB, "policy", "企业所得税优惠政策申报受阻",
        "企业符合疫情防控重点保障物资生产企业税收优惠条件，申报时系统无法选择优惠事项。",
        "hlj-tax", "accept transfer reply review+ rate-", (88, 91),
        answer="已告知企业通过办税服务厅申报。",
    ),
    ComplaintSpec(
        A, HOTLINE, "labour", "订单恢复急需招聘普工",
        "企业订单恢复，急需招聘普工80人，申请人社部门协助对接线上招聘会。",
        "mdj-rsj", "accept! transfer remind", (93, 97), city="牡丹江",
    ),
    ComplaintSpec(
        C, EMAIL, "approval", "建筑业企业资质延续审批超时",
        "资质延续申请已超过承诺时限，资质到期后将无法参加投标。",
        "hlj-zjt", "accept transfer supervise", (90, 92),
    ),
    # --- accepted, waiting to be transferred --------------------------------------------
    ComplaintSpec(
        C, WINDOW, "registration", "企业名称变更登记被退回",
        "名称变更登记网上申请被退回两次，退回理由不明确。",
        "hlj-scjgj", "accept", (90, 96),
    ),
    ComplaintSpec(
        C, WEB, "utilities", "污水管网接入审批无人受理",
        "厂区污水接入市政管网申请提交后无人受理，影响环保验收。",
        "hlj-zjt", "accept transfer send-back", (85, 93), city="哈尔滨",
        note="污水管网接入属市级权限，非本单位职责，请转哈尔滨市住房和城乡建设局办理。",
    ),
    # --- lodged, waiting to be accepted -------------------------------------------------
    ComplaintSpec(
        A, APP, "resumption", "申请复工复产消毒防疫指导",
        "企业计划下周复工，申请疾控部门上门指导厂区消毒和防疫方案。",
        "hlj-gxt", "", (98, 98),
    ),
    ComplaintSpec(
        C, WEB, "approval", "印刷经营许可证办理咨询无人回复",
        "在政务服务平台留言咨询印刷经营许可办理材料，一周无人回复。",
        "hlj-scjgj", "remind", (92, 96),
    ),
    ComplaintSpec(
        A, EMAIL, "policy", "申请中小企业发展专项资金",
        "企业拟申报中小企业发展专项资金，请求告知申报条件和受理部门。",
        "hlj-gxt", "remind escalate", (40, 80),
    ),
    # --- rejected -------------------------------------------------------------------------
    ComplaintSpec(
        A, HOTLINE, "labour", "员工工资争议",
        "离职员工要求支付疫情停工期间全额工资，企业请求政府协调。",
        "hlj-rst", "reject", (0, 97),
        note="该诉求属劳动争议，已告知企业向劳动人事争议仲裁委员会申请仲裁。",
    ),
    ComplaintSpec(
        C, WEB, "other", "工程款合同纠纷",
        "总包单位拖欠工程款，请求责令其支付。",
        "hlj-zjt", "reject", (0, 97),
        note="该事项已进入司法诉讼程序，不属于本局受理范围。",
    ),
    ComplaintSpec(
        C, APP, "approval", "施工许可超时（重复投诉）",
        "施工许可网上申请超时，此前已投诉。",
        "hrb-zjj", "reject", (20, 97),
        note="与企业此前提交的投诉内容相同，已并入原件办理。",
    ),
    # --- withdrawn ------------------------------------------------------------------------
    ComplaintSpec(
        A, WEB, "finance", "申请应急转贷资金",
        "企业贷款即将到期，受疫情影响无法按期还款，申请使用应急转贷资金。",
        "hlj-jrjgj", "accept transfer withdraw", (10, 80),
        note="已通过银行续贷解决资金问题，撤回诉求。",
    ),
    ComplaintSpec(
        C, APP, "resumption", "复工审批被要求提供房东同意书",
        "街道要求复工企业提供房东同意复工证明，房东在外地无法提供。",
        "hrb-yshj", "withdraw", (10, 90),
        note="已与街道沟通解决，撤回投诉。",
    ),
    ComplaintSpec(
        A, WINDOW, "policy", "申请技术改造补贴",
        "企业完成生产线自动化改造，申请技术改造补贴。",
        "hlj-gxt", "accept withdraw", (20, 90),
        note="企业已另行申报省工信厅专项，撤回本诉求。",
    ),
)  # fmt: skip

SEND_BACK_DEFAULT = "该事项不属于本单位职责，请重新指定承办单位。"
EXTENSION_REASONS = (
    "需赴企业现场核查，疫情防控期间现场踏勘需预约，申请延期。",
    "涉及多部门会商，需召开联席会议研究，申请延期。",
)
SUPERVISION_NOTES = (
    "督办：请于3个工作日内反馈办理进展。",
    "督办：企业多次来电反映，请加快办理并直接答复企业。",
)
REDO_NOTES = (
    "答复未回应企业核心诉求，请重新核查并答复。",
    "答复缺少办理依据和办结时限，请补充后重新答复。",
)
REDO_ANSWER = "经重新核查，{answer}已明确专人跟踪，办理结果书面告知企业。"
SATISFIED_COMMENTS = (
    "办理及时，问题已解决，感谢监督局。",
    "工作人员主动对接，很满意。",
    "问题基本解决，希望以后办理再快一些。",
    None,
)
UNSATISFIED_COMMENTS = (
    "问题没有实际解决，仍无法正常生产。",
    "答复敷衍，没有说明什么时候能办好。",
)
