"""`oversight demo`: a realistic data set drawn from the bureau's press release of 7 July
2020 (/work/shared/seed), loaded through the same commands a user sends, so every view
shows something on first start.

What it loads (DOMAIN.md; the release's themes: 复工复产, 承诺即开工, 信用修复, 五大员):

- 40 complaints, appeals and reports over every status, kind and channel: urgent ones
  (急事快办), a confidential report, send-backs, extensions approved, refused and pending,
  supervision notices (督办), redo after a rejected review and after an unsatisfied
  rating, reminders and escalations by the deadline watcher;
- 200 major projects in the four classes (未停工, 已开复工, 拟开复工, 新签约), several
  reclassified: 24 described one by one, with 30 problems (用地, 审批, 融资, 用工, 物流,
  防疫物资) open, escalated, resolved, reopened and unresolvable, and 176 more (26 of them
  with a problem) so that the release's figures come out exactly: contact leaders
  (领导联系) for 168 projects, problems of 47 projects coordinated, 157 task forces (专班,
  some pushing two projects) and 614 chief service officers (首席服务员, several per
  project, some rotated: one leaves, another joins);
- 16 credit commitments (承诺即开工) in every outcome: fulfilled in parts and late,
  breached, exempted (epidemic), revoked after a check, marked overdue by the system,
  waiting for the end of the epidemic response;
- 38 credit-repair applications, each reviewed within 1 working day and repaired (the
  release's 100 % and 100 %);
- the province's statistics for 2020-02-01 to 2020-06-30: 2,571,536 online and 1,571,174
  offline government service items (the release's 4,142,710), and the resumption of
  industrial enterprises above designated size (3,451 of 3,500: 98.6 %) and of
  foreign-trade enterprises (1,990 of 2,000: 99.5 %).

`GET /api/v1/dashboard?as_of=2020-07-07` (the year to the release's day, RELEASE_DAY)
then prints the release's figures (tests/integration/test_demo.py checks each).

Time: every command is dated from `start`, which the caller passes (the loader never
reads the clock). The CLI uses DEMO_START, 2020-02-10 09:00 Beijing time: the first
working day after the extended Spring Festival break, when enterprises began to resume
work, so the data falls in the period the release reports on (February to June 2020).
Commands are dated in office hours on working days of the Chinese calendar, each case's
moves strictly later than its previous one, and they are sent in the order of their
dates across all cases, so the event log reads like the months it describes. Deadlines
(acceptance, handling, extensions, reminders) are computed with the application's own
calendar and SLA policy, so the moves the domain checks against them are always valid,
and the data looks as if the deadline watchers had been running: every deadline passed
before the end of the data set was reminded (complaints) or marked overdue
(commitments) by the system actor, and every reminder whose grace ran out escalated.
Dated in 2020, the open cases are long overdue by today's clock: when `serve` or
`worker` runs, the watchers remind, escalate and mark them with today's date.

All enterprises, officials' user ids and projects are fictitious; credit codes are valid
(GB 32100-2015 check character) but made up. Everything is drawn from
`random.Random(seed)`: the same seed gives the same commands in the same order.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import msgspec

from domain import commands as cmd
from domain import commitment_commands as cc
from domain import credit_repair_commands as rc
from domain import project_commands as pc
from domain.application import Oversight
from domain.calendar import WorkingCalendar
from domain.cases import CaseType
from domain.commitment_case import COMMITMENT, date_due_at
from domain.complaint_case import COMPLAINT, ESCALATE_AFTER_WORKING_DAYS
from domain.credit_code import CHARSET, check_character
from domain.credit_repair import Severity
from domain.credit_repair_case import CREDIT_REPAIR
from domain.project import Classification, CoordinationRole, ProblemCategory
from domain.project_case import PROBLEM, PROJECT
from domain.registry import ALL_CASE_TYPES
from domain.service_statistics import (
    SERVICE_STATISTICS,
    RecordServiceStatistics,
    StatisticsKind,
)
from domain.sla import SlaPolicy
from domain.values import Actor, Channel, Kind, Rating, Role
from oversight.system_moves import SYSTEM

__all__ = ["DEMO_START", "DemoSummary", "catch_up_views", "load_demo", "run_demo"]

BEIJING = timezone(timedelta(hours=8))
DEMO_START = datetime(2020, 2, 10, 9, 0, tzinfo=BEIJING)

# The timeline, in working days after the start: cases are lodged by working day
# LAST_CASE_DAY (30 June 2020 from DEMO_START); the statistics are recorded on
# STATISTICS_DAY (1 July), the last command of the data set.
LAST_CASE_DAY = 98
STATISTICS_DAY = 99
OPEN = time(9, 0)
LATEST = time(17, 0)  # a step that would fall later moves to the next working day

ONLINE_ITEMS = 2_571_536
OFFLINE_ITEMS = 1_571_174
# Resumption "to date" (截至目前): resumed out of those required to, 98.6 % and 99.5 %.
INDUSTRIAL_RESUMED = (3_451, 3_500)  # 规模以上工业企业
FOREIGN_TRADE_RESUMED = (1_990, 2_000)  # 外贸企业


# --- the summary ---------------------------------------------------------------------


class DemoSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What was loaded: cases per case type, and how many are in each status (projects:
    in each classification)."""

    seed: int
    start: datetime
    end: datetime  # the time of the last command
    events: int
    cases: dict[str, int]
    statuses: dict[str, dict[str, int]]
    case_ids: dict[str, list[UUID]]  # in the order they were created

    def format(self) -> str:
        lines = [
            f"demo data loaded (seed {self.seed}): {sum(self.cases.values())} cases, "
            f"{self.events} events, {self.start.isoformat()} .. {self.end.isoformat()}"
        ]
        width = max(len(name) for name in self.cases)
        for name, n in self.cases.items():
            detail = ", ".join(f"{s} {c}" for s, c in self.statuses[name].items())
            lines.append(f"  {name:<{width}}  {n:>3}  {detail}")
        return "\n".join(lines)


# --- the plan: commands with their times, sent in time order ---------------------------

Body = cmd.Command | Callable[[], cmd.Command]


@dataclass(eq=False)
class _Case:
    case_type: CaseType
    id: UUID | None = None
    state: Any = None


@dataclass(frozen=True)
class _Step:
    at: datetime
    seq: int
    case: _Case
    move: str | None  # None: the command that creates the case
    actor: Actor
    body: Body


@dataclass
class _Plan:
    steps: list[_Step] = field(default_factory=list)
    last: dict[int, datetime] = field(default_factory=dict)  # per case: its latest step

    def _add(self, case: _Case, move: str | None, actor: Actor, at: datetime, body: Body) -> None:
        previous = self.last.get(id(case))
        if previous is not None and at <= previous:
            raise ValueError(f"demo plan: {move} dated {at} is not after {previous}")
        self.last[id(case)] = at
        self.steps.append(_Step(at, len(self.steps), case, move, actor, body))

    def create(self, case_type: CaseType, actor: Actor, at: datetime, body: Body) -> _Case:
        case = _Case(case_type)
        self._add(case, None, actor, at, body)
        return case

    def move(self, case: _Case, move: str, actor: Actor, at: datetime, body: Body) -> None:
        self._add(case, move, actor, at, body)

    def run(self, app: Oversight) -> tuple[list[_Case], datetime]:
        created: list[_Case] = []
        ordered = sorted(self.steps, key=lambda s: (s.at, s.seq))
        for step in ordered:
            body = step.body() if callable(step.body) else step.body
            if step.move is None:
                result = app.create(step.case.case_type, step.actor, step.at, body)
                step.case.id = result.case.id
                created.append(step.case)
            else:
                assert step.case.id is not None
                result = app.move(
                    step.case.id,
                    step.move,
                    step.actor,
                    step.at,
                    body,
                    case_type=step.case.case_type,
                )
            step.case.state = result.case
        return created, ordered[-1].at


class _Timeline:
    """Working days counted from the start, in the calendar's timezone."""

    def __init__(self, calendar: WorkingCalendar, start: datetime, rng: random.Random) -> None:
        self.calendar = calendar
        self.tz = calendar.timezone
        self.start = start.astimezone(self.tz)
        self.rng = rng

    def day(self, wd: int) -> date:
        return self.calendar.add_working_days(self.start.date(), wd)

    def at(self, wd: int, minute: int) -> datetime:
        moment = datetime.combine(self.day(wd), OPEN, tzinfo=self.tz) + timedelta(minutes=minute)
        return max(moment, self.start)

    def walk(self, wd: int, minute: int) -> _Walk:
        return _Walk(self, self.at(wd, minute))


class _Walk:
    """One case's clock: every call returns a time strictly later than the previous one."""

    def __init__(self, timeline: _Timeline, at: datetime) -> None:
        self.tl = timeline
        self.now = at

    def minutes(self, lo: int, hi: int) -> datetime:
        moment = self.now + timedelta(minutes=self.tl.rng.randint(lo, hi))
        local = moment.astimezone(self.tl.tz)
        if local.date() != self.now.astimezone(self.tl.tz).date() or local.time() > LATEST:
            return self.days(1, 0, 60)
        return self._set(moment)

    def days(self, n: int, lo: int = 0, hi: int = 150) -> datetime:
        """`n` (>= 1) working days later, in office hours."""
        day = self.tl.calendar.add_working_days(self.now.astimezone(self.tl.tz).date(), n)
        moment = datetime.combine(day, OPEN, tzinfo=self.tl.tz)
        return self._set(moment + timedelta(minutes=self.tl.rng.randint(lo, hi)))

    def after(self, moment: datetime, minutes: int = 1) -> datetime:
        """Just after `moment` (a deadline the watcher acts on)."""
        return self._set(moment + timedelta(minutes=minutes))

    def _set(self, moment: datetime) -> datetime:
        if moment <= self.now:
            moment = self.now + timedelta(minutes=1)
        self.now = moment
        return moment


# --- who acts ---------------------------------------------------------------------------

CLERKS = (
    Actor(id="clerk-prov-01", role=Role.CLERK),  # 省政务服务中心 window
    Actor(id="clerk-prov-02", role=Role.CLERK),
    Actor(id="clerk-hotline-01", role=Role.CLERK),  # 投诉举报电话
    Actor(id="clerk-hrb-01", role=Role.CLERK),
)
SUPERVISORS = (
    Actor(id="sup-prov-01", role=Role.SUPERVISOR),
    Actor(id="sup-prov-02", role=Role.SUPERVISOR),
    Actor(id="sup-prov-03", role=Role.SUPERVISOR),
)

# Handling departments (承办单位): code -> name.
DEPARTMENTS = {
    "hlj-fgw": "省发展和改革委员会",
    "hlj-gxt": "省工业和信息化厅",
    "hlj-zrzyt": "省自然资源厅",
    "hlj-scjgj": "省市场监督管理局",
    "hlj-yjj": "省药品监督管理局",
    "hlj-zjt": "省住房和城乡建设厅",
    "hlj-rst": "省人力资源和社会保障厅",
    "hlj-sthjt": "省生态环境厅",
    "hlj-jtyst": "省交通运输厅",
    "hlj-swt": "省商务厅",
    "hlj-slt": "省水利厅",
    "hlj-gzw": "省国有资产监督管理委员会",
    "hlj-jrjgj": "省地方金融监督管理局",
    "hlj-tax": "国家税务总局黑龙江省税务局",
    "hrb-zjj": "哈尔滨市住房和城乡建设局",
    "hrb-scjgj": "哈尔滨市市场监督管理局",
    "hrb-yshj": "哈尔滨市营商环境建设监督局",
    "dq-zrzyj": "大庆市自然资源局",
    "qqhr-zwfw": "齐齐哈尔市政务服务中心",
    "mdj-rsj": "牡丹江市人力资源和社会保障局",
}


def _department(code: str) -> Actor:
    return Actor(id=f"{code}-handler", role=Role.DEPARTMENT, org=code)


class _City(NamedTuple):
    name: str
    region: str  # administrative division code in the credit code (positions 3-8)
    area: str  # telephone area code
    slug: str
    abbr: str  # as in penalty decision numbers (哈市监罚〔2019〕…号)


CITIES = (
    _City("哈尔滨", "230100", "0451", "hrb", "哈"),
    _City("齐齐哈尔", "230200", "0452", "qqhr", "齐"),
    _City("鸡西", "230300", "0467", "jx", "鸡"),
    _City("鹤岗", "230400", "0468", "hg", "鹤"),
    _City("双鸭山", "230500", "0469", "sys", "双"),
    _City("大庆", "230600", "0459", "dq", "庆"),
    _City("伊春", "230700", "0458", "yc", "伊"),
    _City("佳木斯", "230800", "0454", "jms", "佳"),
    _City("七台河", "230900", "0464", "qth", "七"),
    _City("牡丹江", "231000", "0453", "mdj", "牡"),
    _City("黑河", "231100", "0456", "hh", "黑河"),
    _City("绥化", "231200", "0455", "sh", "绥"),
)
_CITY = {c.name: c for c in CITIES}
# Where complaints and repair applications come from (Harbin most, as in the province).
CITY_WEIGHTS = (10, 4, 2, 1, 1, 5, 1, 3, 1, 4, 1, 2)

BRANDS = (
    "鑫源", "龙达", "北方", "金穗", "恒泰", "华瑞", "天成", "宏业", "瑞丰", "盛和",
    "兴隆", "冰城", "鹤城", "松江", "嫩江", "三江", "黑土", "寒地", "新航", "东极",
    "龙腾", "北国", "雪原", "丰禾", "百泰", "华安", "远东", "金龙", "大地", "林海",
)  # fmt: skip
INDUSTRIES = (
    "食品", "装备制造", "建筑工程", "石化科技", "农业发展", "物流", "医疗器械",
    "新材料科技", "木业", "商贸", "生物科技", "电力设备", "乳业", "米业",
    "旅游开发", "跨境贸易", "信息技术", "汽车零部件", "石墨科技", "粮食加工",
)  # fmt: skip


class _Enterprise(NamedTuple):
    name: str
    credit_code: str
    city: _City
    phone: str
    actor: Actor


class _Enterprises:
    """Fictitious enterprises with valid unified social credit codes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.all: list[_Enterprise] = []
        self._names: dict[str, None] = {}
        self._codes: dict[str, None] = {}

    def new(self, city: _City | None = None, industry: str | None = None) -> _Enterprise:
        rng = self.rng
        city = city or rng.choices(CITIES, CITY_WEIGHTS)[0]
        industry = industry or rng.choice(INDUSTRIES)
        while True:
            suffix = "股份有限公司" if rng.random() < 0.15 else "有限公司"
            name = f"{city.name}{rng.choice(BRANDS)}{industry}{suffix}"
            if name not in self._names:
                break
        while True:
            # 9 = registered by the market regulator, 1 = enterprise; then the region, then
            # the organisation code (GB 11714, not checked here) and the check character.
            org = "".join(rng.choice(CHARSET[:10] if i < 8 else CHARSET) for i in range(9))
            first17 = f"91{city.region}{org}"
            code = first17 + check_character(first17)
            if code not in self._codes:
                break
        self._names[name] = None
        self._codes[code] = None
        if rng.random() < 0.5:
            phone = f"{city.area}-8{rng.randrange(10**6, 10**7)}"
        else:
            phone = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
        user = f"ent-{city.slug}-{len(self.all) + 1:03d}"
        actor = Actor(id=user, role=Role.ENTERPRISE, org=code)
        enterprise = _Enterprise(name, code, city, phone, actor)
        self.all.append(enterprise)
        return enterprise

    def any(self, city: str | None = None) -> _Enterprise:
        """Mostly a new enterprise; sometimes one already known (an investor complaining)."""
        known = [e for e in self.all if city is None or e.city.name == city]
        if known and self.rng.random() < 0.2:
            return self.rng.choice(known)
        return self.new(_CITY[city] if city else None)


# --- complaints ---------------------------------------------------------------------------


class _ComplaintSpec(NamedTuple):
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

COMPLAINTS: tuple[_ComplaintSpec, ...] = (
    # --- closed ------------------------------------------------------------------------
    _ComplaintSpec(
        A, WEB, "resumption", "申请尽快办理复工复产备案",
        "我公司为食品加工企业，已落实测温、消毒、错峰就餐等防疫措施，在政务服务平台"
        "“复工复产诉求受理窗口”提交复工备案后3天无人联系，请协调尽快完成备案。",
        "hlj-gxt", "accept transfer reply review+ rate+", (0, 40),
        answer="已协调属地工信部门当日完成复工备案，并指导企业落实防控措施，企业已复工。",
    ),
    _ComplaintSpec(
        C, APP, "approval", "施工许可网上申请超时未办结",
        "二期厂房施工许可在“全省事APP”提交已超过承诺时限，系统一直显示“审核中”，"
        "施工队伍已进场待工，影响项目开工。",
        "hrb-zjj", "accept transfer ext+ reply review+ rate+", (5, 60), city="哈尔滨",
        answer="经核查系图审系统数据未同步所致，已现场办结并核发施工许可证，"
        "对相关责任人进行了约谈。",
    ),
    _ComplaintSpec(
        A, HOTLINE, "labour", "外省返岗员工健康码互认",
        "公司有46名外省员工持外省健康码返岗，在社区被要求再隔离14天，生产线无法开工，"
        "请求协调“龙江健康码”互认。",
        "hlj-rst", "accept! transfer reply review+ rate+", (0, 20),
        answer="已协调疫情防控指挥部和社区，对持绿码且核酸检测阴性的员工准予返岗，"
        "企业当日恢复生产。",
    ),
    _ComplaintSpec(
        C, WINDOW, "approval", "消防验收被要求补交承诺制已免除的材料",
        "按照“承诺即开工”我公司已书面承诺后补材料，窗口仍要求先提交施工图审查合格书原件"
        "才受理消防验收。",
        "hlj-zjt", "accept transfer send-back transfer2 reply review+ rate+", (5, 55),
        city="哈尔滨", then="hrb-zjj",
        note="该项目消防验收属市级权限，非本单位职责，请转哈尔滨市住房和城乡建设局办理。",
        answer="已按承诺制受理消防验收，材料待疫情结束后补齐，验收已于次日完成。",
    ),
    _ComplaintSpec(
        C, WEB, "policy", "稳岗返还资金迟迟未到账",
        "3月申请的失业保险稳岗返还审核通过已两个多月仍未拨付，企业发放工资困难。",
        "hlj-rst", "accept transfer reply review+ rate- reply review+ rate+", (10, 55),
        answer="经查资金已列入拨付计划，近期拨付。",
    ),
    _ComplaintSpec(
        C, LETTER, "utilities", "供电增容报装拖延",
        "新建生产线需增容至2000千伏安，供电部门受理后一个月未现场勘查，影响设备调试。",
        "hlj-fgw", "accept transfer reply review- reply review+ rate+", (5, 55),
        answer="已督促供电企业派员现场勘查，出具供电方案，增容工程已排期施工。",
    ),
    _ComplaintSpec(
        A, APP, "finance", "申请复工复产专项贷款贴息",
        "企业受疫情影响流动资金紧张，已向银行申请复工复产专项贷款，请协助落实省级贴息政策。",
        "hlj-jrjgj", "accept transfer supervise reply review+ rate+", (5, 60),
        answer="已将企业纳入复工复产重点企业融资需求清单，贷款已发放，贴息按季度兑付。",
    ),
    _ComplaintSpec(
        C, EMAIL, "registration", "不动产登记预约号源不足",
        "网上预约不动产登记连续两周约不上号，抵押贷款无法按时放款。",
        "dq-zrzyj", "accept transfer reply review+ close", (10, 70), city="大庆",
        answer="已增加预约号源并开通企业专窗，企业已于次日办结抵押登记。",
    ),
    _ComplaintSpec(
        A, WEB, "logistics", "员工通勤车辆通行证办理",
        "企业复工后员工通勤大巴进出小区和卡口受阻，请求办理复工复产车辆通行证。",
        "hlj-jtyst", "accept transfer reply review+ rate+", (0, 30),
        answer="已为企业办理复工复产车辆通行证3张，并告知网上申领方式。",
    ),
    _ComplaintSpec(
        R, HOTLINE, "conduct", "执法人员借疫情检查吃拿卡要",
        "某区市场监管所执法人员以疫情防控检查为名多次到店，暗示购买指定消毒产品，"
        "否则不予通过检查。请求为举报人保密。",
        "hlj-scjgj", "accept transfer ext+ reply review+ rate+", (5, 50), city="哈尔滨",
        respondent="hrb-scjgj", confidential=True,
        answer="经调查举报基本属实，已责令相关执法人员停职检查，移交纪检监察机关处理。",
    ),
    _ComplaintSpec(
        C, WEB, "approval", "排污许可变更审批超时",
        "企业产能调整申请排污许可变更，提交材料已超过20个工作日未办结。",
        "hlj-sthjt", "accept transfer remind reply review+ rate+", (5, 50),
        answer="已完成排污许可变更审批，对超时办理情况在系统内通报。",
    ),
    _ComplaintSpec(
        A, WINDOW, "supplies", "防疫物资生产申请应急审批绿色通道",
        "企业转产医用口罩，生产线已安装完毕，申请开通应急审批“绿色通道”，"
        "尽快核发医疗器械生产许可证。",
        "hlj-yjj", "accept! transfer reply review+ rate+", (0, 15),
        answer="已开通应急审批绿色通道，当日完成现场核查并核发医疗器械生产许可证。",
    ),
    _ComplaintSpec(
        C, APP, "utilities", "燃气开户接驳拖延",
        "新建食堂燃气开户申请提交已一个月，燃气公司以疫情为由迟迟不安排接驳。",
        "hrb-zjj", "accept transfer ext- reply review+ rate+", (10, 60), city="哈尔滨",
        answer="已督促燃气企业完成接驳通气，并要求其公开办理时限。",
    ),
    _ComplaintSpec(
        A, WEB, "logistics", "原材料运输车辆跨市通行受阻",
        "从大庆运往哈尔滨的原料车辆在高速口被劝返，请求协调办理重点物资运输车辆通行证。",
        "hlj-jtyst", "accept transfer reply review+ rate+", (0, 20),
        answer="已为企业办理重点物资运输车辆通行证，车辆已正常通行。",
    ),
    _ComplaintSpec(
        C, HOTLINE, "policy", "国有房产租金减免政策未落实",
        "企业承租国有企业经营用房，按政策应减免3个月租金，出租单位至今未落实。",
        "hlj-gzw", "accept transfer supervise remind escalate reply review+ rate+", (5, 45),
        answer="已责成出租企业按政策减免3个月租金，已退还企业多缴租金。",
    ),
    _ComplaintSpec(
        A, LETTER, "approval", "食品经营许可证延续办理",
        "许可证即将到期，疫情期间无法到窗口办理延续，请求网上办理或顺延。",
        "qqhr-zwfw", "accept transfer reply review+ close", (10, 70), city="齐齐哈尔",
        answer="已通过“不见面审批”完成许可证延续，新证件快递送达企业。",
    ),
    # --- awaiting rating ----------------------------------------------------------------
    _ComplaintSpec(
        C, WEB, "approval", "建设工程规划许可证核发超时",
        "项目规划许可申请已超过法定时限，多次询问均答复“正在研究”。",
        "dq-zrzyj", "accept transfer reply review+", (80, 88), city="大庆",
        answer="规划许可证已核发，超时原因系规划条件调整，已向企业说明。",
    ),
    _ComplaintSpec(
        A, APP, "policy", "小微企业社保费减免政策咨询",
        "我公司为小微企业，疫情期间社保费减免未在缴费系统中体现，请求核实。",
        "hlj-rst", "accept transfer reply review+", (82, 90),
        answer="经核实企业符合减免条件，已在系统中补录减免，多缴部分将退还。",
    ),
    _ComplaintSpec(
        R, WEB, "conduct", "中介机构冒用政府名义收取代办费",
        "有中介以“政务服务中心代办”名义向企业收取复工审批代办费，称可加急办理。",
        "hlj-scjgj", "accept transfer reply review+", (70, 80),
        answer="已对涉事中介立案调查，并在政务服务平台发布提示：复工审批不收取任何费用。",
    ),
    # --- replied, waiting for the bureau's review ---------------------------------------
    _ComplaintSpec(
        A, WEB, "resumption", "申请复工复产阶段性降低用电成本",
        "企业申请享受阶段性降低用电成本政策，电费结算未按95%执行。",
        "hlj-fgw", "accept transfer reply", (85, 92),
        answer="已协调供电企业按政策重新结算电费，差额在下期电费中抵扣。",
    ),
    _ComplaintSpec(
        C, HOTLINE, "utilities", "自来水管网接入审批拖延",
        "新厂区自来水接入申请已提交一个多月，至今未批复。",
        "hrb-zjj", "accept transfer reply", (80, 92), city="哈尔滨",
        answer="已完成接入审批，施工单位已进场。",
    ),
    _ComplaintSpec(
        C, APP, "approval", "环评审批要求重复提交纸质材料",
        "已在网上提交环评材料，窗口仍要求提交纸质材料一式五份。",
        "hlj-sthjt", "accept transfer reply review- reply", (70, 82),
        answer="已取消纸质材料要求，环评审批按网上材料办理。",
    ),
    # --- with a department ----------------------------------------------------------------
    _ComplaintSpec(
        C, WEB, "approval", "取水许可审批超时",
        "企业取水许可申请已超过承诺时限未办结，影响新生产线投产。",
        "hlj-slt", "accept transfer", (90, 92),
    ),
    _ComplaintSpec(
        A, APP, "policy", "申请外贸企业出口信用保险保费补贴",
        "企业出口订单受疫情影响，申请出口信用保险保费补贴，不清楚申报渠道。",
        "hlj-swt", "accept transfer ext?", (95, 96),
    ),
    _ComplaintSpec(
        C, LETTER, "land", "项目用地不动产权证办理拖延",
        "项目用地出让金已缴清三个月，不动产权证仍未办理，无法办理施工许可。",
        "hlj-zrzyt", "accept transfer remind", (84, 87), city="大庆",
    ),
    _ComplaintSpec(
        R, WINDOW, "conduct", "街道设卡阻拦已备案企业复工",
        "企业已完成复工备案，所在街道仍设卡阻拦员工进入厂区，要求另行审批。",
        "hrb-yshj", "accept transfer remind escalate", (30, 60), city="哈尔滨",
    ),
    _ComplaintSpec(
        C, WEB, "policy", "企业所得税优惠政策申报受阻",
        "企业符合疫情防控重点保障物资生产企业税收优惠条件，申报时系统无法选择优惠事项。",
        "hlj-tax", "accept transfer reply review+ rate-", (88, 91),
        answer="已告知企业通过办税服务厅申报。",
    ),
    _ComplaintSpec(
        A, HOTLINE, "labour", "订单恢复急需招聘普工",
        "企业订单恢复，急需招聘普工80人，申请人社部门协助对接线上招聘会。",
        "mdj-rsj", "accept! transfer remind", (93, 97), city="牡丹江",
    ),
    _ComplaintSpec(
        C, EMAIL, "approval", "建筑业企业资质延续审批超时",
        "资质延续申请已超过承诺时限，资质到期后将无法参加投标。",
        "hlj-zjt", "accept transfer supervise", (90, 92),
    ),
    # --- accepted, waiting to be transferred --------------------------------------------
    _ComplaintSpec(
        C, WINDOW, "registration", "企业名称变更登记被退回",
        "名称变更登记网上申请被退回两次，退回理由不明确。",
        "hlj-scjgj", "accept", (90, 96),
    ),
    _ComplaintSpec(
        C, WEB, "utilities", "污水管网接入审批无人受理",
        "厂区污水接入市政管网申请提交后无人受理，影响环保验收。",
        "hlj-zjt", "accept transfer send-back", (85, 93), city="哈尔滨",
        note="污水管网接入属市级权限，非本单位职责，请转哈尔滨市住房和城乡建设局办理。",
    ),
    # --- lodged, waiting to be accepted -------------------------------------------------
    _ComplaintSpec(
        A, APP, "resumption", "申请复工复产消毒防疫指导",
        "企业计划下周复工，申请疾控部门上门指导厂区消毒和防疫方案。",
        "hlj-gxt", "", (98, 98),
    ),
    _ComplaintSpec(
        C, WEB, "approval", "印刷经营许可证办理咨询无人回复",
        "在政务服务平台留言咨询印刷经营许可办理材料，一周无人回复。",
        "hlj-scjgj", "remind", (92, 96),
    ),
    _ComplaintSpec(
        A, EMAIL, "policy", "申请中小企业发展专项资金",
        "企业拟申报中小企业发展专项资金，请求告知申报条件和受理部门。",
        "hlj-gxt", "remind escalate", (40, 80),
    ),
    # --- rejected -------------------------------------------------------------------------
    _ComplaintSpec(
        A, HOTLINE, "labour", "员工工资争议",
        "离职员工要求支付疫情停工期间全额工资，企业请求政府协调。",
        "hlj-rst", "reject", (0, 97),
        note="该诉求属劳动争议，已告知企业向劳动人事争议仲裁委员会申请仲裁。",
    ),
    _ComplaintSpec(
        C, WEB, "other", "工程款合同纠纷",
        "总包单位拖欠工程款，请求责令其支付。",
        "hlj-zjt", "reject", (0, 97),
        note="该事项已进入司法诉讼程序，不属于本局受理范围。",
    ),
    _ComplaintSpec(
        C, APP, "approval", "施工许可超时（重复投诉）",
        "施工许可网上申请超时，此前已投诉。",
        "hrb-zjj", "reject", (20, 97),
        note="与企业此前提交的投诉内容相同，已并入原件办理。",
    ),
    # --- withdrawn ------------------------------------------------------------------------
    _ComplaintSpec(
        A, WEB, "finance", "申请应急转贷资金",
        "企业贷款即将到期，受疫情影响无法按期还款，申请使用应急转贷资金。",
        "hlj-jrjgj", "accept transfer withdraw", (10, 80),
        note="已通过银行续贷解决资金问题，撤回诉求。",
    ),
    _ComplaintSpec(
        C, APP, "resumption", "复工审批被要求提供房东同意书",
        "街道要求复工企业提供房东同意复工证明，房东在外地无法提供。",
        "hrb-yshj", "withdraw", (10, 90),
        note="已与街道沟通解决，撤回投诉。",
    ),
    _ComplaintSpec(
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


def _plan_complaint(
    ctx: _Context, spec: _ComplaintSpec, enterprise: _Enterprise, lodge_wd: int
) -> None:
    """Lodge one complaint and make the moves its path names, with the deadlines the
    domain will compute. Tokens: accept, accept! (urgent), reject, transfer, transfer2
    (after a send-back, to `then`), send-back, ext+ / ext- / ext? (an extension approved,
    refused, pending), supervise, reply, review+ / review-, rate+ / rate-, close, remind
    and escalate (the deadline watcher), withdraw."""
    rng, cal, sla = ctx.rng, ctx.calendar, ctx.sla
    steps = spec.path.split()
    urgent_path = "accept!" in steps
    walk = ctx.tl.walk(lodge_wd, rng.randint(0, 45 if urgent_path else 240))
    by_enterprise = spec.channel in (Channel.WEB, Channel.APP, Channel.EMAIL)
    clerk = rng.choice(CLERKS)
    supervisor = rng.choice(SUPERVISORS)
    at = walk.now
    case = ctx.plan.create(
        COMPLAINT,
        enterprise.actor if by_enterprise else clerk,
        at,
        cmd.LodgeComplaint(
            kind=spec.kind,
            channel=spec.channel,
            category=spec.category,
            title=spec.title,
            description=spec.description,
            complainant=cmd.ComplainantIn(
                name=enterprise.name, credit_code=enterprise.credit_code, phone=enterprise.phone
            ),
            respondent_department=spec.respondent,
            confidential=spec.confidential,
        ),
    )
    due: datetime | None = cal.due_at(at, sla.acceptance_working_days)
    urgent = False
    department: str | None = None
    overdue = False  # the current deadline passed (a reminder was sent)
    escalate_after: datetime | None = None
    replies = 0
    days = 0

    def handling() -> int:
        return sla.handling_days(spec.kind, urgent=urgent)

    for step in steps:
        match step:
            case "accept" | "accept!":
                urgent = step == "accept!"
                note = "急事快办：涉及企业复工，当日办结。" if urgent else None
                ctx.plan.move(
                    case,
                    "accept",
                    clerk,
                    walk.minutes(15, 60 if urgent else 120),
                    cmd.Accept(note=note, urgent=urgent),
                )
                due, overdue, escalate_after = None, False, None
            case "reject":
                ctx.plan.move(
                    case, "reject", clerk, walk.minutes(30, 180), cmd.Reject(reason=spec.note or "")
                )
                due = None
            case "transfer" | "transfer2":
                department = spec.department if step == "transfer" else spec.then
                assert department is not None
                at = walk.minutes(10, 40 if urgent else 90)
                days = handling()
                ctx.plan.move(case, "transfer", clerk, at, cmd.Transfer(department=department))
                due, overdue, escalate_after = cal.due_at(at, days), False, None
            case "send-back":
                assert department is not None
                ctx.plan.move(
                    case,
                    "send-back",
                    _department(department),
                    walk.days(1),
                    cmd.SendBack(reason=spec.note or SEND_BACK_DEFAULT),
                )
                due, overdue, escalate_after = None, False, None
            case "ext+" | "ext-" | "ext?":
                assert department is not None and due is not None
                extra = rng.choice((5, 10))
                ctx.plan.move(
                    case,
                    "request-extension",
                    _department(department),
                    walk.days(1),
                    cmd.RequestExtension(working_days=extra, reason=rng.choice(EXTENSION_REASONS)),
                )
                if step != "ext?":
                    approved = step == "ext+"
                    note = (
                        "同意延期，请在延长期限内办结并答复企业。"
                        if approved
                        else "事关企业复工复产，不同意延期，请按期办结。"
                    )
                    ctx.plan.move(
                        case,
                        "decide-extension",
                        supervisor,
                        walk.minutes(60, 180),
                        cmd.DecideExtension(approved=approved, note=note),
                    )
                    if approved:
                        due = cal.due_at(due, extra)
            case "supervise":
                ctx.plan.move(
                    case,
                    "supervise",
                    supervisor,
                    walk.days(1),
                    cmd.Supervise(note=rng.choice(SUPERVISION_NOTES)),
                )
            case "reply":
                assert department is not None and due is not None
                if overdue:
                    at = walk.days(rng.randint(1, 2))
                elif days == 0:
                    at = walk.minutes(60, 120)
                else:
                    at = walk.days(rng.randint(1, min(3, days)))
                if not overdue and at > due:
                    raise ValueError(f"demo plan: reply to {spec.title!r} after its deadline")
                answer = spec.answer if replies == 0 else REDO_ANSWER.format(answer=spec.answer)
                replies += 1
                ctx.plan.move(case, "reply", _department(department), at, cmd.Reply(answer=answer))
                due, overdue, escalate_after = None, False, None
            case "review+" | "review-":
                approved = step == "review+"
                at = walk.minutes(60, 300)
                ctx.plan.move(
                    case,
                    "review",
                    supervisor,
                    at,
                    cmd.Review(
                        approved=approved, note=None if approved else rng.choice(REDO_NOTES)
                    ),
                )
                if not approved:
                    days = handling()
                    due, overdue, escalate_after = cal.due_at(at, days), False, None
            case "rate+" | "rate-":
                satisfied = step == "rate+"
                at = walk.days(rng.randint(1, 3))
                if satisfied:
                    rating = rng.choice(
                        (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED)
                    )
                    comment = rng.choice(SATISFIED_COMMENTS)
                else:
                    rating = rng.choice((Rating.UNSATISFIED, Rating.VERY_UNSATISFIED))
                    comment = rng.choice(UNSATISFIED_COMMENTS)
                ctx.plan.move(
                    case, "rate", enterprise.actor, at, cmd.Rate(rating=rating, comment=comment)
                )
                if not satisfied:
                    days = handling()
                    due, overdue, escalate_after = cal.due_at(at, days), False, None
            case "close":
                ctx.plan.move(
                    case,
                    "close",
                    supervisor,
                    walk.days(5),
                    cmd.Close(note="回访期满企业未评价，按规定办结。"),
                )
            case "remind":
                assert due is not None
                at = walk.after(due)
                ctx.plan.move(case, "remind", SYSTEM, at, cmd.Remind())
                overdue = True
                escalate_after = cal.due_at(at, ESCALATE_AFTER_WORKING_DAYS)
            case "escalate":
                assert escalate_after is not None
                ctx.plan.move(case, "escalate", SYSTEM, walk.after(escalate_after), cmd.Escalate())
                escalate_after = None
            case "withdraw":
                ctx.plan.move(
                    case,
                    "withdraw",
                    enterprise.actor,
                    walk.days(rng.randint(1, 2)),
                    cmd.Withdraw(reason=spec.note or "问题已解决，撤回。"),
                )
                due = None
            case _:
                raise ValueError(f"demo plan: unknown complaint step {step!r}")
    # As if the deadline watcher had been running: a deadline passed before the end of
    # the data set was reminded, and a reminder's grace that ran out was escalated.
    if due is not None and not overdue and due < ctx.horizon:
        raise ValueError(f"demo plan: {spec.title!r} is overdue but was not reminded")
    if due is not None and escalate_after is not None and escalate_after < ctx.horizon:
        raise ValueError(f"demo plan: {spec.title!r} should have been escalated")


# --- projects and their problems ----------------------------------------------------------

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


class _ProblemSpec(NamedTuple):
    category: ProblemCategory
    description: str
    raised_by: str  # "enterprise", "officer" or "clerk"
    path: str  # note, escalate, resolve, unresolvable, reopen
    outcome: str = ""  # the solution, or why it cannot be solved
    second: str = ""  # after a reopening: the reason, then "|" and the second solution


class _ProjectSpec(NamedTuple):
    name: str
    city: str
    sector: str
    industry: str  # the investor's line of business
    yi: str  # investment in 亿元 (100 million yuan)
    classes: tuple[tuple[Classification | None, int], ...]  # (class, working days later)
    window: tuple[int, int]  # the working days it may be registered on
    leader: str | None
    problems: tuple[_ProblemSpec, ...] = ()
    replace_officer: bool = False


PROJECTS: tuple[_ProjectSpec, ...] = (
    _ProjectSpec(
        "哈尔滨新区智能装备产业园项目", "哈尔滨", "装备制造", "装备制造", "35",
        ((PL, 0), (RS, 8)), (0, 5), "哈尔滨市人民政府副市长",
        (
            _ProblemSpec(
                LABOUR, "受疫情影响外省技术工人返岗困难，用工缺口约200人。", "enterprise",
                "note resolve",
                "人社部门组织专场线上招聘会，协调包车接回外省技术工人186人，用工缺口基本解决。",
            ),
            _ProblemSpec(
                LOGISTICS, "关键设备从江苏厂家发货，途经多地检疫站通行受阻。", "officer",
                "resolve", "协调交通运输部门办理重点物资运输通行证，设备已运抵现场。",
            ),
        ),
    ),
    _ProjectSpec(
        "哈尔滨冰雪大世界配套酒店群项目", "哈尔滨", "文化旅游", "旅游开发", "18",
        ((PL, 0),), (0, 10), "哈尔滨市营商环境建设监督局局长",
        (
            _ProblemSpec(
                FINANCING, "项目贷款审批受疫情影响暂停，续建资金缺口约3亿元。", "enterprise",
                "note escalate",
            ),
        ),
    ),
    _ProjectSpec(
        "哈尔滨生物医药产业园二期项目", "哈尔滨", "生物医药", "生物科技", "12",
        ((NS, 0),), (0, 3), "哈尔滨市人民政府副市长",
        (
            _ProblemSpec(
                SUPPLIES, "生产防疫物资所需熔喷布、消毒液原料短缺。", "officer",
                "note resolve", "工信部门协调省内熔喷布生产企业优先保障供应，首批5吨已到货。",
            ),
            _ProblemSpec(
                APPROVAL, "新增消毒产品生产线需办理卫生许可，申请特事特办。", "enterprise",
                "resolve", "开通应急审批绿色通道，按承诺制办理，2个工作日内核发许可。",
            ),
        ),
    ),
    _ProjectSpec(
        "哈尔滨综合保税区跨境电商物流中心项目", "哈尔滨", "现代物流", "跨境贸易", "8.6",
        ((NEW, 0),), (40, 60), "哈尔滨市人民政府副市长",
        (
            _ProblemSpec(
                LAND, "项目用地尚未完成土地征收，无法办理用地手续。", "enterprise", "note",
            ),
        ),
    ),
    _ProjectSpec(
        "哈尔滨哈南大数据中心项目", "哈尔滨", "数字经济", "信息技术", "22",
        ((PL, 0), (RS, 12)), (0, 8), "哈尔滨市营商环境建设监督局局长",
        (
            _ProblemSpec(
                OTHER, "双回路供电接入方案审批进度慢，影响机房建设。", "officer",
                "escalate resolve", "联系领导召集供电公司专题会商，供电方案已批复。",
            ),
        ),
        replace_officer=True,
    ),
    _ProjectSpec(
        "哈尔滨松北新能源汽车零部件项目", "哈尔滨", "汽车零部件", "汽车零部件", "15",
        ((NEW, 0),), (30, 55), None,
        (
            _ProblemSpec(
                APPROVAL, "签约后项目备案、环评、能评需同步推进，申请并联审批。", "officer",
                "note",
            ),
        ),
    ),
    _ProjectSpec(
        "齐齐哈尔重型数控机床智能化改造项目", "齐齐哈尔", "装备制造", "装备制造", "6.8",
        ((PL, 0), (RS, 5)), (0, 6), "齐齐哈尔市人民政府副市长",
        (
            _ProblemSpec(
                FINANCING, "技改资金缺口，申请省级技术改造专项资金支持。", "enterprise",
                "note resolve", "协调工信部门纳入省级技改项目库，专项资金已拨付。",
            ),
        ),
    ),
    _ProjectSpec(
        "齐齐哈尔年产30万吨玉米淀粉深加工项目", "齐齐哈尔", "农产品加工", "粮食加工", "9.5",
        ((NS, 0),), (0, 5), "齐齐哈尔市人民政府副市长",
        (
            _ProblemSpec(
                LOGISTICS, "原料玉米收购运输受卡口限制，库存仅够生产7天。", "enterprise",
                "resolve", "协调开通粮食运输绿色通道，原料运输恢复正常。",
            ),
        ),
    ),
    _ProjectSpec(
        "齐齐哈尔风电装备制造基地项目", "齐齐哈尔", "新能源", "电力设备", "14",
        ((PL, 0),), (5, 15), "齐齐哈尔市营商环境建设监督局局长",
        (
            _ProblemSpec(
                LABOUR, "施工队伍中外省工人返岗需核酸检测证明，检测预约困难。", "officer",
                "note note",
            ),
        ),
    ),
    _ProjectSpec(
        "牡丹江中俄木材精深加工园区项目", "牡丹江", "木材加工", "木业", "5.2",
        ((PL, 0), (RS, 10)), (0, 8), "牡丹江市人民政府副市长",
        (
            _ProblemSpec(
                LOGISTICS, "俄罗斯进口原木受口岸防疫措施影响，通关时间延长。", "enterprise",
                "escalate resolve", "联系领导协调海关开辟绿色通道，通关时间由7天压缩至2天。",
            ),
            _ProblemSpec(
                FINANCING, "出口订单减少，申请贷款延期偿还。", "enterprise",
                "resolve reopen resolve", "协调银行办理贷款展期3个月。",
                "企业反映展期后利率上浮，问题未实际解决。"
                "|协调银行按原利率办理展期，并纳入复工复产专项贷款名单。",
            ),
        ),
    ),
    _ProjectSpec(
        "牡丹江镜泊湖旅游度假区提档升级项目", "牡丹江", "文化旅游", "旅游开发", "7.5",
        ((PL, 0),), (5, 20), "牡丹江市人民政府副市长",
        (
            _ProblemSpec(
                APPROVAL, "景区改造涉及林地占用，需报省级审批。", "officer", "escalate",
            ),
        ),
    ),
    _ProjectSpec(
        "绥芬河口岸物流仓储项目", "牡丹江", "现代物流", "物流", "4.3",
        ((NEW, 0),), (45, 65), None,
    ),
    _ProjectSpec(
        "佳木斯水稻全产业链加工项目", "佳木斯", "农产品加工", "米业", "6",
        ((NS, 0),), (0, 5), "佳木斯市人民政府副市长",
        (
            _ProblemSpec(
                SUPPLIES, "春耕备耕期间包装材料和防疫物资供应紧张。", "enterprise",
                "resolve", "协调供应企业优先保障，包装材料和口罩、消毒液已到货。",
            ),
        ),
    ),
    _ProjectSpec(
        "同江口岸综合物流园项目", "佳木斯", "现代物流", "物流", "3.8",
        ((NEW, 0), (PL, 20), (RS, 45)), (0, 10), "佳木斯市营商环境建设监督局局长",
        (
            _ProblemSpec(
                APPROVAL, "口岸配套设施建设需多部门联合验收。", "officer",
                "note resolve", "组织海关、交通、住建等部门联合验收，一次性通过。",
            ),
        ),
    ),
    _ProjectSpec(
        "大庆石化炼油结构调整转型升级项目", "大庆", "石油化工", "石化科技", "95",
        ((NS, 0),), (0, 3), "大庆市人民政府副市长",
        (
            _ProblemSpec(
                LABOUR, "检修期外地施工人员集中进场，需集中健康监测。", "officer",
                "resolve", "协调卫健部门设立进场人员健康监测点，施工人员分批有序进场。",
            ),
            _ProblemSpec(
                LOGISTICS, "大型设备超限运输许可办理时间长。", "enterprise",
                "resolve", "交通运输部门按承诺制当日核发超限运输许可。",
            ),
        ),
        replace_officer=True,
    ),
    _ProjectSpec(
        "大庆高新区聚碳酸酯新材料项目", "大庆", "新材料", "新材料科技", "28",
        ((PL, 0), (RS, 7)), (0, 6), "大庆市人民政府副市长",
        (
            _ProblemSpec(
                LAND, "项目二期用地规划调整尚未批复。", "enterprise",
                "escalate resolve", "联系领导召开专题会，规划调整方案已批复。",
            ),
            _ProblemSpec(
                APPROVAL, "危险化学品建设项目安全条件审查排队时间长，申请简化程序。", "clerk",
                "unresolvable",
                "企业安全评价报告存在重大缺陷须重新编制，依法不能简化审查程序，已指导企业整改。",
            ),
        ),
    ),
    _ProjectSpec(
        "大庆光伏发电平价上网项目", "大庆", "新能源", "电力设备", "11",
        ((NEW, 0),), (35, 60), "大庆市营商环境建设监督局局长",
        (
            _ProblemSpec(
                LAND, "光伏用地涉及草原，需办理草原征占用手续。", "officer", "note",
            ),
        ),
    ),
    _ProjectSpec(
        "大庆乳制品加工扩建项目", "大庆", "食品加工", "乳业", "4.6",
        ((RS, 0),), (0, 10), None,
        (
            _ProblemSpec(
                FINANCING, "奶源收购资金紧张，申请纳入复工复产重点企业名单获得优惠贷款。",
                "enterprise", "resolve", "已纳入重点企业名单，优惠贷款3000万元已发放。",
            ),
        ),
    ),
    _ProjectSpec(
        "鸡西石墨负极材料产业化项目", "鸡西", "新材料", "石墨科技", "16",
        ((PL, 0),), (5, 15), "鸡西市人民政府副市长",
        (
            _ProblemSpec(
                LAND, "企业要求以低于评估价的价格取得项目用地。", "enterprise",
                "note unresolvable",
                "企业要求的土地出让价格低于国家规定的工业用地出让最低价标准，依法不能支持，"
                "已向企业解释并提供分期缴纳方案。",
            ),
            _ProblemSpec(
                APPROVAL, "项目节能审查进度慢，影响开工。", "officer", "escalate",
            ),
        ),
    ),
    _ProjectSpec(
        "鹤岗石墨烯新材料项目", "鹤岗", "新材料", "石墨科技", "5",
        ((NEW, 0), (PL, 30)), (10, 30), "鹤岗市人民政府副市长",
        (
            _ProblemSpec(
                APPROVAL, "签约后申请办理外商投资项目备案。", "officer",
                "resolve", "已通过投资项目在线审批监管平台当日完成备案。",
            ),
        ),
    ),
    _ProjectSpec(
        "双鸭山煤化工综合利用项目", "双鸭山", "煤化工", "石化科技", "24",
        ((PL, 0), (RS, 15)), (0, 10), "双鸭山市人民政府副市长",
        (
            _ProblemSpec(
                SUPPLIES, "复工所需口罩、测温枪、消毒液等防疫物资短缺。", "officer",
                "resolve", "协调调配口罩2万只、测温枪50支、消毒液2吨，满足复工需要。",
            ),
            _ProblemSpec(
                LABOUR, "技术岗位招聘困难，缺少化工专业技术人员。", "enterprise",
                "resolve reopen", "协调省内高校推荐化工专业毕业生。",
                "企业反映推荐人员到岗不足三成，缺口仍然较大。|",
            ),
        ),
    ),
    _ProjectSpec(
        "绥化鲜食玉米加工园区项目", "绥化", "农产品加工", "食品", "3.2",
        ((NS, 0),), (0, 8), "绥化市人民政府副市长",
        (
            _ProblemSpec(
                LOGISTICS, "冷链运输车辆不足，产品外运受阻。", "enterprise", "note escalate",
            ),
        ),
    ),
    _ProjectSpec(
        "黑河中俄跨境能源储运项目", "黑河", "能源", "跨境贸易", "30",
        ((NEW, 0),), (50, 70), "黑河市人民政府副市长",
        (
            _ProblemSpec(
                OTHER, "外方技术人员入境受疫情防控政策限制。", "officer", "unresolvable",
                "受国家入境疫情防控政策限制，外方人员暂无法入境，已协调改为远程视频技术指导。",
            ),
        ),
    ),
    _ProjectSpec(
        "伊春森林食品（蓝莓）精深加工项目", "伊春", "食品加工", "食品", "2.6",
        ((None, 0), (PL, 2)), (5, 15), "伊春市人民政府副市长",
        (
            _ProblemSpec(
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
COORDINATION = frozenset({"note", "escalate", "resolve"})  # a problem's coordinated steps


def _plan_project(ctx: _Context, spec: _ProjectSpec) -> None:
    rng, plan, served = ctx.rng, ctx.plan, ctx.served
    city = _CITY[spec.city]
    investor = ctx.enterprises.new(city, spec.industry)
    supervisor = rng.choice(SUPERVISORS)
    register_wd = rng.randint(*spec.window)
    walk = ctx.tl.walk(register_wd, rng.randint(0, 300))
    first_class, _ = spec.classes[0]
    project = plan.create(
        PROJECT,
        rng.choice((*CLERKS[:2], supervisor)),
        walk.now,
        pc.RegisterProject(
            name=spec.name,
            investor=pc.InvestorIn(name=investor.name, credit_code=investor.credit_code),
            city=spec.city,
            investment_cny=Decimal(spec.yi) * 100_000_000,
            sector=spec.sector,
            classification=first_class,
        ),
    )
    served.join_task_force(
        ctx, project, supervisor, walk, f"{spec.city}市重大项目推进专班（{spec.sector}）"
    )
    officers = [served.join_officer(ctx, project, supervisor, walk, city, i) for i in range(2)]
    if spec.leader:
        served.join_leader(ctx, project, supervisor, walk, spec.leader)
    officer = officers[0]
    if spec.replace_officer:
        successor = served.join_officer(
            ctx,
            project,
            supervisor,
            walk,
            city,
            0,
            at=walk.days(1),
            note="工作调整，接任首席服务员。",
        )
        plan.move(
            project,
            "leave-officer",
            supervisor,
            walk.minutes(5, 30),
            pc.LeaveOfficer(officer_id=officer.id, note="工作调整，不再担任本项目首席服务员。"),
        )
        officer = successor
    setup_done = walk.now
    # Reclassifications, by the officer or a supervisor, on their own clock.
    class_walk = _Walk(ctx.tl, setup_done)
    previous = 0
    for classification, later in spec.classes[1:]:
        assert classification is not None
        at = class_walk.days(later - previous)
        previous = later
        plan.move(
            project,
            "classify",
            rng.choice((officer, supervisor)),
            at,
            pc.Classify(classification=classification, note=CLASS_NOTES[classification]),
        )
    for i, problem in enumerate(spec.problems):
        if "escalate" in problem.path and not spec.leader:
            raise ValueError(f"demo plan: {spec.name} has no contact leader to escalate to")
        raise_walk = _Walk(ctx.tl, setup_done)
        raise_walk.days(rng.randint(2, 6) + 4 * i)
        _plan_problem(ctx, project, problem, investor, officer, raise_walk)
    if any(COORDINATION & set(problem.path.split()) for problem in spec.problems):
        served.coordinated_projects += 1


@dataclass
class _Served:
    """Who served the projects, and how many projects had problems coordinated: the
    generated projects make up the release's figures (RELEASE_PROJECTS) exactly."""

    leader_projects: int = 0
    task_forces: set[str] = field(default_factory=set)
    officers: set[str] = field(default_factory=set)
    coordinated_projects: int = 0
    serial: Counter[str] = field(default_factory=Counter)  # officers per city

    def join_task_force(
        self, ctx: _Context, project: _Case, actor: Actor, walk: _Walk, name: str
    ) -> None:
        self.task_forces.add(name)
        ctx.plan.move(
            project, "join-task-force", actor, walk.minutes(30, 120),
            pc.JoinTaskForce(task_force=name),
        )  # fmt: skip

    def join_officer(
        self,
        ctx: _Context,
        project: _Case,
        actor: Actor,
        walk: _Walk,
        city: _City,
        rank: int,
        *,
        at: datetime | None = None,
        note: str | None = None,
    ) -> Actor:
        """A new chief service officer of the city joins the project (`rank` 0: the
        first of the project's officers)."""
        self.serial[city.slug] += 1
        officer = Actor(
            id=f"officer-{city.slug}-{self.serial[city.slug]:03d}", role=Role.SERVICE_OFFICER
        )
        self.officers.add(officer.id)
        ctx.plan.move(
            project,
            "join-officer",
            actor,
            at or walk.minutes(10, 60),
            pc.JoinOfficer(officer_id=officer.id, note=note or OFFICER_NOTES[min(rank, 2)]),
        )
        return officer

    def join_leader(
        self, ctx: _Context, project: _Case, actor: Actor, walk: _Walk, leader: str
    ) -> None:
        self.leader_projects += 1
        ctx.plan.move(
            project, "join-leader", actor, walk.minutes(10, 60),
            pc.JoinLeader(leader=leader, note="领导联系项目。"),
        )  # fmt: skip


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
    _ProblemSpec(LABOUR, "复工后一线操作工缺口较大，急需招聘。", "enterprise", "note resolve",
                 "人社部门组织专场线上招聘会，用工缺口已补齐。"),
    _ProblemSpec(LOGISTICS, "原材料运输车辆跨市通行受限，影响复工。", "officer", "resolve",
                 "协调办理重点物资运输车辆通行证，原材料已运抵。"),
    _ProblemSpec(SUPPLIES, "复工所需口罩、消毒液储备不足。", "officer", "note resolve",
                 "协调调配口罩、消毒液，满足复工防疫需要。"),
    _ProblemSpec(FINANCING, "流动资金紧张，申请对接复工复产专项贷款。", "enterprise",
                 "note resolve", "已对接银行发放复工复产专项贷款。"),
    _ProblemSpec(APPROVAL, "施工许可所需部分材料因疫情无法按时提交。", "clerk", "resolve",
                 "按“承诺即开工”容缺受理，施工许可已核发，材料待疫情结束后补齐。"),
    _ProblemSpec(LAND, "项目用地报批材料需补正，进度较慢。", "officer", "note"),
)  # fmt: skip


def _plan_generated_projects(ctx: _Context) -> None:
    """The projects besides the described ones, so that the figures come out as the
    release's: exactly the leader contacts, coordinated projects, task forces (some push
    two projects) and chief service officers (several per project, some rotated) the
    described projects leave to make up."""
    rng, plan, served, count = ctx.rng, ctx.plan, ctx.served, GENERATED_PROJECTS
    leaders = RELEASE_PROJECTS["with_leader_contact"] - served.leader_projects
    coordinated = (
        RELEASE_PROJECTS["projects_with_coordinated_problems"] - served.coordinated_projects
    )
    task_forces = RELEASE_PROJECTS["task_forces"] - len(served.task_forces)
    officers = RELEASE_PROJECTS["chief_service_officers"] - len(served.officers)
    if not (0 <= leaders <= count and 0 <= coordinated <= count and 0 < task_forces <= count
            and count <= officers):  # fmt: skip
        raise ValueError(
            "demo plan: the described projects leave no room for the release's figures"
        )
    cities = sorted(rng.choices(CITIES, CITY_WEIGHTS, k=count), key=CITIES.index)
    with_leader = set(rng.sample(range(count), leaders))
    with_problem = set(rng.sample(range(count), coordinated))
    officer_counts = [officers // count + (i < officers % count) for i in range(count)]
    rng.shuffle(officer_counts)
    names = {spec.name for spec in PROJECTS}
    task_force_of: dict[int, str] = {}  # consecutive projects (one city) share some
    for i, city in enumerate(cities):
        sector, industry, products = rng.choice(PRODUCTS)
        name = f"{city.name}{rng.choice(products)}项目"
        while name in names:
            name = f"{city.name}{rng.choice(products)}{rng.choice('二三四')}期项目"
        names.add(name)
        investor = ctx.enterprises.new(city, industry)
        supervisor = rng.choice(SUPERVISORS)
        walk = ctx.tl.walk(rng.randint(0, LAST_CASE_DAY - 40), rng.randint(0, 420))
        classification = rng.choices(CLASS_CHOICES, (3, 4, 3, 2))[0]
        project = plan.create(
            PROJECT,
            rng.choice((*CLERKS[:2], supervisor)),
            walk.now,
            pc.RegisterProject(
                name=name,
                investor=pc.InvestorIn(name=investor.name, credit_code=investor.credit_code),
                city=city.name,
                investment_cny=Decimal(rng.randint(5, 500)) * 10_000_000,
                sector=sector,
                classification=classification,
            ),
        )
        index = i * task_forces // count
        if index not in task_force_of:
            task_force_of[index] = _task_force_name(city, sector, served.task_forces)
        served.join_task_force(ctx, project, supervisor, walk, task_force_of[index])
        slots = officer_counts[i]
        rotate = slots >= 2 and rng.random() < 0.15  # the last one takes over later
        joined = [
            served.join_officer(ctx, project, supervisor, walk, city, rank)
            for rank in range(slots - rotate)
        ]
        if i in with_leader:
            title = rng.choice(LEADER_TITLES).format(city=city.name)
            served.join_leader(ctx, project, supervisor, walk, title)
        setup_done = walk.now
        if rotate:
            later = _Walk(ctx.tl, setup_done)
            successor = served.join_officer(
                ctx, project, supervisor, later, city, 0, at=later.days(rng.randint(3, 15)),
                note="工作调整，接任首席服务员。",
            )  # fmt: skip
            plan.move(
                project, "leave-officer", supervisor, later.minutes(5, 30),
                pc.LeaveOfficer(officer_id=joined[0].id, note="工作调整。"),
            )  # fmt: skip
            joined = [successor, *joined[1:]]
        if classification is PL and rng.random() < 0.4:
            plan.move(
                project, "classify", rng.choice((joined[0], supervisor)),
                _Walk(ctx.tl, walk.now).days(rng.randint(20, 25)),
                pc.Classify(classification=RS, note=CLASS_NOTES[RS]),
            )  # fmt: skip
        if i in with_problem:
            raise_walk = _Walk(ctx.tl, walk.now)
            # after a rotation (within 15 working days), with the officer serving then
            raise_walk.days(rng.randint(17, 20) if rotate else rng.randint(2, 6))
            spec = rng.choice(GENERATED_PROBLEMS)
            _plan_problem(ctx, project, spec, investor, joined[0], raise_walk)
            served.coordinated_projects += 1


def _task_force_name(city: _City, sector: str, taken: set[str]) -> str:
    name, n = f"{city.name}市{sector}项目推进专班", 1
    while name in taken:
        n += 1
        name = f"{city.name}市{sector}项目推进第{n}专班"
    return name


def _plan_problem(
    ctx: _Context,
    project: _Case,
    spec: _ProblemSpec,
    investor: _Enterprise,
    officer: Actor,
    walk: _Walk,
) -> None:
    rng, plan = ctx.rng, ctx.plan
    supervisor = rng.choice(SUPERVISORS)
    raiser = {"enterprise": investor.actor, "officer": officer, "clerk": rng.choice(CLERKS)}[
        spec.raised_by
    ]
    category, description = spec.category, spec.description
    problem = plan.create(
        PROBLEM,
        raiser,
        walk.now,
        lambda: pc.RaiseProblem(
            project_id=_id(project), category=category, description=description
        ),
    )
    reopen_reason, _, second_solution = spec.second.partition("|")
    solutions = [spec.outcome, second_solution]
    for step in spec.path.split():
        match step:
            case "note":
                role = rng.choice(list(CoordinationRole))
                plan.move(
                    problem,
                    "note",
                    officer,
                    walk.days(rng.randint(1, 3)),
                    pc.Note(role=role, text=NOTE_TEXTS[role]),
                )
            case "escalate":
                plan.move(
                    problem,
                    "escalate",
                    rng.choice((officer, supervisor)),
                    walk.days(rng.randint(1, 3)),
                    pc.Escalate(reason="问题涉及跨部门、跨层级协调，提请联系领导协调解决。"),
                )
            case "resolve":
                plan.move(
                    problem,
                    "resolve",
                    rng.choice((officer, supervisor)),
                    walk.days(rng.randint(2, 8)),
                    pc.Resolve(solution=solutions.pop(0)),
                )
            case "unresolvable":
                plan.move(
                    problem,
                    "declare-unresolvable",
                    supervisor,
                    walk.days(rng.randint(3, 8)),
                    pc.DeclareUnresolvable(reason=spec.outcome),
                )
            case "reopen":
                plan.move(
                    problem,
                    "reopen",
                    supervisor,
                    walk.days(rng.randint(3, 6)),
                    pc.Reopen(reason=reopen_reason),
                )
            case _:
                raise ValueError(f"demo plan: unknown problem step {step!r}")


def _id(case: _Case) -> UUID:
    if case.id is None:
        raise ValueError("demo plan: a case was used before it was created")
    return case.id


# --- credit commitments (承诺即开工) ----------------------------------------------------------


class _CommitmentSpec(NamedTuple):
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

COMMITMENTS: tuple[_CommitmentSpec, ...] = (
    _CommitmentSpec(
        "食品经营许可", ("食品安全管理制度文本", "从业人员健康证明", "经营场所平面布局图"),
        ("days", 45), "grant supply:0+1 supply:2", (0, 30),
    ),
    _CommitmentSpec(
        "建筑工程施工许可", ("施工图设计文件审查合格书", "工程质量安全监督手续", "施工合同"),
        ("epidemic", 20), "grant supply:0 supply:1 supply:2", (0, 20),
    ),
    _CommitmentSpec(
        "排污许可证核发", ("环境影响评价批复文件", "污染防治设施验收报告"),
        ("days", 60), "grant supply:0+1", (0, 40),
    ),
    _CommitmentSpec(
        "医疗器械生产许可（医用口罩转产）", ("产品检验报告", "洁净车间检测报告"),
        ("days", 30), "grant overdue supply:0+1", (0, 20),
    ),
    _CommitmentSpec(
        "建设工程消防设计审查", ("消防设计文件", "建筑总平面图"),
        ("days", 40), "grant supply:0+1 revoke", (0, 20),
        reason="核查发现实际情况与承诺内容不符，撤销审批决定。",
        finding="现场核查发现实际建筑面积与承诺的消防设计文件不符，消防设施未按设计施工。",
    ),
    _CommitmentSpec(
        "道路货物运输经营许可", ("车辆技术等级评定证明", "驾驶员从业资格证"),
        ("days", 30), "grant overdue breach", (0, 30),
        reason="逾期未补齐材料，经两次催告仍未提交，且非疫情原因，依法认定未履诺。",
    ),
    _CommitmentSpec(
        "建设用地规划许可", ("国有建设用地使用权出让合同", "规划设计条件"),
        ("days", 30), "grant supply:0 overdue breach", (10, 40),
        reason="规划设计条件逾期未提交，企业已正常生产经营，不属于疫情影响，认定失信。",
    ),
    _CommitmentSpec(
        "工业产品生产许可（防护服转产）", ("产品检验报告", "生产设备清单"),
        ("days", 30), "grant overdue exempt", (0, 25),
        reason="检验机构受疫情影响停工，企业无法如期取得检验报告，属疫情防控影响，"
        "暂不纳入失信记录，不实施失信联合惩戒。",
    ),
    _CommitmentSpec(
        "药品经营许可", ("质量管理文件", "仓储设施验收报告"),
        ("epidemic", 15), "grant exempt", (0, 20),
        reason="企业所在地实行封闭管理，无法完成整改，属疫情防控影响，暂不纳入失信记录。",
    ),
    _CommitmentSpec(
        "消毒产品生产企业卫生许可", ("生产车间检测报告", "产品配方及工艺说明"),
        ("days", 40), "grant revoke", (10, 40),
        reason="核查发现不符合审批条件，撤销卫生许可。",
        finding="现场核查发现生产车间不具备承诺的洁净条件，消毒产品检验不合格。",
    ),
    _CommitmentSpec(
        "建筑工程竣工验收备案", ("工程竣工验收报告", "质量保修书"),
        ("days", 30), "grant overdue", (30, 55),
    ),
    _CommitmentSpec(
        "危险化学品经营许可", ("安全评价报告", "安全管理制度", "从业人员培训合格证明"),
        ("days", 40), "grant supply:0 overdue", (25, 45),
    ),
    _CommitmentSpec(
        "建设项目环境影响评价审批", ("环境影响报告表", "公众参与说明"),
        ("epidemic", 30), "grant", (5, 40),
    ),
    _CommitmentSpec(
        "人防工程建设审批", ("人防工程施工图", "易地建设费缴纳凭证"),
        ("epidemic", 40), "grant supply:0", (5, 50),
    ),
    _CommitmentSpec(
        "城镇污水排入排水管网许可", ("排水户内部管网图", "水质检测报告"),
        ("days", 120), "grant supply:0", (50, 80),
    ),
    _CommitmentSpec(
        "取水许可", ("水资源论证报告", "取水工程设计文件"),
        ("days", 60), "", (98, 98),
    ),
)  # fmt: skip


def _plan_commitment(ctx: _Context, spec: _CommitmentSpec, enterprise: _Enterprise) -> None:
    rng, plan, cal = ctx.rng, ctx.plan, ctx.calendar
    clerk = rng.choice(CLERKS)
    supervisor = rng.choice(SUPERVISORS)
    by_clerk = rng.random() < 0.25  # at a service window, on the enterprise's behalf
    committer = clerk if by_clerk else enterprise.actor
    walk = ctx.tl.walk(rng.randint(*spec.window), rng.randint(0, 240))
    kind, amount = spec.due
    epidemic = kind == "epidemic"
    due_date = None if epidemic else walk.now.astimezone(ctx.tl.tz).date() + timedelta(amount)
    due_at = None if due_date is None else date_due_at(cal, due_date)
    case = plan.create(
        COMMITMENT,
        committer,
        walk.now,
        cc.Commit(
            matter=spec.matter,
            enterprise=cc.EnterpriseIn(name=enterprise.name, credit_code=enterprise.credit_code),
            statement=STATEMENT.format(matter=spec.matter),
            materials=list(spec.materials),
            due=cc.DueIn(date=due_date)
            if not epidemic
            else cc.DueIn(epidemic_end=True, grace_working_days=amount),
        ),
    )
    overdue = granted = settled = False
    supplied: list[str] = []
    for step in spec.path.split():
        name, _, arg = step.partition(":")
        match name:
            case "grant":
                plan.move(
                    case,
                    "grant",
                    clerk,
                    walk.minutes(20, 90),
                    cc.Grant(note="承诺即开工：企业书面承诺符合审批条件，直接作出审批决定。"),
                )
                granted = True
            case "supply":
                at = walk.days(rng.randint(2, 6))
                if not overdue and due_at is not None and at > due_at:
                    raise ValueError(f"demo plan: {spec.matter} supplied after its due")
                materials = [spec.materials[int(i)] for i in arg.split("+")]
                plan.move(case, "supply", committer, at, cc.Supply(materials=materials))
                supplied += materials
                settled = len(supplied) == len(spec.materials)
            case "overdue":
                assert due_at is not None
                plan.move(case, "mark-overdue", SYSTEM, walk.after(due_at), cc.MarkOverdue())
                overdue = True
            case "breach":
                plan.move(
                    case,
                    "breach",
                    supervisor,
                    walk.days(rng.randint(3, 6)),
                    cc.Breach(reason=spec.reason),
                )
                settled = True
            case "exempt":
                plan.move(
                    case,
                    "exempt",
                    supervisor,
                    walk.days(rng.randint(2, 5)),
                    cc.Exempt(reason=spec.reason),
                )
                settled = True
            case "revoke":
                plan.move(
                    case,
                    "revoke",
                    supervisor,
                    walk.days(rng.randint(5, 15)),
                    cc.Revoke(reason=spec.reason, finding=spec.finding),
                )
                settled = True
            case _:
                raise ValueError(f"demo plan: unknown commitment step {step!r}")
    # As if the deadline watcher had been running (see _plan_complaint).
    if granted and not settled and not overdue and due_at is not None and due_at < ctx.horizon:
        raise ValueError(f"demo plan: {spec.matter} is overdue but was not marked")


# --- credit repair (信用修复) ------------------------------------------------------------------


class _Penalty(NamedTuple):
    authority: str  # "{city}" is the city's name
    abbr: str  # in the decision number
    severity: Severity
    proof: str


PENALTIES = (
    _Penalty("{city}市市场监督管理局", "市监", Severity.MINOR,
             "已补报并公示年度报告，罚款已缴清，相关违法行为已纠正。"),
    _Penalty("{city}市市场监督管理局", "市监", Severity.GENERAL,
             "已下架全部涉事预包装食品并足额缴纳罚款，完善了进货查验制度。"),
    _Penalty("{city}市生态环境局", "环", Severity.GENERAL,
             "已完成废气治理设施改造，经第三方检测达标排放，罚款已缴清。"),
    _Penalty("{city}市应急管理局", "应急", Severity.MINOR,
             "已组织全员安全生产培训并考核合格，罚款已缴清。"),
    _Penalty("国家税务总局{city}市税务局", "税", Severity.MINOR,
             "已补办纳税申报，税款、滞纳金和罚款均已缴清。"),
    _Penalty("{city}市住房和城乡建设局", "建", Severity.GENERAL,
             "已补办施工许可手续并缴纳罚款，项目已合法施工。"),
    _Penalty("{city}市交通运输局", "交", Severity.MINOR,
             "罚款已缴清，车辆已加装称重监控装置，杜绝超限运输。"),
    _Penalty("{city}市消防救援支队", "消", Severity.GENERAL,
             "已更换失效消防设施并通过消防救援机构复查。"),
    _Penalty("{city}市市场监督管理局", "市监", Severity.SERIOUS,
             "已召回全部不合格产品，罚款已缴清，整改报告已提交。"),
)  # fmt: skip

# 38 applications, as in the release: every one reviewed within 1 working day and
# repaired (the other paths stay in `_plan_credit_repair` for other data sets).
REPAIR_OUTCOMES = ("repaired",) * 38


def _plan_credit_repair(
    ctx: _Context, enterprise: _Enterprise, outcome: str, apply_wd: int, serial: int
) -> None:
    rng, plan = ctx.rng, ctx.plan
    clerk = rng.choice(CLERKS)
    reviewer = rng.choice(SUPERVISORS)
    city = enterprise.city
    penalty = rng.choice(PENALTIES[:-1] if outcome != "refused-centre" else PENALTIES[-1:])
    year = rng.choice((2018, 2019, 2019))
    walk = ctx.tl.walk(apply_wd, rng.randint(0, 300))
    by_clerk = rng.random() < 0.2
    case = plan.create(
        CREDIT_REPAIR,
        clerk if by_clerk else enterprise.actor,
        walk.now,
        rc.ApplyForRepair(
            enterprise=rc.EnterpriseIn(name=enterprise.name, credit_code=enterprise.credit_code),
            record_id=f"{city.abbr}{penalty.abbr}罚〔{year}〕{serial}号",
            penalty_authority=penalty.authority.format(city=city.name),
            severity=penalty.severity,
            proof=penalty.proof,
            pledge_signed=True,
        ),
    )
    if outcome == "applied":
        return
    if outcome == "refused-initial":
        reason = "未提供行政处罚决定履行完毕的证明材料（罚款缴纳凭证），请补充后重新申请。"
        plan.move(
            case,
            "initial-review",
            clerk,
            walk.minutes(60, 180),
            rc.RepairReview(passed=False, reason=reason),
        )
        return
    plan.move(case, "initial-review", clerk, walk.minutes(60, 180), rc.RepairReview(passed=True))
    if outcome == "withdrawn":
        plan.move(
            case,
            "withdraw",
            enterprise.actor,
            walk.minutes(30, 120),
            cmd.Withdraw(reason="处罚决定正在行政复议中，待复议结束后再申请修复。"),
        )
        return
    plan.move(case, "re-review", reviewer, walk.minutes(30, 120), rc.RepairReview(passed=True))
    plan.move(
        case,
        "submit",
        clerk,
        walk.minutes(10, 30),
        rc.SubmitToCentre(note="已在1个工作日内完成初审和复审，提交国家信用信息中心终审。"),
    )
    if outcome == "submitted":
        return
    repaired = outcome == "repaired"
    reason = None if repaired else "严重失信行为的最短公示期未满，国家信用信息中心终审不予修复。"
    plan.move(
        case,
        "record-outcome",
        clerk,
        walk.days(rng.randint(2, 5)),
        rc.RecordOutcome(repaired=repaired, reason=reason),
    )


# --- the whole data set --------------------------------------------------------------------


@dataclass
class _Context:
    rng: random.Random
    calendar: WorkingCalendar
    sla: SlaPolicy
    tl: _Timeline
    plan: _Plan
    enterprises: _Enterprises
    horizon: datetime  # the end of the data set: a deadline before it has been acted on
    served: _Served = field(default_factory=_Served)


def _build_plan(
    calendar: WorkingCalendar, sla: SlaPolicy, start: datetime, seed: int
) -> tuple[_Plan, datetime]:
    """Every command of the data set with its time (nothing is sent yet)."""
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    tl = _Timeline(calendar, start, rng)
    stats_at = tl.at(STATISTICS_DAY, 60)
    ctx = _Context(rng, calendar, sla, tl, _Plan(), _Enterprises(rng), stats_at)

    for project in PROJECTS:
        _plan_project(ctx, project)
    _plan_generated_projects(ctx)
    for spec in COMPLAINTS:
        unknown = {spec.department, spec.then or spec.department} - DEPARTMENTS.keys()
        if unknown:
            raise ValueError(f"demo plan: unknown department {unknown}")
        _plan_complaint(ctx, spec, ctx.enterprises.any(spec.city), rng.randint(*spec.window))
    for commitment in COMMITMENTS:
        _plan_commitment(ctx, commitment, ctx.enterprises.any())
    outcomes = list(REPAIR_OUTCOMES)
    rng.shuffle(outcomes)
    # Pending ones at the end of the period, the others spread over it.
    outcomes.sort(key=lambda o: o in ("submitted", "applied"))
    for i, outcome in enumerate(outcomes):
        if outcome == "applied":
            wd = LAST_CASE_DAY
        elif outcome == "submitted":
            wd = LAST_CASE_DAY - 1
        else:
            wd = 2 + i * (LAST_CASE_DAY - 12) // len(outcomes)
        _plan_credit_repair(ctx, ctx.enterprises.new(), outcome, wd, rng.randint(100, 2999))

    late = [s for s in ctx.plan.steps if s.at >= stats_at]
    if late:
        raise ValueError(f"demo plan: {late[0].move} at {late[0].at} is after the period")
    return ctx.plan, stats_at


def load_demo(app: Oversight, *, start: datetime, seed: int = 2020) -> DemoSummary:
    """Load the demo data set into `app` through its public commands, every command dated
    from `start` (see the module's docstring), and say what was loaded."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    before = app.recorder.max_notification_id() or 0
    plan, stats_at = _build_plan(app.calendar, app.sla, start, seed)
    local_start = start.astimezone(app.calendar.timezone)
    period_end = stats_at.date().replace(day=1) - timedelta(days=1)
    period_start = local_start.date().replace(day=1)
    stats = plan.create(
        SERVICE_STATISTICS,
        SUPERVISORS[0],
        stats_at,
        RecordServiceStatistics(
            period_start=period_start,
            period_end=period_end,
            online=ONLINE_ITEMS,
            offline=OFFLINE_ITEMS,
            note="全省政务服务事项办理量（网上办理、线下办理），据各市地和省直部门报送汇总。",
        ),
    )
    for minutes, kind, (resumed, required), note in (
        (10, StatisticsKind.INDUSTRIAL_RESUMPTION, INDUSTRIAL_RESUMED,
         "全省规模以上工业企业复工情况，据省工业和信息化厅报送。"),
        (20, StatisticsKind.FOREIGN_TRADE_RESUMPTION, FOREIGN_TRADE_RESUMED,
         "全省外贸企业开复工情况，据省商务厅报送。"),
    ):  # fmt: skip
        plan.create(
            SERVICE_STATISTICS,
            SUPERVISORS[1],
            stats_at + timedelta(minutes=minutes),
            RecordServiceStatistics(
                period_start=period_start,
                period_end=period_end,
                kind=kind,
                resumed=resumed,
                required=required,
                note=note,
            ),
        )
    created, end = plan.run(app)
    assert stats.state is not None
    after = app.recorder.max_notification_id() or 0

    cases: dict[str, int] = {}
    statuses: dict[str, dict[str, int]] = {}
    case_ids: dict[str, list[UUID]] = {}
    for case_type in ALL_CASE_TYPES:
        mine = [case for case in created if case.case_type is case_type]
        if mine:
            cases[case_type.name] = len(mine)
            statuses[case_type.name] = dict(sorted(Counter(map(_status, mine)).items()))
            case_ids[case_type.name] = [_id(case) for case in mine]
    return DemoSummary(
        seed=seed,
        start=local_start,
        end=end,
        events=after - before,
        cases=cases,
        statuses=statuses,
        case_ids=case_ids,
    )


def _status(case: _Case) -> str:
    state = case.state
    if case.case_type is PROJECT:
        return str(state.classification)
    if case.case_type is SERVICE_STATISTICS:
        return "recorded"
    return str(state.status)


# --- the command line ----------------------------------------------------------------------


async def catch_up_views(database_url: str) -> int:
    """Run the projection runner once over every view; returns the events applied."""
    import asyncpg

    from oversight.database import asyncpg_dsn
    from oversight.runtime import PROJECTIONS
    from projections.runner import ProjectionRunner, ensure_schema

    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await ensure_schema(conn, PROJECTIONS)
        return await ProjectionRunner(pool, PROJECTIONS).catch_up()
    finally:
        await pool.close()


def run_demo(database_url: str, settings: Any, *, seed: int, force: bool, catch_up: bool) -> int:
    """`oversight demo`: refuses a store that already holds events unless forced."""
    from oversight.runtime import build_application

    app = build_application(database_url, settings)
    try:
        held = app.recorder.max_notification_id() or 0
        if held and not force:
            print(
                f"error: the event store already holds events (up to position {held}); "
                "`oversight demo` loads only into an empty store, so demo data is never "
                "mixed into real cases. Use --force to load it anyway.",
                file=sys.stderr,
            )
            return 1
        summary = load_demo(app, start=DEMO_START, seed=seed)
    finally:
        app.close()
    print(summary.format())
    if catch_up:
        applied = asyncio.run(catch_up_views(database_url))
        print(f"views caught up ({applied} events applied over every view)")
    else:
        print("the views catch up when `oversight serve` or `oversight worker` runs")
    return 0
