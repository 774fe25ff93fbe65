"""Each rule type's check: the SQL it measures with (DuckDB), the metric names AWS reports, pass/fail.

`CHECKS` maps a rule type to its function; every function takes the dataset and the rule and returns
a `Measure`. Metric names are AWS's (`Dataset.*.RowCount`, `Column.<col>.Completeness`,
`Multicolumn.<a>,<b>.ColumnCorrelation`, ...). A check raises `RuleError` for an outcome of ERROR
(a column that is not there, an unknown reference dataset, a Custom SQL statement that fails).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlglot

from awstwin.dataquality import conditions, model
from awstwin.dataquality.model import Rule
from awstwin.dataquality.outcome import Measure, constraint_message


class RuleError(Exception):
    """The rule could not be evaluated; the message is its EvaluationMessage (Result ERROR)."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def spark_sql(text: str, what: str) -> str:
    """Spark SQL (what Glue runs CustomSql and where clauses in) as DuckDB SQL."""
    try:
        return sqlglot.transpile(text, read="spark", write="duckdb")[0]
    except sqlglot.errors.ParseError as exc:
        raise RuleError(f"{what} is not valid Spark SQL: {str(exc).splitlines()[0]}") from None


class Dataset:
    """The rows a ruleset runs over: a DuckDB relation named `primary`, and reference datasets."""

    def __init__(
        self,
        con: Any,
        primary: str = "primary",
        references: dict[str, str] | None = None,
        now: datetime | None = None,
    ):
        self.con = con
        self.primary = quote(primary)
        self.references = {alias: quote(name) for alias, name in (references or {}).items()}
        self.now = now or datetime.now(UTC)
        self.columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {self.primary}").fetchall()]
        self._by_lower = {c.lower(): c for c in self.columns}
        self._row_count: int | None = None

    def column(self, name: str) -> str:
        """The quoted column `name` (matched as Spark matches it: ignoring case)."""
        found = self._by_lower.get(name.lower())
        if found is None:
            raise RuleError(f"Input data does not include column {name}!")
        return quote(found)

    def has_column(self, name: str) -> bool:
        return name.lower() in self._by_lower

    def reference(self, alias: str) -> str:
        if alias not in self.references:
            known = ", ".join(sorted(self.references)) or "none"
            raise RuleError(
                f"Reference dataset alias '{alias}' not found in additional data sources (given: {known})"
            )
        return self.references[alias]

    def reference_column(self, alias: str, name: str) -> str:
        relation = self.reference(alias)
        columns = [row[0] for row in self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        match = next((c for c in columns if c.lower() == name.lower()), None)
        if match is None:
            raise RuleError(f"Column {name} does not exist in reference dataset '{alias}'")
        return quote(match)

    def source(self, rule: Rule) -> str:
        """The rows the rule looks at: all of `primary`, or those its `where` clause keeps."""
        if not rule.where:
            return self.primary
        condition = spark_sql(rule.where, f'where "{rule.where}"')
        return f"(SELECT * FROM {self.primary} WHERE {condition}) AS filtered"

    def scalar(self, sql: str) -> Any:
        try:
            rows = self.con.execute(sql).fetchall()
        except Exception as exc:
            raise RuleError(_first_line(exc)) from None
        return rows[0][0] if rows else None

    def row_count(self) -> int:
        if self._row_count is None:
            self._row_count = int(self.scalar(f"SELECT count(*) FROM {self.primary}"))
        return self._row_count

    def compliance(self, rule: Rule, predicate: str) -> float:
        """The share of the rule's rows for which `predicate` holds (1.0 when there are none)."""
        rows = f"SELECT ({predicate}) AS p FROM {self.source(rule)}"
        value = self.scalar(f"SELECT avg(CASE WHEN p THEN 1.0 ELSE 0.0 END) FROM ({rows})")
        return 1.0 if value is None else float(value)

    def row_level(self, rule: Rule, predicate: str) -> str:
        """A row's pass as SQL over `primary`: rows outside the where clause pass."""
        if not rule.where:
            return predicate
        condition = spark_sql(rule.where, f'where "{rule.where}"')
        return f"(NOT COALESCE(({condition}), FALSE) OR ({predicate}))"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RuleError(f"expected a number, got {value!r}") from None


def metric_rule(rule: Rule, name: str, value: float | None, row_sql: str | None = None) -> Measure:
    """A rule that compares one metric with its condition."""
    assert rule.condition is not None
    passed = conditions.holds(rule.condition, value)
    metrics = {name: value} if value is not None else {}
    return Measure(passed, metrics, None if passed else constraint_message(value), row_sql)


def compliance_rule(ds: Dataset, rule: Rule, predicate: str, metric: str, extra: dict[str, float]) -> Measure:
    """A rule over each row: every row must pass, or the share that does must meet the threshold."""
    share = ds.compliance(rule, predicate)
    passed = conditions.holds(rule.threshold, share) if rule.threshold else share == 1.0
    metrics = dict(extra)
    metrics[metric] = share
    # Without a threshold a violating minimum or maximum is the value AWS names; else the share.
    shown = share
    if not passed and rule.condition is not None and not rule.threshold:
        shown = next((v for v in extra.values() if not conditions.holds(rule.condition, v)), share)
    return Measure(
        passed, metrics, None if passed else constraint_message(shown), ds.row_level(rule, predicate)
    )


# -- dataset rules ---------------------------------------------------------------------------------


def row_count(ds: Dataset, rule: Rule) -> Measure:
    return metric_rule(
        rule, "Dataset.*.RowCount", _number(ds.scalar(f"SELECT count(*) FROM {ds.source(rule)}"))
    )


def column_count(ds: Dataset, rule: Rule) -> Measure:
    return metric_rule(rule, "Dataset.*.ColumnCount", float(len(ds.columns)))


def column_exists(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    exists = ds.has_column(name)
    message = None if exists else f"Input data does not include column {name}!"
    return Measure(exists, {f"Dataset.{name}.ColumnExists": 1.0 if exists else 0.0}, message)


def column_names_match_pattern(ds: Dataset, rule: Rule) -> Measure:
    pattern = re.compile(rule.parameters[0])
    misses = [c for c in ds.columns if not pattern.fullmatch(c)]
    ratio = (len(ds.columns) - len(misses)) / len(ds.columns) if ds.columns else 1.0
    message = None if not misses else f"Columns that do not match the pattern: {', '.join(misses)}"
    return Measure(not misses, {"Dataset.*.ColumnNamesPatternMatchRatio": ratio}, message)


def custom_sql(ds: Dataset, rule: Rule) -> Measure:
    statement = spark_sql(rule.parameters[0], "the Custom SQL statement")
    if rule.condition is not None:
        try:
            rows = ds.con.execute(statement).fetchall()
        except Exception as exc:
            raise RuleError(f"Custom SQL statement failed: {_first_line(exc)}") from None
        if len(rows) != 1 or len(rows[0]) != 1:
            raise RuleError("Custom SQL response must contain exactly one row with one column")
        return metric_rule(rule, "Dataset.*.CustomSQL", _number(rows[0][0]))
    # Row-level form: the statement selects the rows that pass.
    try:
        returned = ds.con.execute(f"SELECT count(*) FROM ({statement}) AS custom").fetchall()[0][0]
    except Exception as exc:
        raise RuleError(f"Custom SQL statement failed: {_first_line(exc)}") from None
    total = ds.row_count()
    share = float(returned) / total if total else 1.0
    passed = conditions.holds(rule.threshold, share) if rule.threshold else share >= 1.0
    return Measure(
        passed, {"Dataset.*.CustomSQL.Compliance": share}, None if passed else constraint_message(share)
    )


def row_count_match(ds: Dataset, rule: Rule) -> Measure:
    alias = rule.parameters[0]
    reference = _number(ds.scalar(f"SELECT count(*) FROM {ds.reference(alias)}")) or 0.0
    ratio = ds.row_count() / reference if reference else (1.0 if ds.row_count() == 0 else 0.0)
    return metric_rule(rule, f"Dataset.{alias}.RowCountMatch", ratio)


def referential_integrity(ds: Dataset, rule: Rule) -> Measure:
    primary_columns = [c.strip() for c in rule.parameters[0].split(",") if c.strip()]
    alias, _, rest = rule.parameters[1].partition(".")
    rest = rest.strip()
    names = [c.strip() for c in rest.strip("{}").split(",")] if rest.startswith("{") else [rest]
    if len(names) != len(primary_columns):
        raise RuleError(
            f"ReferentialIntegrity compares {len(primary_columns)} column(s) with {len(names)} in '{alias}'"
        )
    reference = ds.reference(alias)
    pairs = [
        f"r.{ds.reference_column(alias, n)} = {ds.primary}.{ds.column(c)}"
        for c, n in zip(primary_columns, names, strict=True)
    ]
    found = f"EXISTS (SELECT 1 FROM {reference} AS r WHERE {' AND '.join(pairs)})"
    share = ds.scalar(f"SELECT avg(CASE WHEN {found} THEN 1.0 ELSE 0.0 END) FROM {ds.primary}")
    share = 1.0 if share is None else float(share)
    return metric_rule(rule, f"Column.{alias}.ReferentialIntegrity", share, found)


# -- column rules ----------------------------------------------------------------------------------


def _completeness(ds: Dataset, rule: Rule, column: str) -> float:
    value = ds.scalar(f"SELECT count({column}) / NULLIF(count(*), 0) FROM {ds.source(rule)}")
    return 1.0 if value is None else float(value)


def is_complete(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    value = _completeness(ds, rule, column)
    passed = value == 1.0
    return Measure(
        passed,
        {f"Column.{name}.Completeness": value},
        None if passed else constraint_message(value),
        ds.row_level(rule, f"{column} IS NOT NULL"),
    )


def completeness(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    value = _completeness(ds, rule, column)
    return metric_rule(
        rule, f"Column.{name}.Completeness", value, ds.row_level(rule, f"{column} IS NOT NULL")
    )


def _uniqueness(ds: Dataset, rule: Rule, columns: list[str]) -> float:
    keys = ", ".join(columns)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    source = ds.source(rule)
    value = ds.scalar(
        f"SELECT (SELECT count(*) FROM (SELECT {keys} FROM {source} WHERE {not_null} GROUP BY {keys} "
        f"HAVING count(*) = 1)) / NULLIF((SELECT count(*) FROM {source}), 0)"
    )
    return 1.0 if value is None else float(value)


def _unique_row(ds: Dataset, rule: Rule, columns: list[str]) -> str | None:
    if rule.where:
        return None  # a row's uniqueness among the where clause's rows: not given row by row
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    return f"({not_null} AND count(*) OVER (PARTITION BY {', '.join(columns)}) = 1)"


def is_unique(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    value = _uniqueness(ds, rule, [column])
    passed = value == 1.0
    return Measure(
        passed,
        {f"Column.{name}.Uniqueness": value},
        None if passed else constraint_message(value),
        _unique_row(ds, rule, [column]),
    )


def uniqueness(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    return metric_rule(
        rule, f"Column.{name}.Uniqueness", _uniqueness(ds, rule, [column]), _unique_row(ds, rule, [column])
    )


def is_primary_key(ds: Dataset, rule: Rule) -> Measure:
    names = list(rule.parameters)
    columns = [ds.column(n) for n in names]
    metrics = {
        f"Column.{n}.Completeness": _completeness(ds, rule, c) for n, c in zip(names, columns, strict=True)
    }
    unique = _uniqueness(ds, rule, columns)
    metrics[f"Column.{','.join(names)}.Uniqueness"] = unique
    failing = next((v for v in metrics.values() if v != 1.0), None)
    return Measure(
        failing is None,
        metrics,
        None if failing is None else constraint_message(failing),
        _unique_row(ds, rule, columns),
    )


def _aggregate(function: str, metric: str, numeric: bool = True) -> Callable[[Dataset, Rule], Measure]:
    def check(ds: Dataset, rule: Rule) -> Measure:
        name = rule.parameters[0]
        column = ds.column(name)
        value = f"TRY_CAST({column} AS DOUBLE)" if numeric else column
        sql = function.format(value=value, source=ds.source(rule))
        return metric_rule(rule, f"Column.{name}.{metric}", _number(ds.scalar(sql)))

    return check


mean = _aggregate("SELECT avg({value}) FROM {source}", "Mean")
total = _aggregate("SELECT sum({value}) FROM {source}", "Sum")
standard_deviation = _aggregate("SELECT stddev_pop({value}) FROM {source}", "StandardDeviation")
distinct_values_count = _aggregate(
    "SELECT count(DISTINCT {value}) FROM {source}", "DistinctValuesCount", False
)
entropy = _aggregate(
    "SELECT -sum((n / t) * ln(n / t)) FROM (SELECT count(*) AS n, sum(count(*)) OVER () AS t "
    "FROM {source} WHERE {value} IS NOT NULL GROUP BY {value})",
    "Entropy",
    False,
)
unique_value_ratio = _aggregate(
    "SELECT count(*) FILTER (WHERE n = 1) / NULLIF(count(*), 0) FROM "
    "(SELECT count(*) AS n FROM {source} WHERE {value} IS NOT NULL GROUP BY {value})",
    "UniqueValueRatio",
    False,
)


def column_correlation(ds: Dataset, rule: Rule) -> Measure:
    first, second = rule.parameters
    a, b = ds.column(first), ds.column(second)
    value = ds.scalar(f"SELECT corr(TRY_CAST({a} AS DOUBLE), TRY_CAST({b} AS DOUBLE)) FROM {ds.source(rule)}")
    return metric_rule(rule, f"Multicolumn.{first},{second}.ColumnCorrelation", _number(value))


def column_values(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    condition = rule.condition
    assert condition is not None
    predicate = conditions.predicate(condition, column, ds.now)
    extra: dict[str, float] = {}
    if condition.kind == "number" and condition.operator in model.COMPARISONS and not rule.threshold:
        extra = _min_max(ds, rule, f"TRY_CAST({column} AS DOUBLE)", name, "Minimum", "Maximum", condition)
    return compliance_rule(ds, rule, predicate, f"Column.{name}.ColumnValues.Compliance", extra)


def _min_max(
    ds: Dataset, rule: Rule, value: str, name: str, low: str, high: str, condition: model.Condition
) -> dict[str, float]:
    minimum, maximum = ds.con.execute(f"SELECT min({value}), max({value}) FROM {ds.source(rule)}").fetchall()[
        0
    ]
    found = {}
    if condition.operator in (">", ">=", "=", model.BETWEEN) and minimum is not None:
        found[f"Column.{name}.{low}"] = float(minimum)
    if condition.operator in ("<", "<=", "=", model.BETWEEN) and maximum is not None:
        found[f"Column.{name}.{high}"] = float(maximum)
    return found


def column_length(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    condition = rule.condition
    assert condition is not None
    length = f"length(CAST({column} AS VARCHAR))"
    predicate = conditions.predicate(condition, length, ds.now)
    if not any(isinstance(o, model.Null) for o in condition.operands):
        predicate = f"({column} IS NULL OR {predicate})"  # a missing value has no length to check
    extra: dict[str, float] = {}
    if condition.operator in model.COMPARISONS + (model.EQUALS, model.BETWEEN) and not rule.threshold:
        extra = _min_max(ds, rule, length, name, "MinimumLength", "MaximumLength", condition)
    return compliance_rule(ds, rule, predicate, f"Column.{name}.LengthCompliance", extra)


def data_freshness(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    assert rule.condition is not None
    predicate = conditions.predicate(rule.condition, column, ds.now)
    return compliance_rule(ds, rule, predicate, f"Column.{name}.DataFreshness.Compliance", {})


DATA_TYPES = {
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "INTEGER": "INTEGER",
    "INT": "INTEGER",
    "LONG": "BIGINT",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "DECIMAL": "DECIMAL(38,10)",
    "STRING": "VARCHAR",
}


def column_data_type(ds: Dataset, rule: Rule) -> Measure:
    name = rule.parameters[0]
    column = ds.column(name)
    condition = rule.condition
    assert condition is not None
    wanted = [o.value.upper() for o in condition.operands if isinstance(o, model.Text)]
    unknown = [w for w in wanted if w not in DATA_TYPES]
    if unknown:
        raise RuleError(f"ColumnDataType: unknown type(s) {', '.join(unknown)}; use {', '.join(DATA_TYPES)}")
    fits = " OR ".join(f"TRY_CAST({column} AS {DATA_TYPES[w]}) IS NOT NULL" for w in wanted) or "FALSE"
    if condition.operator in (model.NOT_IN, model.NOT_EQUALS):
        fits = f"NOT ({fits})"
    predicate = f"({column} IS NULL OR {fits})"
    return compliance_rule(ds, rule, predicate, f"Column.{name}.ColumnDataType.Compliance", {})


CHECKS: dict[str, Callable[[Dataset, Rule], Measure]] = {
    "RowCount": row_count,
    "ColumnCount": column_count,
    "ColumnExists": column_exists,
    "ColumnNamesMatchPattern": column_names_match_pattern,
    "CustomSql": custom_sql,
    "RowCountMatch": row_count_match,
    "ReferentialIntegrity": referential_integrity,
    "IsComplete": is_complete,
    "Completeness": completeness,
    "IsUnique": is_unique,
    "Uniqueness": uniqueness,
    "IsPrimaryKey": is_primary_key,
    "Mean": mean,
    "Sum": total,
    "StandardDeviation": standard_deviation,
    "DistinctValuesCount": distinct_values_count,
    "Entropy": entropy,
    "UniqueValueRatio": unique_value_ratio,
    "ColumnCorrelation": column_correlation,
    "ColumnValues": column_values,
    "ColumnLength": column_length,
    "DataFreshness": data_freshness,
    "ColumnDataType": column_data_type,
}
