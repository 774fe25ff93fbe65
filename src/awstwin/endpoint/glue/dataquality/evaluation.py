"""One ruleset evaluation run, for real: read the table, evaluate each ruleset, make its result.

Each ruleset gets its own DuckDB connection with the run's table as `primary` and every
AdditionalDataSources table under its alias (what ReferentialIntegrity, RowCountMatch and CustomSql
name). The result is a `DataQualityResult` as GetDataQualityResult returns it: RuleResults,
AnalyzerResults, Score and AggregatedMetrics (rows and rules processed, passed, failed).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from awstwin.dataquality import evaluate as dq
from awstwin.dataquality import parse
from awstwin.dataquality.checks import CHECKS, Dataset, RuleError
from awstwin.dataquality.model import Condition, Number, Rule
from awstwin.endpoint.glue.dataquality import tables

Doc = dict[str, Any]
PRIMARY = "primary"


def new_result_id() -> str:
    return "dqresult-" + secrets.token_hex(20)


def evaluate_ruleset(
    relations: tables.Relations | None,
    run: Doc,
    ruleset_name: str,
    ruleset_text: str,
    attach: Callable[[Any], None],
) -> Doc:
    """The DataQualityResult of `ruleset_text` over the run's DataSource; `attach(con)` lets the caller
    interrupt the connection (CancelDataQualityRulesetEvaluationRun, Timeout)."""
    started = time.time()
    reading = tables.connect(relations)
    con = reading.con
    attach(con)
    try:
        tables.register(reading, run["DataSource"], PRIMARY)
        references = {}
        for alias, source in (run.get("AdditionalDataSources") or {}).items():
            view = f"reference_{len(references)}"
            tables.register(reading, source, view)
            references[alias] = view
        reading.lock()
        ruleset = parse(ruleset_text)
        evaluation = dq.evaluate(ruleset, con, PRIMARY, references)
        aggregated = dq.aggregated_metrics(evaluation, con, PRIMARY)
        analyzers = [_analyze(con, references, rule) for rule in ruleset.analyzers]
    finally:
        attach(None)
        reading.close()
    outcomes = evaluation.outcomes
    return {
        "ResultId": new_result_id(),
        "Score": evaluation.score,
        "DataSource": run["DataSource"],
        "RulesetName": ruleset_name,
        "EvaluationContext": ruleset_name,
        "StartedOn": started,
        "CompletedOn": time.time(),
        "RulesetEvaluationRunId": run["RunId"],
        "RuleResults": [o.api() for o in outcomes],
        "AnalyzerResults": analyzers,
        "Observations": [],
        "AggregatedMetrics": aggregated,
    }


_ANY_VALUE = Condition("number", ">=", (Number(float("-inf"), "-Infinity"),), "")


def _analyze(con: Any, references: dict[str, str], rule: Rule) -> Doc:
    """An analyzer: the rule type's metrics, with no condition to pass or fail."""
    result: Doc = {"Name": rule.rule_type, "Description": rule.text, "EvaluatedMetrics": {}}
    check = CHECKS.get(rule.rule_type)
    if check is None:
        result["EvaluationMessage"] = (
            f"Analyzer {rule.rule_type} is not evaluated by the local Glue Data Quality"
        )
        return result
    probe = Rule(
        rule.rule_type, rule.parameters, _ANY_VALUE, rule.where, None, rule.text, rule.line, rule.column
    )
    try:
        measure = check(Dataset(con, PRIMARY, references), probe)
    except RuleError as exc:
        result["EvaluationMessage"] = str(exc)
        return result
    result["EvaluatedMetrics"] = {k: float(v) for k, v in measure.metrics.items()}
    return result
