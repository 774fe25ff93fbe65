"""EvaluateDataQuality: a DQDL ruleset evaluated over a DynamicFrame inside a Glue job.

https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-EvaluateDataQuality.html
- `EvaluateDataQuality.apply(frame=, ruleset=, publishing_options=)` returns the rule outcomes frame:
  `Rule`, `Outcome` (Passed / Failed / Error), `FailureReason`, `EvaluatedMetrics`, `EvaluatedRule`;
- `EvaluateDataQuality().process_rows(...)` returns a DynamicFrameCollection with `ruleOutcomes` and
  `rowLevelOutcomes` (the frame's rows plus `DataQualityRulesPass`, `DataQualityRulesFail`,
  `DataQualityRulesSkip`, `DataQualityEvaluationResult`);
- `additional_data_sources={"alias": frame}` are the reference datasets (ReferentialIntegrity, ...).
Unless `publishing_options["enableDataQualityResultsPublishing"]` is false, the result is published
to the job run (ListDataQualityResults with JobName / JobRunId, EvaluationContext from
`dataQualityEvaluationContext`): it is left in the run's exchange folder for the endpoint.
The frame is evaluated in DuckDB over its rows as Arrow (collected on the driver, as a local job is).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

import duckdb
from awsglue._local.bookmarks import EXCHANGE_ENV
from awsglue.collection import DynamicFrameCollection
from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms.transform import GlueTransform
from pyspark.sql.types import DoubleType, MapType, StringType, StructField, StructType

from awstwin.dataquality import evaluate as dq
from awstwin.dataquality import parse

RULE_OUTCOMES, ROW_LEVEL_OUTCOMES = "ruleOutcomes", "rowLevelOutcomes"
DEFAULT_CONTEXT = "default_context"
OUTCOME_SCHEMA = StructType(
    [
        StructField("Rule", StringType()),
        StructField("Outcome", StringType()),
        StructField("FailureReason", StringType()),
        StructField("EvaluatedMetrics", MapType(StringType(), DoubleType())),
        StructField("EvaluatedRule", StringType()),
    ]
)


class EvaluateDataQuality(GlueTransform):
    _glue_owner = "EvaluateDataQuality"

    def __call__(
        self,
        frame: DynamicFrame,
        ruleset: str,
        publishing_options: dict[str, Any] | None = None,
        additional_options: dict[str, Any] | None = None,
        additional_data_sources: dict[str, DynamicFrame] | None = None,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """The rule outcomes frame of `ruleset` over `frame`."""
        outcomes, _rows = _evaluate(frame, ruleset, publishing_options, additional_data_sources, rows=False)
        return outcomes

    def process_rows(
        self,
        frame: DynamicFrame,
        ruleset: str,
        publishing_options: dict[str, Any] | None = None,
        additional_options: dict[str, Any] | None = None,
        additional_data_sources: dict[str, DynamicFrame] | None = None,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrameCollection:
        """`ruleOutcomes` and `rowLevelOutcomes` of `ruleset` over `frame`."""
        outcomes, rows = _evaluate(frame, ruleset, publishing_options, additional_data_sources, rows=True)
        return DynamicFrameCollection({RULE_OUTCOMES: outcomes, ROW_LEVEL_OUTCOMES: rows}, frame.glue_ctx)


def _evaluate(
    frame: DynamicFrame,
    ruleset: str,
    publishing_options: dict[str, Any] | None,
    additional_data_sources: dict[str, DynamicFrame] | None,
    rows: bool,
) -> tuple[DynamicFrame, DynamicFrame | None]:
    started = time.time()
    parsed = parse(ruleset)
    spark = frame.toDF().sparkSession
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        _register(con, "primary", frame)
        references = {}
        for alias, source in (additional_data_sources or {}).items():
            references[alias] = f"reference_{len(references)}"
            _register(con, references[alias], source)
        evaluation = dq.evaluate(parsed, con, "primary", references)
        row_frame = None
        if rows:
            table = con.sql(dq.with_result_column(dq.row_level_sql(evaluation))).to_arrow_table()
            row_frame = DynamicFrame(spark.createDataFrame(table), frame.glue_ctx, ROW_LEVEL_OUTCOMES)
        aggregated = dq.aggregated_metrics(evaluation, con)
    finally:
        con.close()
    outcome_rows = [o.frame_row() for o in evaluation.outcomes]
    outcomes = spark.createDataFrame(
        [tuple(r[f.name] for f in OUTCOME_SCHEMA.fields) for r in outcome_rows], OUTCOME_SCHEMA
    )
    _publish(evaluation, publishing_options or {}, started, aggregated)
    return DynamicFrame(outcomes, frame.glue_ctx, RULE_OUTCOMES), row_frame


def _register(con: Any, name: str, frame: DynamicFrame) -> None:
    table = frame.toDF().toArrow()
    con.register("incoming", table)
    con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
    con.unregister("incoming")


def _publish(
    evaluation: dq.Evaluation, options: dict[str, Any], started: float, aggregated: dict[str, float]
) -> None:
    """Leave the result for the endpoint to keep with the job run (unless publishing is off)."""
    enabled = str(options.get("enableDataQualityResultsPublishing", True)).lower() != "false"
    folder = os.environ.get(EXCHANGE_ENV)
    if not enabled or not folder:
        return
    result = {
        "Score": evaluation.score,
        "EvaluationContext": options.get("dataQualityEvaluationContext") or DEFAULT_CONTEXT,
        "StartedOn": started,
        "CompletedOn": time.time(),
        "RuleResults": [o.api() for o in evaluation.outcomes],
        "AnalyzerResults": [],
        "Observations": [],
        "AggregatedMetrics": aggregated,
    }
    target = Path(folder) / "dq-results"
    target.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{secrets.token_hex(4)}.json"
    (target / f".{name}").write_text(json.dumps(result), encoding="utf-8")
    os.replace(target / f".{name}", target / name)


__all__ = ["EvaluateDataQuality"]
