"""A DQDL condition, two ways: checked against one metric, and as a SQL predicate over a row.

Both follow AWS's evaluation: `between` excludes both ends; a NULL value fails a condition unless the
condition names NULL (`in ["a", NULL]`, `= NULL`); `matches` must match the whole value; dates
compare by calendar date, `now()`-relative dates and durations by timestamp (UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from awstwin.dataquality import model
from awstwin.dataquality.model import (
    Arithmetic,
    Condition,
    DateValue,
    Duration,
    FunctionCall,
    Keyword,
    Null,
    Number,
    Text,
)


class DynamicRuleError(Exception):
    """A dynamic rule (`avg(last(3))`) needs earlier runs' metrics and none are known."""


# history(function name, arguments) -> the value; None when there is no history to read
History = Callable[[str, tuple[float, ...]], float | None]


def number(operand: model.Operand, history: History | None = None) -> float | None:
    """The value of a numeric operand (None for NULL)."""
    if isinstance(operand, Null):
        return None
    if isinstance(operand, Number):
        return operand.value
    if isinstance(operand, Arithmetic):
        left, right = number(operand.left, history), number(operand.right, history)
        if left is None or right is None:
            return None
        if operand.operator == "+":
            return left + right
        if operand.operator == "-":
            return left - right
        if operand.operator == "*":
            return left * right
        return left / right if right else None
    if isinstance(operand, FunctionCall):
        arguments = tuple(number(a, history) or 0.0 for a in operand.arguments)
        value = history(operand.name, arguments) if history else None
        if value is None:
            raise DynamicRuleError(
                f"{operand} needs the metric's values from earlier runs of this ruleset, and there are none"
            )
        return value
    raise TypeError(f"{operand} is not a number")


def holds(condition: Condition, value: float | None, history: History | None = None) -> bool:
    """Does `value` (a metric) satisfy the numeric `condition`?"""
    op = condition.operator
    operands = [number(o, history) for o in condition.operands]
    if value is None:
        return op in (model.EQUALS, model.IN) and None in operands
    if op == model.BETWEEN:
        return operands[0] is not None and operands[1] is not None and operands[0] < value < operands[1]
    if op == model.NOT_BETWEEN:
        return operands[0] is not None and operands[1] is not None and not operands[0] < value < operands[1]
    if op == model.IN:
        return any(o is not None and _same(value, o) for o in operands)
    if op == model.NOT_IN:
        return not any(o is not None and _same(value, o) for o in operands)
    target = operands[0]
    if target is None:
        return op == model.NOT_EQUALS
    return {
        ">": value > target,
        ">=": value >= target or _same(value, target),
        "<": value < target,
        "<=": value <= target or _same(value, target),
        "=": _same(value, target),
        "!=": not _same(value, target),
    }[op]


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# -- SQL (DuckDB) ----------------------------------------------------------------------------------


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_number(value: float) -> str:
    return repr(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


def predicate(condition: Condition, column: str, now: datetime, history: History | None = None) -> str:
    """A SQL boolean over the column expression `column` that is TRUE exactly when a row passes."""
    if condition.kind == "string" or condition.operator in (model.MATCHES, model.NOT_MATCHES):
        return _string_predicate(condition, f"CAST({column} AS VARCHAR)")
    if condition.kind == "date":
        return _date_predicate(condition, column, now)
    if condition.kind == "duration":
        return _duration_predicate(condition, column, now)
    values = [number(o, history) for o in condition.operands]
    numeric = f"TRY_CAST({column} AS DOUBLE)"
    return _compare(
        condition.operator, column, numeric, [None if v is None else _sql_number(v) for v in values]
    )


def _compare(op: str, column: str, value: str, operands: list[str | None]) -> str:
    """`value <op> operands` where a None operand is NULL; a NULL value passes only when NULL is named."""
    present = [o for o in operands if o is not None]
    names_null = len(present) != len(operands)
    if op == model.BETWEEN:
        return f"COALESCE({value} > {operands[0]} AND {value} < {operands[1]}, FALSE)"
    if op == model.NOT_BETWEEN:
        return f"COALESCE({value} <= {operands[0]} OR {value} >= {operands[1]}, FALSE)"
    if op in (model.IN, model.EQUALS):
        parts = [f"{value} IN ({', '.join(present)})"] if present else []
        if names_null:
            parts.append(f"{column} IS NULL")
        return f"COALESCE({' OR '.join(parts) or 'FALSE'}, FALSE)"
    if op in (model.NOT_IN, model.NOT_EQUALS):
        if names_null:
            parts = [f"{column} IS NOT NULL"] + (
                [f"{value} NOT IN ({', '.join(present)})"] if present else []
            )
            return f"COALESCE({' AND '.join(parts)}, FALSE)"
        return f"({column} IS NULL OR COALESCE({value} NOT IN ({', '.join(present)}), TRUE))"
    return f"COALESCE({value} {op} {operands[0]}, FALSE)"


def _string_predicate(condition: Condition, value: str) -> str:
    op = condition.operator
    if op in (model.MATCHES, model.NOT_MATCHES):
        pattern = sql_literal(condition.operands[0].value)  # type: ignore[union-attr]
        matched = f"regexp_full_match({value}, {pattern})"
        return f"COALESCE({matched}, FALSE)" if op == model.MATCHES else f"COALESCE(NOT {matched}, TRUE)"
    texts = [sql_literal(o.value) for o in condition.operands if isinstance(o, Text)]
    keywords = {o.name for o in condition.operands if isinstance(o, Keyword)}
    names_null = any(isinstance(o, Null) for o in condition.operands)
    matches = []
    if texts:
        matches.append(f"{value} IN ({', '.join(texts)})")
    if "EMPTY" in keywords:
        matches.append(f"{value} = ''")
    if "WHITESPACES_ONLY" in keywords:
        matches.append(
            f"(length({value}) > 0 AND length(trim({value}, ' ' || chr(9) || chr(10) || chr(13))) = 0)"
        )
    hit = " OR ".join(matches) or "FALSE"
    if op in (model.IN, model.EQUALS):
        return f"COALESCE({hit}, FALSE)" + (f" OR {value} IS NULL" if names_null else "")
    if op in (model.NOT_IN, model.NOT_EQUALS):
        if names_null:
            return f"({value} IS NOT NULL AND COALESCE(NOT ({hit}), TRUE))"
        return f"({value} IS NULL OR COALESCE(NOT ({hit}), TRUE))"
    raise ValueError(f"'{op}' does not compare text")


def _date_predicate(condition: Condition, column: str, now: datetime) -> str:
    relative = any(isinstance(o, DateValue) and o.fixed is None for o in condition.operands)
    if relative:
        value = f"TRY_CAST({column} AS TIMESTAMP)"
        operands = [
            None if isinstance(o, Null) else f"TIMESTAMP {sql_literal(_naive(o.resolve(now)).isoformat(' '))}"  # type: ignore[union-attr]
            for o in condition.operands
        ]
    else:
        value = f"TRY_CAST({column} AS DATE)"
        operands = [
            None if isinstance(o, Null) else f"DATE {sql_literal(o.fixed.isoformat())}"  # type: ignore[union-attr]
            for o in condition.operands
        ]
    return _compare(condition.operator, column, value, operands)


def _duration_predicate(condition: Condition, column: str, now: datetime) -> str:
    """DataFreshness: the value's age (now - value) against durations."""
    stamp = f"TIMESTAMP {sql_literal(_naive(now).isoformat(' '))}"
    age = f"epoch({stamp} - TRY_CAST({column} AS TIMESTAMP))"
    operands = [
        None if isinstance(o, Null) else _sql_number(o.delta.total_seconds())  # type: ignore[union-attr]
        for o in condition.operands
        if isinstance(o, (Duration, Null))
    ]
    return _compare(condition.operator, column, age, operands)


def _naive(moment: datetime) -> datetime:
    """UTC wall time without a zone: DuckDB TIMESTAMP columns carry none."""
    if moment.tzinfo is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
