"""Who acts in the demo: clerks, supervisors, the handling departments, the cities the
enterprises are in, and the fictitious enterprises (valid GB 32100-2015 credit codes,
made-up names) drawn from the plan's random source."""

from __future__ import annotations

import random
from typing import NamedTuple

from domain.credit_code import CHARSET, check_character
from domain.values import Actor, Role

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


def department_actor(code: str) -> Actor:
    return Actor(id=f"{code}-handler", role=Role.DEPARTMENT, org=code)


class City(NamedTuple):
    name: str
    region: str  # administrative division code in the credit code (positions 3-8)
    area: str  # telephone area code
    slug: str
    abbr: str  # as in penalty decision numbers (哈市监罚〔2019〕…号)


CITIES = (
    City("哈尔滨", "230100", "0451", "hrb", "哈"),
    City("齐齐哈尔", "230200", "0452", "qqhr", "齐"),
    City("鸡西", "230300", "0467", "jx", "鸡"),
    City("鹤岗", "230400", "0468", "hg", "鹤"),
    City("双鸭山", "230500", "0469", "sys", "双"),
    City("大庆", "230600", "0459", "dq", "庆"),
    City("伊春", "230700", "0458", "yc", "伊"),
    City("佳木斯", "230800", "0454", "jms", "佳"),
    City("七台河", "230900", "0464", "qth", "七"),
    City("牡丹江", "231000", "0453", "mdj", "牡"),
    City("黑河", "231100", "0456", "hh", "黑河"),
    City("绥化", "231200", "0455", "sh", "绥"),
)
CITY_NAMED = {c.name: c for c in CITIES}
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


class Enterprise(NamedTuple):
    name: str
    credit_code: str
    city: City
    phone: str
    actor: Actor


class Enterprises:
    """Fictitious enterprises with valid unified social credit codes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.all: list[Enterprise] = []
        self._names: dict[str, None] = {}
        self._codes: dict[str, None] = {}

    def new(self, city: City | None = None, industry: str | None = None) -> Enterprise:
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
        enterprise = Enterprise(name, code, city, phone, actor)
        self.all.append(enterprise)
        return enterprise

    def any(self, city: str | None = None) -> Enterprise:
        """Mostly a new enterprise; sometimes one already known (an investor complaining)."""
        known = [e for e in self.all if city is None or e.city.name == city]
        if known and self.rng.random() < 0.2:
            return self.rng.choice(known)
        return self.new(CITY_NAMED[city] if city else None)
