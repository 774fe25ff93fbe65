"""Crawler schedules: Glue's six-field cron, `cron(Minutes Hours Day-of-month Month Day-of-week Year)`.

Evaluated in UTC, as AWS does. Supported per field: `*`, `?`, numbers, names (JAN-DEC, SUN-SAT),
lists `a,b`, ranges `a-b`, steps `*/n` and `a-b/n`; `L` (last day) in day-of-month. Day-of-week
counts 1=SUN .. 7=SAT, like AWS. One of day-of-month / day-of-week must be `?`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from awstwin.endpoint.glue.exceptions import InvalidInputException

MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
# field name, lowest, highest, names
FIELDS = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, {k.upper(): v for k, v in MONTHS.items()}),
    ("day-of-week", 1, 7, DAYS),
    ("year", 1970, 2199, {}),
)


def _invalid(expression: str, why: str) -> InvalidInputException:
    return InvalidInputException(
        f"Schedule {expression!r} is not a Glue cron expression ({why}); "
        "use cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. cron(15 12 * * ? *)"
    )


def _values(
    text: str, low: int, high: int, names: dict[str, int], expression: str, field: str
) -> set[int] | None:
    """The allowed values of one field; None means any (`*` or `?`)."""
    if text in ("*", "?"):
        return None
    allowed: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if step_text and not step_text.isdigit():
            raise _invalid(expression, f"bad step {item!r} in {field}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, names, expression, field), _number(last, names, expression, field)
        else:
            start = _number(base, names, expression, field)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high):
            raise _invalid(expression, f"{item!r} is outside {low}-{high} in {field}")
        allowed.update(range(start, end + 1, step))
    return allowed


def _number(text: str, names: dict[str, int], expression: str, field: str) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if text.isdigit():
        return int(text)
    raise _invalid(expression, f"{text!r} is not understood in {field}")


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    fields: tuple[set[int] | None, ...]
    last_day_of_month: bool
    uses_day_of_week: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        text = expression.strip()
        if not (text.startswith("cron(") and text.endswith(")")):
            raise _invalid(expression, "it must look like cron(...)")
        parts = text[5:-1].split()
        if len(parts) != 6:
            raise _invalid(expression, f"it has {len(parts)} fields, not 6")
        if "?" not in (parts[2], parts[4]):
            raise _invalid(expression, "one of day-of-month and day-of-week must be '?'")
        last_day = parts[2] == "L"
        values = []
        for (name, low, high, names), part in zip(FIELDS, parts, strict=True):
            values.append(
                None
                if (name == "day-of-month" and last_day)
                else _values(part, low, high, names, expression, name)
            )
        return cls(text, tuple(values), last_day, parts[4] != "?")

    def matches(self, moment: datetime) -> bool:
        """Does the schedule fire in this (UTC) minute?"""
        minute, hour, dom, month, dow, year = self.fields
        checks = [(minute, moment.minute), (hour, moment.hour), (month, moment.month), (year, moment.year)]
        if any(allowed is not None and value not in allowed for allowed, value in checks):
            return False
        if self.uses_day_of_week:
            return dow is None or (moment.weekday() + 1) % 7 + 1 in dow
        if self.last_day_of_month:
            return moment.day == calendar.monthrange(moment.year, moment.month)[1]
        return dom is None or moment.day in dom
