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

The package: `data/` holds the values (who acts, the cases described one by one, the
texts, the release's figures); `planners/` has one planner per case type turning them
into dated commands; `schedule.py` holds the plan those commands go on and the clocks
that date them; `loader.py` runs the planners in a fixed order and sends the plan
through the application; `command.py` is `oversight demo`.
"""

from __future__ import annotations

from oversight.demo.command import catch_up_views, run_demo
from oversight.demo.data.period import DEMO_START
from oversight.demo.data.projects import RELEASE_DAY, RELEASE_PROJECTS
from oversight.demo.loader import DemoSummary, build_plan, load_demo

__all__ = [
    "DEMO_START",
    "RELEASE_DAY",
    "RELEASE_PROJECTS",
    "DemoSummary",
    "build_plan",
    "catch_up_views",
    "load_demo",
    "run_demo",
]
