"""awsgluedq's EvaluateDataQuality over DynamicFrames, as AWS documents its outputs.

https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-EvaluateDataQuality.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms import SelectFromCollection
from awsgluedq.transforms import EvaluateDataQuality

RULES = """Rules = [
    RowCount between 2 and 8,
    IsComplete "name",
    ColumnValues "age" between 19 and 31,
    ReferentialIntegrity "city" "cities.name" = 1.0
]"""


@pytest.fixture()
def people(glue_context: Any) -> DynamicFrame:
    rows = [("Alice", 20, "Oslo"), ("Bob", 35, "Rome"), (None, 25, "Lima")]
    df = glue_context.spark_session.createDataFrame(rows, "name string, age int, city string")
    return DynamicFrame.fromDF(df, glue_context, "people")


@pytest.fixture()
def cities(glue_context: Any) -> DynamicFrame:
    df = glue_context.spark_session.createDataFrame([("Oslo",), ("Rome",)], "name string")
    return DynamicFrame.fromDF(df, glue_context, "cities")


def test_apply_gives_the_rule_outcomes_frame(people: DynamicFrame, cities: DynamicFrame) -> None:
    outcomes = EvaluateDataQuality.apply(
        frame=people,
        ruleset=RULES,
        publishing_options={
            "dataQualityEvaluationContext": "people",
            "enableDataQualityResultsPublishing": False,
        },
        additional_data_sources={"cities": cities},
    )
    df = outcomes.toDF()
    assert df.columns == ["Rule", "Outcome", "FailureReason", "EvaluatedMetrics", "EvaluatedRule"]
    rows = {r["Rule"]: r for r in df.collect()}
    assert rows["RowCount between 2 and 8"]["Outcome"] == "Passed"
    assert rows["RowCount between 2 and 8"]["EvaluatedMetrics"] == {"Dataset.*.RowCount": 3.0}
    complete = rows['IsComplete "name"']
    assert (complete["Outcome"], complete["FailureReason"]) == (
        "Failed",
        "Value: 0.6666666666666666 does not meet the constraint requirement!",
    )
    assert rows['ColumnValues "age" between 19 and 31']["Outcome"] == "Failed"
    reference = rows['ReferentialIntegrity "city" "cities.name" = 1.0']
    assert reference["EvaluatedMetrics"] == {"Column.cities.ReferentialIntegrity": pytest.approx(2 / 3)}


def test_process_rows_adds_row_level_outcomes(people: DynamicFrame, cities: DynamicFrame) -> None:
    collection = EvaluateDataQuality().process_rows(
        frame=people,
        ruleset=RULES,
        publishing_options={"enableDataQualityResultsPublishing": False},
        additional_data_sources={"cities": cities},
    )
    assert sorted(collection.keys()) == ["rowLevelOutcomes", "ruleOutcomes"]
    rows = SelectFromCollection.apply(dfc=collection, key="rowLevelOutcomes").toDF()
    assert rows.columns == [
        "name",
        "age",
        "city",
        "DataQualityRulesPass",
        "DataQualityRulesFail",
        "DataQualityRulesSkip",
        "DataQualityEvaluationResult",
    ]
    by_age = {r["age"]: r for r in rows.collect()}
    assert by_age[20]["DataQualityEvaluationResult"] == "Passed"
    assert by_age[35]["DataQualityRulesFail"] == ['ColumnValues "age" between 19 and 31']
    assert by_age[25]["DataQualityRulesFail"] == [
        'IsComplete "name"',
        'ReferentialIntegrity "city" "cities.name" = 1.0',
    ]
    assert by_age[20]["DataQualityRulesSkip"] == ["RowCount between 2 and 8"]


def test_published_results_go_to_the_runs_exchange_folder(
    people: DynamicFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWSTWIN_GLUE_EXCHANGE", str(tmp_path))
    EvaluateDataQuality.apply(
        frame=people,
        ruleset='Rules = [ RowCount = 3, IsComplete "name" ]',
        publishing_options={"dataQualityEvaluationContext": "people_check"},
    )
    [published] = [json.loads(p.read_text()) for p in (tmp_path / "dq-results").glob("*.json")]
    assert published["EvaluationContext"] == "people_check"
    assert published["Score"] == 0.5
    assert [r["Result"] for r in published["RuleResults"]] == ["PASS", "FAIL"]
    assert published["AggregatedMetrics"]["TotalRowsFailed"] == 1.0
