"""Every case type's move table agrees with the body tables the commands modules publish,
and each decision is annotated with the body its move decodes (what mypy checks where the
table is declared: domain/cases.py `declare_move`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import get_type_hints

import pytest

from domain import commands, commitment_commands, credit_repair_commands, deadlines
from domain import project_commands as pc
from domain.cases import AnyCaseType
from domain.commitment_case import COMMITMENT
from domain.complaint_case import COMPLAINT
from domain.credit_repair_case import CREDIT_REPAIR
from domain.project_case import PROBLEM, PROJECT
from domain.registry import ALL_CASE_TYPES

BODY_TABLES = [
    (COMPLAINT, commands.COMPLAINT_MOVES),
    (COMMITMENT, commitment_commands.COMMITMENT_MOVES),
    (CREDIT_REPAIR, credit_repair_commands.CREDIT_REPAIR_MOVES),
    (PROJECT, pc.PROJECT_MOVES),
    (PROBLEM, pc.PROBLEM_MOVES),
]


@pytest.mark.parametrize(("case_type", "bodies"), BODY_TABLES, ids=lambda v: getattr(v, "name", ""))
def test_the_move_table_takes_the_published_bodies(case_type: AnyCaseType, bodies: dict) -> None:
    own = {name: move.body for name, move in case_type.moves.items() if name != deadlines.MOVE}
    assert own == bodies


@pytest.mark.parametrize("case_type", ALL_CASE_TYPES, ids=lambda c: c.name)
def test_each_decision_takes_its_move_body_and_aggregate(case_type: AnyCaseType) -> None:
    create = get_type_hints(case_type.create)
    assert create["return"] is case_type.aggregate
    assert _last_parameter(case_type.create, create) is case_type.create_body
    for name, move in case_type.moves.items():
        hints = get_type_hints(move.decide)
        case_parameter = list(inspect.signature(move.decide).parameters)[1]
        assert hints[case_parameter] is case_type.aggregate, name
        assert _last_parameter(move.decide, hints) is move.body, name


def _last_parameter(fn: Callable[..., object], hints: dict[str, object]) -> object:
    return hints[list(inspect.signature(fn).parameters)[-1]]
