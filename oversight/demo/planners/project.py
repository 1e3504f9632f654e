"""Projects and their problems: the described projects, then the generated ones that make
the release's figures (leader contacts, coordinated projects, task forces, chief service
officers) come out exactly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from domain import project_commands as pc
from domain.project import CoordinationRole
from domain.project_case import PROBLEM, PROJECT
from domain.values import Actor, Role
from oversight.demo.data.people import (
    CITIES,
    CITY_NAMED,
    CITY_WEIGHTS,
    CLERKS,
    SUPERVISORS,
    City,
    Enterprise,
)
from oversight.demo.data.period import LAST_CASE_DAY
from oversight.demo.data.projects import (
    CLASS_CHOICES,
    CLASS_NOTES,
    GENERATED_PROBLEMS,
    GENERATED_PROJECTS,
    LEADER_TITLES,
    NOTE_TEXTS,
    OFFICER_NOTES,
    PL,
    PRODUCTS,
    PROJECTS,
    RELEASE_PROJECTS,
    RS,
    ProblemSpec,
    ProjectSpec,
)
from oversight.demo.schedule import Case, Context, Walk, created_id

COORDINATION = frozenset({"note", "escalate", "resolve"})  # a problem's coordinated steps


def plan_projects(ctx: Context) -> None:
    """The described projects, then the generated ones."""
    served = Served()
    for spec in PROJECTS:
        _plan_project(ctx, served, spec)
    _plan_generated_projects(ctx, served)


def _plan_project(ctx: Context, served: Served, spec: ProjectSpec) -> None:
    rng, plan = ctx.rng, ctx.plan
    city = CITY_NAMED[spec.city]
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
    class_walk = Walk(ctx.tl, setup_done)
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
        raise_walk = Walk(ctx.tl, setup_done)
        raise_walk.days(rng.randint(2, 6) + 4 * i)
        _plan_problem(ctx, project, problem, investor, officer, raise_walk)
    if any(COORDINATION & set(problem.path.split()) for problem in spec.problems):
        served.coordinated_projects += 1


@dataclass
class Served:
    """Who served the projects, and how many projects had problems coordinated: the
    generated projects make up the release's figures (RELEASE_PROJECTS) exactly."""

    leader_projects: int = 0
    task_forces: set[str] = field(default_factory=set)
    officers: set[str] = field(default_factory=set)
    coordinated_projects: int = 0
    serial: Counter[str] = field(default_factory=Counter)  # officers per city

    def join_task_force(
        self, ctx: Context, project: Case, actor: Actor, walk: Walk, name: str
    ) -> None:
        self.task_forces.add(name)
        ctx.plan.move(
            project, "join-task-force", actor, walk.minutes(30, 120),
            pc.JoinTaskForce(task_force=name),
        )  # fmt: skip

    def join_officer(
        self,
        ctx: Context,
        project: Case,
        actor: Actor,
        walk: Walk,
        city: City,
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
        self, ctx: Context, project: Case, actor: Actor, walk: Walk, leader: str
    ) -> None:
        self.leader_projects += 1
        ctx.plan.move(
            project, "join-leader", actor, walk.minutes(10, 60),
            pc.JoinLeader(leader=leader, note="领导联系项目。"),
        )  # fmt: skip


def _plan_generated_projects(ctx: Context, served: Served) -> None:
    """The projects besides the described ones, so that the figures come out as the
    release's: exactly the leader contacts, coordinated projects, task forces (some push
    two projects) and chief service officers (several per project, some rotated) the
    described projects leave to make up."""
    rng, plan, count = ctx.rng, ctx.plan, GENERATED_PROJECTS
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
            later = Walk(ctx.tl, setup_done)
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
                Walk(ctx.tl, walk.now).days(rng.randint(20, 25)),
                pc.Classify(classification=RS, note=CLASS_NOTES[RS]),
            )  # fmt: skip
        if i in with_problem:
            raise_walk = Walk(ctx.tl, walk.now)
            # after a rotation (within 15 working days), with the officer serving then
            raise_walk.days(rng.randint(17, 20) if rotate else rng.randint(2, 6))
            spec = rng.choice(GENERATED_PROBLEMS)
            _plan_problem(ctx, project, spec, investor, joined[0], raise_walk)
            served.coordinated_projects += 1


def _task_force_name(city: City, sector: str, taken: set[str]) -> str:
    name, n = f"{city.name}市{sector}项目推进专班", 1
    while name in taken:
        n += 1
        name = f"{city.name}市{sector}项目推进第{n}专班"
    return name


def _plan_problem(
    ctx: Context,
    project: Case,
    spec: ProblemSpec,
    investor: Enterprise,
    officer: Actor,
    walk: Walk,
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
            project_id=created_id(project), category=category, description=description
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
