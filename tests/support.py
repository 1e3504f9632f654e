"""Test helpers: a movable clock, valid credit codes, request bodies."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta
from typing import Any

from domain.credit_code import check_character

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, moment: datetime) -> datetime:
        self.current = moment
        return moment


def credit_code(rng: random.Random | None = None) -> str:
    """A fresh valid unified social credit code (91 = enterprise registered with SAMR)."""
    rng = rng or random.Random()
    first17 = "91" + "".join(rng.choice(string.digits) for _ in range(6))
    first17 += "".join(rng.choice(CREDIT_CHARS) for _ in range(9))
    return first17 + check_character(first17)


def lodge_body(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "complaint",
        "channel": "web",
        "category": "approval",
        "title": "审批超时",
        "description": "施工许可申请超过承诺时限未办结",
        "complainant": {
            "name": "黑龙江某某建设有限公司",
            "credit_code": code,
            "phone": "13800000000",
        },
        "respondent_department": "hlj-fgw",
        "confidential": False,
    }
    body.update(overrides)
    return body
