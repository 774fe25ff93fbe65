"""GetPartitions' `Expression`: the SQL-ish filter Glue evaluates over partition values.

Users and Airflow's `GlueCatalogPartitionSensor` send expressions such as `ingest_date='2024-01-01'`,
`year>'2023' AND month='01'`, `year IN ('2023','2024')`, `dt BETWEEN '2024-01-01' AND '2024-01-31'`
or `name LIKE 'a%'`. Glue compares each value as the partition key's declared type (a `bigint` key
compares numerically, a `string` key lexically), so values and literals are coerced to that type.
The expression is parsed once with sqlglot and evaluated in Python over each partition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
from sqlglot import expressions as exp
from sqlglot.errors import ParseError

from awstwin.endpoint.glue.exceptions import InvalidInputException

Row = dict[str, Any]

_INTEGER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint", "long")
_FLOAT_TYPES = ("float", "double", "real")


def _coerce(value: Any, hive_type: str) -> Any:
    """A partition value or a literal, as the key's type; None when it does not convert."""
    if value is None:
        return None
    base = hive_type.lower().split("(", 1)[0].strip()
    text = str(value)
    try:
        if base in _INTEGER_TYPES:
            return int(Decimal(text))
        if base in _FLOAT_TYPES:
            return float(text)
        if base == "decimal":
            return Decimal(text)
        if base == "date":
            return date.fromisoformat(text[:10])
        if base == "timestamp":
            return datetime.fromisoformat(text)
        if base == "boolean":
            return text.lower() == "true"
    except (ValueError, InvalidOperation):
        return None
    return text


def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}


class PartitionFilter:
    """A parsed partition expression, checked against the table's partition keys."""

    def __init__(self, expression: str, partition_keys: list[dict[str, Any]]):
        self.text = expression
        self.types = {k["Name"].lower(): k.get("Type", "string") for k in partition_keys}
        try:
            self.tree = sqlglot.parse_one(expression, read="hive")
        except (ParseError, ValueError) as exc:
            raise self._invalid(f"it does not parse ({str(exc).splitlines()[0]})") from None
        for column in self.tree.find_all(exp.Column):
            if column.name.lower() not in self.types:
                known = ", ".join(self.types) or "none"
                raise self._invalid(f"{column.name!r} is not a partition key (partition keys: {known})")

    def _invalid(self, why: str) -> InvalidInputException:
        return InvalidInputException(f"Unsupported partition expression {self.text!r}: {why}")

    def matches(self, values: list[str]) -> bool:
        row = dict(zip(self.types, values, strict=False))
        return bool(self._eval(self.tree, row))

    # -- evaluation --------------------------------------------------------------------------
    def _eval(self, node: exp.Expression, row: Row) -> Any:
        if isinstance(node, exp.Paren):
            return self._eval(node.this, row)
        if isinstance(node, exp.And):
            return bool(self._eval(node.this, row)) and bool(self._eval(node.expression, row))
        if isinstance(node, exp.Or):
            return bool(self._eval(node.this, row)) or bool(self._eval(node.expression, row))
        if isinstance(node, exp.Not):
            inner = self._eval(node.this, row)
            return None if inner is None else not inner
        if type(node) in _COMPARE:
            return self._compare(node.this, node.expression, row, _COMPARE[type(node)])
        if isinstance(node, exp.In):
            return any(self._compare(node.this, item, row, _COMPARE[exp.EQ]) for item in node.expressions)
        if isinstance(node, exp.Between):
            low = self._compare(node.this, node.args["low"], row, _COMPARE[exp.GTE])
            high = self._compare(node.this, node.args["high"], row, _COMPARE[exp.LTE])
            return bool(low and high)
        if isinstance(node, exp.Like):
            value = self._value(node.this, row, None)
            pattern = self._value(node.expression, row, None)
            return value is not None and bool(_like_regex(str(pattern)).fullmatch(str(value)))
        if isinstance(node, exp.Is):
            value = self._value(node.this, row, None)
            return value is None if isinstance(node.expression, exp.Null) else None
        if isinstance(node, exp.Boolean):
            return node.this
        raise self._invalid(
            f"{node.sql(dialect='hive')!r} is not supported (use =, <>, <, >, IN, BETWEEN, LIKE)"
        )

    def _key_type(self, node: exp.Expression) -> str | None:
        return self.types.get(node.name.lower()) if isinstance(node, exp.Column) else None

    def _compare(
        self, left: exp.Expression, right: exp.Expression, row: Row, op: Callable[[Any, Any], bool]
    ) -> bool:
        hive_type = self._key_type(left) or self._key_type(right) or "string"
        a, b = self._value(left, row, hive_type), self._value(right, row, hive_type)
        if a is None or b is None:
            return False
        try:
            return op(a, b)
        except TypeError:
            return op(str(a), str(b))

    def _value(self, node: exp.Expression, row: Row, hive_type: str | None) -> Any:
        if isinstance(node, exp.Paren):
            return self._value(node.this, row, hive_type)
        if isinstance(node, exp.Column):
            key = node.name.lower()
            return _coerce(row.get(key), hive_type or self.types[key])
        if isinstance(node, exp.Literal):
            return _coerce(node.this, hive_type or "string")
        if isinstance(node, exp.Neg):
            inner = self._value(node.this, row, hive_type)
            return -inner if inner is not None else None
        if isinstance(node, exp.Null):
            return None
        if isinstance(node, exp.Boolean):
            return node.this
        raise self._invalid(f"{node.sql(dialect='hive')!r} is not a partition key or a literal")
