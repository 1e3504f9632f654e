"""Given/When/Then tests of the ServiceStatistics aggregate and its case type (issue 11
§7): service items and resumption rates, one record per kind, scope and period, and
corrections that fit the record's kind. Records stored before kinds and scopes existed
still replay, as the province's service items.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from domain.errors import CaseNotFound, RuleViolated
from domain.mapper import MsgspecMapper
from domain.service_statistics import (
    PROVINCE,
    SERVICE_STATISTICS,
    CorrectServiceStatistics,
    PeriodAlreadyRecorded,
    RecordServiceStatistics,
    ServiceStatistics,
    StatisticsKind,
    statistics_id,
)
from domain.values import Actor, Role

CST = timezone(timedelta(hours=8))
SUPERVISOR = Actor(id="sup-1", role=Role.SUPERVISOR)
RECORDED_AT = datetime(2020, 7, 1, 10, 0, tzinfo=CST)
WHEN = datetime(2020, 7, 3, 10, 0, tzinfo=CST)
FEB, JUN = date(2020, 2, 1), date(2020, 6, 30)
MAPPER = MsgspecMapper()
INDUSTRIAL = StatisticsKind.INDUSTRIAL_RESUMPTION


class Store:
    """The CaseContext a record decision gets: the cases recorded so far."""

    calendar: Any = None
    sla: Any = None

    def __init__(self, *cases: Any) -> None:
        self.cases = {case.id: case for case in cases}

    def load(self, case_id: UUID) -> Any:
        if case_id not in self.cases:
            raise CaseNotFound(f"no case {case_id}")
        return self.cases[case_id]


def body(**fields: Any) -> RecordServiceStatistics:
    """The command as the API decodes it (so its checks run)."""
    defaults = {"period_start": "2020-02-01", "period_end": "2020-06-30"}
    return msgspec.json.decode(
        json.dumps({**defaults, **fields}).encode(), type=RecordServiceStatistics
    )


def payload(event: Any) -> dict[str, Any]:
    return {
        k: v for k, v in vars(event).items() if k not in {"originator_id", "originator_version"}
    }


def given(*events: Any) -> ServiceStatistics:
    case = None
    for event in events:
        case = event.mutate(case)
    assert isinstance(case, ServiceStatistics)
    return case


def recorded(**fields: Any) -> tuple[ServiceStatistics, list[Any]]:
    case = SERVICE_STATISTICS.create(Store(), SUPERVISOR, RECORDED_AT, body(**fields))
    return case, case.collect_events()


# --- record -----------------------------------------------------------------------------


def test_recording_service_items_names_the_kind_and_scope() -> None:
    case = SERVICE_STATISTICS.create(
        Store(), SUPERVISOR, RECORDED_AT, body(online=2_571_536, offline=1_571_174)
    )
    (event,) = case.collect_events()
    assert type(event).__name__ == "Recorded"
    data = payload(event)
    assert {k: v for k, v in data.items() if k != "originator_topic"} == {
        "timestamp": RECORDED_AT,
        "actor": SUPERVISOR,
        "period_start": FEB,
        "period_end": JUN,
        "online": 2_571_536,
        "offline": 1_571_174,
        "note": None,
        "kind": StatisticsKind.SERVICE_ITEMS,
        "scope": PROVINCE,
        "resumed": None,
        "required": None,
    }
    assert case.id == statistics_id(StatisticsKind.SERVICE_ITEMS, PROVINCE, FEB, JUN)
    assert given(event) == case


def test_recording_a_resumption_rate() -> None:
    case, events = recorded(kind="industrial_resumption", resumed=3_451, required=3_500)
    assert (case.kind, case.resumed, case.required, case.online) == (INDUSTRIAL, 3_451, 3_500, None)
    assert case.id == statistics_id(INDUSTRIAL, PROVINCE, FEB, JUN)
    assert given(*events) == case


def test_a_period_recorded_already_is_refused_naming_the_record() -> None:
    first, _ = recorded(online=1, offline=2)
    first.correct(SUPERVISOR, WHEN, figures={"online": 1, "offline": 3}, reason="补录")
    first.collect_events()
    with pytest.raises(PeriodAlreadyRecorded) as error:
        SERVICE_STATISTICS.create(Store(first), SUPERVISOR, WHEN, body(online=5, offline=5))
    assert (error.value.statistics_id, error.value.version) == (first.id, 2)
    assert error.value.move == "record"
    assert "correct that record" in (error.value.why or "")


@pytest.mark.parametrize(
    "other",
    [
        {"scope": "230100"},
        {"period_end": "2020-06-29"},
        {"period_start": "2020-01-31"},
        {"kind": "foreign_trade_resumption", "online": None, "offline": None,
         "resumed": 1, "required": 1},
    ],
)  # fmt: skip
def test_another_scope_period_or_kind_is_a_record_of_its_own(other: dict[str, Any]) -> None:
    first, _ = recorded(online=1, offline=2)
    fields = {"online": 1, "offline": 2, **other}
    second = SERVICE_STATISTICS.create(
        Store(first), SUPERVISOR, WHEN, body(**{k: v for k, v in fields.items() if v is not None})
    )
    assert second.id != first.id


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"online": 1}, "offline", "is required for service_items"),
        ({"online": 1, "offline": 1, "resumed": 1}, "resumed", "is not a figure of service_items"),
        ({"kind": "industrial_resumption", "resumed": 1}, "required", "is required"),
        ({"kind": "industrial_resumption", "resumed": 2, "required": 1}, "resumed",
         "must not exceed required"),
        ({"kind": "industrial_resumption", "resumed": 1, "required": 1, "offline": 0},
         "offline", "is not a figure"),
        ({"online": 1, "offline": 1, "period_end": "2020-01-31"}, "period_end",
         "must not be before period_start"),
        ({"online": 1, "offline": 1, "scope": "全 省"}, "scope", "matching regex"),
        ({"online": -1, "offline": 1}, "online", ">= 0"),
    ],
)  # fmt: skip
def test_figures_that_do_not_fit_are_refused_at_the_edge(
    fields: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(msgspec.ValidationError) as error:
        body(**fields)
    assert field in str(error.value) and rule in str(error.value)


def test_a_command_built_in_python_is_checked_too() -> None:
    with pytest.raises(ValueError, match="period_end: must not be before period_start"):
        RecordServiceStatistics(period_start=JUN, period_end=FEB, online=1, offline=1)
    with pytest.raises(ValueError, match="required: is required"):
        RecordServiceStatistics(period_start=FEB, period_end=JUN, kind=INDUSTRIAL, resumed=1)


# --- correct ----------------------------------------------------------------------------


def test_a_correction_records_the_new_figures_and_the_reason() -> None:
    case, history = recorded(kind="industrial_resumption", resumed=3_400, required=3_500)
    decide = SERVICE_STATISTICS.move("correct").decide
    decide(
        Store(), case, SUPERVISOR, WHEN,
        CorrectServiceStatistics(reason="漏报一个地市", resumed=3_451, required=3_500),
    )  # fmt: skip
    (event,) = case.collect_events()
    assert (type(event).__name__, payload(event)) == (
        "Corrected",
        {
            "timestamp": WHEN,
            "actor": SUPERVISOR,
            "online": None,
            "offline": None,
            "reason": "漏报一个地市",
            "resumed": 3_451,
            "required": 3_500,
        },
    )
    assert (case.resumed, case.corrections, case.version) == (3_451, 1, 2)
    assert given(*history, event) == case


@pytest.mark.parametrize(
    ("figures", "field"),
    [
        ({"online": 1, "offline": 1}, "online"),
        ({"resumed": 1}, "required"),
        ({}, "resumed"),
        ({"resumed": 1, "required": 1, "online": 1}, "online"),
        ({"resumed": 5, "required": 4}, "resumed"),
    ],
)
def test_a_correction_that_does_not_fit_the_kind_changes_nothing(
    figures: dict[str, int], field: str
) -> None:
    case, history = recorded(kind="industrial_resumption", resumed=1, required=2)
    with pytest.raises(RuleViolated) as error:
        SERVICE_STATISTICS.move("correct").decide(
            Store(), case, SUPERVISOR, WHEN, CorrectServiceStatistics(reason="r", **figures)
        )
    assert error.value.field == field
    assert case.collect_events() == []
    assert case == given(*history)


# --- the stored form --------------------------------------------------------------------

# A record and its correction as stored before kinds and scopes existed (their bytes).
OLD = [
    (
        "domain.service_statistics:ServiceStatistics.Recorded",
        {
            "timestamp": "2020-07-01T10:00:00+08:00",
            "originator_topic": "domain.service_statistics:ServiceStatistics",
            "actor": {"id": "sup-1", "role": "supervisor", "org": None},
            "period_start": "2020-02-01",
            "period_end": "2020-06-30",
            "online": 2571536,
            "offline": 1571174,
            "note": None,
        },
    ),
    (
        "domain.service_statistics:ServiceStatistics.Corrected",
        {
            "timestamp": "2020-07-03T10:00:00+08:00",
            "actor": {"id": "sup-1", "role": "supervisor", "org": None},
            "online": 2571536,
            "offline": 1571175,
            "reason": "补录一件",
        },
    ),
]


def test_records_stored_before_kinds_and_scopes_replay_as_the_provinces_service_items() -> None:
    case_id = uuid4()  # such records had random ids
    events = [
        MAPPER.to_domain_event(
            StoredEvent(
                originator_id=case_id,
                originator_version=version,
                topic=topic,
                state=json.dumps(state, ensure_ascii=False).encode(),
            )
        )
        for version, (topic, state) in enumerate(OLD, start=1)
    ]
    case = given(*events)
    assert (case.id, case.kind, case.scope) == (case_id, StatisticsKind.SERVICE_ITEMS, PROVINCE)
    assert (case.online, case.offline, case.resumed, case.required) == (
        2_571_536,
        1_571_175,
        None,
        None,
    )
    assert (case.corrections, case.version) == (1, 2)


def test_every_event_round_trips_through_the_mapper() -> None:
    case, events = recorded(kind="foreign_trade_resumption", resumed=1_990, required=2_000)
    case.correct(SUPERVISOR, WHEN, figures={"resumed": 1_991, "required": 2_000}, reason="r")
    events += case.collect_events()
    decoded = [MAPPER.to_domain_event(MAPPER.to_stored_event(e)) for e in events]
    assert [vars(d) for d in decoded] == [vars(e) for e in events]
    assert given(*decoded) == case
