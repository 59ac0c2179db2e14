"""Calendar months on UTC timestamps: qualification periods and review dates."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` so many calendar months later (earlier when negative), on the same day of
    the month or the month's last day when it has fewer (31 January + 1 month: 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
