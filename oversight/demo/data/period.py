"""The period the data set covers, in working days from its start."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
# The first working day after the extended Spring Festival break of 2020, when
# enterprises began to resume work (oversight/demo/__init__.py).
DEMO_START = datetime(2020, 2, 10, 9, 0, tzinfo=BEIJING)

# The timeline, in working days after the start: cases are lodged by working day
# LAST_CASE_DAY (30 June 2020 from DEMO_START); the statistics are recorded on
# STATISTICS_DAY (1 July), the last command of the data set.
LAST_CASE_DAY = 98
STATISTICS_DAY = 99
