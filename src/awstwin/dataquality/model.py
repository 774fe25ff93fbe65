"""A parsed DQDL ruleset: what the parser builds and the evaluator reads.

A rule keeps the text it was written as (`text`, whitespace collapsed): that is the Description AWS
reports for it. Operands keep their kind so a condition can be checked without guessing:
numbers (with arithmetic and dynamic-rule function calls), strings (and the NULL / EMPTY /
WHITESPACES_ONLY keywords), dates (`"2024-01-31"`, `now()`, `(now() - 3 days)`), durations
(`24 hours`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# Condition operators, as the evaluator names them.
BETWEEN, NOT_BETWEEN = "between", "not between"
IN, NOT_IN = "in", "not in"
MATCHES, NOT_MATCHES = "matches", "not matches"
EQUALS, NOT_EQUALS = "=", "!="
COMPARISONS = (">", ">=", "<", "<=")

DURATION_UNITS = {"days": timedelta(days=1), "hours": timedelta(hours=1), "minutes": timedelta(minutes=1)}


@dataclass(frozen=True)
class Null:
    """The NULL keyword as an operand."""

    def __str__(self) -> str:
        return "NULL"


@dataclass(frozen=True)
class Keyword:
    """EMPTY ('') or WHITESPACES_ONLY (only spaces, tabs, ...) in a string condition."""

    name: str  # "EMPTY" | "WHITESPACES_ONLY"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Number:
    value: float
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Arithmetic:
    """`a + b`, `a * b`, ...: dynamic rules use it over function calls (`avg(last(3)) * 0.9`)."""

    operator: str
    left: NumberOperand
    right: NumberOperand

    def __str__(self) -> str:
        return f"{self.left} {self.operator} {self.right}"


@dataclass(frozen=True)
class FunctionCall:
    """A dynamic-rule function (`avg(last(10))`, `last(1)`, `min(...)`): needs earlier runs' metrics."""

    name: str
    arguments: tuple[NumberOperand, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(str(a) for a in self.arguments)})"


NumberOperand = Number | Arithmetic | FunctionCall | Null


@dataclass(frozen=True)
class Text:
    value: str

    def __str__(self) -> str:
        return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class DateValue:
    """A date operand: a fixed date, or `now()` shifted by a duration (evaluated when the rule runs)."""

    fixed: date | None = None
    shift: timedelta | None = None  # with fixed None: now() + shift
    text: str = ""

    def resolve(self, now: datetime) -> datetime:
        if self.fixed is not None:
            return datetime(self.fixed.year, self.fixed.month, self.fixed.day, tzinfo=now.tzinfo)
        return now + (self.shift or timedelta(0))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: str  # days | hours | minutes

    @property
    def delta(self) -> timedelta:
        return DURATION_UNITS[self.unit] * self.amount

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount} {self.unit}"


Operand = Number | Arithmetic | FunctionCall | Null | Keyword | Text | DateValue | Duration


@dataclass(frozen=True)
class Condition:
    """`> 10`, `between 1 and 5`, `in ["a", "b"]`, `matches "[A-Z]+"`, `<= 24 hours`, ...

    `kind` is what the operands are: number, string, date, duration (or null when the only operand
    is NULL).
    """

    kind: str
    operator: str
    operands: tuple[Operand, ...]
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Rule:
    rule_type: str
    parameters: tuple[str, ...]
    condition: Condition | None
    where: str | None
    threshold: Condition | None
    text: str
    line: int
    column: int

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class CompositeRule:
    """`(rule) and (rule)` / `(rule) or (rule)`; members may be composite themselves."""

    operator: str  # "and" | "or"
    members: tuple[Rule | CompositeRule, ...]
    text: str
    line: int
    column: int

    def __str__(self) -> str:
        return self.text


AnyRule = Rule | CompositeRule


@dataclass
class Ruleset:
    rules: list[AnyRule] = field(default_factory=list)
    analyzers: list[Rule] = field(default_factory=list)
    metadata: dict[str, object] = field(default_factory=dict)
    data_sources: dict[str, object] = field(default_factory=dict)
