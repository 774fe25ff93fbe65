"""A DQDL ruleset evaluated over a DuckDB relation: per-rule outcomes and row-level outcomes.

The caller registers the rows as `primary` (a catalog table's files, or a job's DynamicFrame as
Arrow) and each reference dataset under its alias, then calls `evaluate`. Composite rules combine
their members' outcomes with and/or (a member that errs makes the composite err). Row-level outcomes
follow Glue's EvaluateDataQuality: each row gets the rules it passed (`DataQualityRulesPass`), failed
(`DataQualityRulesFail`) and those that have no row-level result (`DataQualityRulesSkip`), and
`DataQualityEvaluationResult` Passed or Failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from awstwin.dataquality import model
from awstwin.dataquality.checks import CHECKS, Dataset, RuleError
from awstwin.dataquality.conditions import DynamicRuleError
from awstwin.dataquality.model import AnyRule, CompositeRule, Rule, Ruleset
from awstwin.dataquality.outcome import ERROR, FAIL, PASS, Measure, RuleOutcome, score
from awstwin.dataquality.parser import parse

log = logging.getLogger(__name__)

ROW_PASS = "DataQualityRulesPass"
ROW_FAIL = "DataQualityRulesFail"
ROW_SKIP = "DataQualityRulesSkip"
ROW_RESULT = "DataQualityEvaluationResult"
ROW_COLUMNS = (ROW_PASS, ROW_FAIL, ROW_SKIP, ROW_RESULT)


@dataclass
class Evaluation:
    outcomes: list[RuleOutcome]
    row_count: int

    @property
    def score(self) -> float:
        return score(self.outcomes)

    def failed(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.result != PASS]


def evaluate(
    ruleset: Ruleset | str,
    con: Any,
    primary: str = "primary",
    references: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Every rule of `ruleset` over the relation `primary` on the DuckDB connection `con`."""
    parsed = parse(ruleset) if isinstance(ruleset, str) else ruleset
    dataset = Dataset(con, primary, references, now)
    outcomes = [_outcome(dataset, rule, f"Rule_{i}") for i, rule in enumerate(parsed.rules, start=1)]
    return Evaluation(outcomes, dataset.row_count())


def _outcome(ds: Dataset, rule: AnyRule, name: str) -> RuleOutcome:
    if isinstance(rule, CompositeRule):
        return _composite(ds, rule, name)
    try:
        measure = _measure(ds, rule)
    except (RuleError, DynamicRuleError) as exc:
        return RuleOutcome(rule, name, ERROR, message=str(exc))
    return RuleOutcome(
        rule, name, PASS if measure.passed else FAIL, measure.metrics, measure.message, measure.row_sql
    )


def _measure(ds: Dataset, rule: Rule) -> Measure:
    check = CHECKS.get(rule.rule_type)
    if check is None:
        raise RuleError(
            f"Rule type {rule.rule_type} is not evaluated by the local Glue Data Quality "
            "(it needs AWS-side history, files or anomaly models)"
        )
    return check(ds, rule)


def _composite(ds: Dataset, rule: CompositeRule, name: str) -> RuleOutcome:
    members = [_outcome(ds, member, name) for member in rule.members]
    metrics: dict[str, float] = {}
    for member in members:
        metrics.update(member.metrics)
    errors = [m for m in members if m.result == ERROR]
    if errors:
        return RuleOutcome(rule, name, ERROR, metrics, errors[0].message)
    results = [m.result == PASS for m in members]
    passed = all(results) if rule.operator == "and" else any(results)
    message = None
    if not passed:
        failing = [m for m in members if m.result != PASS]
        message = " ".join(f"{m.rule.text}: {m.message}" if m.message else m.rule.text for m in failing)
    row_sql = None
    if all(m.row_sql for m in members):
        joiner = " AND " if rule.operator == "and" else " OR "
        row_sql = "(" + joiner.join(f"({m.row_sql})" for m in members) + ")"
    return RuleOutcome(rule, name, PASS if passed else FAIL, metrics, message, row_sql)


def row_level_sql(evaluation: Evaluation, primary: str = "primary") -> str:
    """A SELECT of every row of `primary` with Glue's four row-level outcome columns added."""
    from awstwin.dataquality.checks import quote
    from awstwin.dataquality.conditions import sql_literal

    passes, fails = [], []
    skipped = []
    for outcome in evaluation.outcomes:
        label = sql_literal(outcome.description)
        if outcome.row_sql and outcome.result != ERROR:
            check = f"COALESCE(({outcome.row_sql}), FALSE)"
            passes.append(f"CASE WHEN {check} THEN {label} END")
            fails.append(f"CASE WHEN NOT {check} THEN {label} END")
        else:
            skipped.append(label)

    def listed(items: list[str]) -> str:
        if not items:
            return "CAST([] AS VARCHAR[])"
        return f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"

    skip = f"CAST([{', '.join(skipped)}] AS VARCHAR[])" if skipped else "CAST([] AS VARCHAR[])"
    return (
        f"SELECT *, {listed(passes)} AS {ROW_PASS}, {listed(fails)} AS {ROW_FAIL}, {skip} AS {ROW_SKIP} "
        f"FROM {quote(primary)}"
    )


def with_result_column(sql: str) -> str:
    """`sql` (from row_level_sql) with DataQualityEvaluationResult: Failed when any rule failed."""
    return (
        f"SELECT *, CASE WHEN len({ROW_FAIL}) = 0 THEN 'Passed' ELSE 'Failed' END AS {ROW_RESULT} "
        f"FROM ({sql}) AS outcomes"
    )


def aggregated_metrics(evaluation: Evaluation, con: Any, primary: str = "primary") -> dict[str, float]:
    """Glue's AggregatedMetrics: rows that passed every row-level rule (or failed one), and rules."""
    sql = row_level_sql(evaluation, primary)
    passed, failed = con.execute(
        f"SELECT count(*) FILTER (WHERE len({ROW_FAIL}) = 0), count(*) FILTER (WHERE len({ROW_FAIL}) > 0) "
        f"FROM ({sql}) AS outcomes"
    ).fetchall()[0]
    outcomes = evaluation.outcomes
    rules_passed = sum(1 for o in outcomes if o.result == PASS)
    return {
        "TotalRowsProcessed": float(evaluation.row_count),
        "TotalRowsPassed": float(passed),
        "TotalRowsFailed": float(failed),
        "TotalRulesProcessed": float(len(outcomes)),
        "TotalRulesPassed": float(rules_passed),
        "TotalRulesFailed": float(len(outcomes) - rules_passed),
    }


__all__ = [
    "aggregated_metrics",
    "Evaluation",
    "FAIL",
    "PASS",
    "ERROR",
    "ROW_COLUMNS",
    "evaluate",
    "model",
    "row_level_sql",
    "with_result_column",
]
