"""Glue Data Quality through boto3: rulesets, evaluation runs that read the table, results.

API reference: https://docs.aws.amazon.com/glue/latest/webapi/API_StartDataQualityRulesetEvaluationRun.html
and GetDataQualityResult (RuleResults with PASS/FAIL/ERROR, EvaluatedMetrics, EvaluationMessage).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import clients_for

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer

BUCKET = "dq-api"
DB = "dq_api"
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
ROLE = "arn:aws:iam::123456789012:role/glue-dq"

# The Airflow provider's example data and ruleset (example_glue_data_quality.py): LazySimpleSerDe keeps
# the quotes and the leading spaces as data, so "name" lengths are 7, 9 and 13.
SAMPLE = '"Alice",20\n    "Bob",25\n    "Charlie",30'
RULES = """Rules = [
    RowCount between 2 and 8,
    IsComplete "name",
    Uniqueness "name" > 0.95,
    ColumnLength "name" between 3 and 14,
    ColumnValues "age" between 19 and 31
]"""


def csv_table(glue: Any, name: str, location: str, columns: list[tuple[str, str]], **extra: Any) -> None:
    glue.create_table(
        DatabaseName=DB,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in columns],
                "Location": location,
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "SerdeInfo": {"SerializationLibrary": LAZY, "Parameters": {"field.delim": ","}},
            },
            **extra,
        },
    )


@pytest.fixture(scope="module")
def glue(aws: Callable[..., Any]) -> Any:
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="people/sample.csv", Body=SAMPLE.encode())
    s3.put_object(Bucket=BUCKET, Key="ages/ages.csv", Body=b"20\n25\n40\n41\n")
    for day, body in (("2024-01-01", "1,ok\n2,ok\n"), ("2024-01-02", "3,ok\n4,bad\n5,bad\n")):
        s3.put_object(Bucket=BUCKET, Key=f"events/day={day}/part.csv", Body=body.encode())
    client = aws("glue")
    client.create_database(DatabaseInput={"Name": DB})
    csv_table(client, "people", f"s3://{BUCKET}/people/", [("name", "string"), ("age", "int")])
    csv_table(client, "ages", f"s3://{BUCKET}/ages/", [("a", "int")])
    csv_table(
        client,
        "events",
        f"s3://{BUCKET}/events/",
        [("id", "int"), ("status", "string")],
        PartitionKeys=[{"Name": "day", "Type": "string"}],
    )
    for day in ("2024-01-01", "2024-01-02"):
        client.create_partition(
            DatabaseName=DB,
            TableName="events",
            PartitionInput={
                "Values": [day],
                "StorageDescriptor": {"Location": f"s3://{BUCKET}/events/day={day}/"},
            },
        )
    return client


def wait_run(glue: Any, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = glue.get_data_quality_ruleset_evaluation_run(RunId=run_id)
        if run["Status"] not in ("STARTING", "RUNNING", "STOPPING"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"evaluation run {run_id} did not finish")


def evaluate(glue: Any, ruleset: str, rules: str, table: str, **kwargs: Any) -> tuple[dict, dict]:
    glue.create_data_quality_ruleset(Name=ruleset, Ruleset=rules)
    source = {"GlueTable": {"DatabaseName": DB, "TableName": table, **kwargs.pop("options", {})}}
    run_id = glue.start_data_quality_ruleset_evaluation_run(
        DataSource=source, Role=ROLE, RulesetNames=[ruleset], **kwargs
    )["RunId"]
    run = wait_run(glue, run_id)
    assert run["Status"] == "SUCCEEDED", run.get("ErrorString")
    return run, glue.get_data_quality_result(ResultId=run["ResultIds"][0])


def test_ruleset_lifecycle(glue: Any) -> None:
    glue.create_data_quality_ruleset(
        Name="life",
        Ruleset=RULES,
        Description="the provider example",
        TargetTable={"DatabaseName": DB, "TableName": "people"},
        Tags={"team": "dq"},
    )
    got = glue.get_data_quality_ruleset(Name="life")
    assert got["Ruleset"] == RULES and got["TargetTable"]["TableName"] == "people"
    listed = glue.list_data_quality_rulesets(
        Filter={"TargetTable": {"DatabaseName": DB, "TableName": "people"}}
    )
    assert [(r["Name"], r["RuleCount"]) for r in listed["Rulesets"]] == [("life", 5)]
    assert glue.list_data_quality_rulesets(Tags={"team": "dq"})["Rulesets"][0]["Name"] == "life"
    arn = "arn:aws:glue:us-east-1:123456789012:dataQualityRuleset/life"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "dq"}

    updated = glue.update_data_quality_ruleset(Name="life", Ruleset="Rules = [ RowCount > 0 ]")
    assert (
        updated["Ruleset"] == "Rules = [ RowCount > 0 ]" and updated["Description"] == "the provider example"
    )
    with pytest.raises(ClientError) as exists:
        glue.create_data_quality_ruleset(Name="life", Ruleset=RULES)
    assert exists.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as invalid:
        glue.create_data_quality_ruleset(Name="bad", Ruleset='Rules = [\n  IsComplete "a",\n  RowCount ]')
    assert invalid.value.response["Error"]["Code"] == "InvalidInputException"
    assert "line 3:3" in invalid.value.response["Error"]["Message"]

    glue.delete_data_quality_ruleset(Name="life")
    for call in (glue.get_data_quality_ruleset, glue.delete_data_quality_ruleset):
        with pytest.raises(ClientError) as gone:
            call(Name="life")
        assert gone.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_evaluation_run_reads_the_table_and_reports_each_rule(glue: Any) -> None:
    run, result = evaluate(glue, "provider-example", RULES, "people")
    assert run["RulesetNames"] == ["provider-example"] and run["NumberOfWorkers"] == 5
    assert result["Score"] == 1.0 and result["RulesetEvaluationRunId"] == run["RunId"]
    by_rule = {r["Description"]: r for r in result["RuleResults"]}
    assert [r["Name"] for r in result["RuleResults"]] == [f"Rule_{i}" for i in range(1, 6)]
    assert by_rule["RowCount between 2 and 8"]["EvaluatedMetrics"] == {"Dataset.*.RowCount": 3.0}
    assert (
        by_rule['ColumnLength "name" between 3 and 14']["EvaluatedMetrics"]["Column.name.MaximumLength"]
        == 13.0
    )
    assert all(r["Result"] == "PASS" for r in result["RuleResults"])
    assert result["AggregatedMetrics"]["TotalRowsProcessed"] == 3.0
    assert result["AggregatedMetrics"]["TotalRulesPassed"] == 5.0

    # The stock provider hook reads the results the way its operator and sensor do.
    batch = glue.batch_get_data_quality_result(ResultIds=[result["ResultId"], "dqresult-missing"])
    assert [r["ResultId"] for r in batch["Results"]] == [result["ResultId"]]
    assert batch["ResultsNotFound"] == ["dqresult-missing"]
    listed = glue.list_data_quality_results(
        Filter={"DataSource": {"GlueTable": {"DatabaseName": DB, "TableName": "people"}}}
    )
    assert result["ResultId"] in [r["ResultId"] for r in listed["Results"]]
    people = {"GlueTable": {"DatabaseName": DB, "TableName": "people"}}
    runs = glue.list_data_quality_ruleset_evaluation_runs(
        Filter={"DataSource": people, "RulesetName": "provider-example"}
    )["Runs"]
    assert [r["RunId"] for r in runs] == [run["RunId"]]


def test_failing_and_erroring_rules(glue: Any) -> None:
    rules = 'Rules = [ RowCount > 5, ColumnValues "age" in [20, 25], IsComplete "nope", Mean "age" = 25 ]'
    _, result = evaluate(glue, "failing", rules, "people")
    outcomes = [(r["Result"], r.get("EvaluationMessage")) for r in result["RuleResults"]]
    assert outcomes == [
        ("FAIL", "Value: 3.0 does not meet the constraint requirement!"),
        ("FAIL", "Value: 0.6666666666666666 does not meet the constraint requirement!"),
        ("ERROR", "Input data does not include column nope!"),
        ("PASS", None),
    ]
    assert result["Score"] == 0.25
    metrics = result["AggregatedMetrics"]
    assert (metrics["TotalRowsPassed"], metrics["TotalRowsFailed"]) == (2.0, 1.0)


def test_custom_sql_reads_only_the_run_tables(glue: Any, tmp_path: Any) -> None:
    """CustomSql is SQL a caller wrote: the run's DuckDB is walled in as Athena's queries are
    (awstwin.endpoint.athena.sandbox), so a file outside the run's tables is refused, not read."""
    secret = tmp_path / "outside.csv"
    secret.write_text("a\n1\n", encoding="utf-8")
    rules = f"Rules = [ RowCount > 0, CustomSql \"select count(*) from read_csv('{secret}')\" > 0 ]"
    _, result = evaluate(glue, "walled", rules, "people")
    [row_count, custom] = result["RuleResults"]
    assert row_count["Result"] == "PASS"
    assert custom["Result"] == "ERROR" and "outside.csv" not in str(custom.get("EvaluatedMetrics"))


def test_additional_data_sources_for_reference_rules(glue: Any) -> None:
    rules = 'Rules = [ ReferentialIntegrity "age" "ref.a" = 1.0, RowCountMatch "ref" = 0.75 ]'
    _, result = evaluate(
        glue,
        "references",
        rules,
        "people",
        AdditionalDataSources={"ref": {"GlueTable": {"DatabaseName": DB, "TableName": "ages"}}},
    )
    first, second = result["RuleResults"]
    assert first["Result"] == "FAIL" and first["EvaluatedMetrics"] == {
        "Column.ref.ReferentialIntegrity": 2 / 3
    }
    assert second["Result"] == "PASS" and second["EvaluatedMetrics"] == {"Dataset.ref.RowCountMatch": 0.75}


def test_push_down_predicate_picks_partitions(glue: Any) -> None:
    rules = 'Rules = [ RowCount = 3, ColumnValues "status" in ["ok"] ]'
    _, result = evaluate(
        glue,
        "one-day",
        rules,
        "events",
        options={"AdditionalOptions": {"pushDownPredicate": "day = '2024-01-02'"}},
    )
    assert [r["Result"] for r in result["RuleResults"]] == ["PASS", "FAIL"]
    assert result["RuleResults"][1]["EvaluatedMetrics"][
        "Column.status.ColumnValues.Compliance"
    ] == pytest.approx(1 / 3)


def test_a_missing_table_fails_the_run(glue: Any) -> None:
    glue.create_data_quality_ruleset(Name="nowhere", Ruleset="Rules = [ RowCount > 0 ]")
    run_id = glue.start_data_quality_ruleset_evaluation_run(
        DataSource={"GlueTable": {"DatabaseName": DB, "TableName": "missing"}},
        Role=ROLE,
        RulesetNames=["nowhere"],
    )["RunId"]
    run = wait_run(glue, run_id)
    assert run["Status"] == "FAILED" and "missing" in run["ErrorString"]
    with pytest.raises(ClientError) as done:
        glue.cancel_data_quality_ruleset_evaluation_run(RunId=run_id)
    assert done.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as unknown:
        glue.start_data_quality_ruleset_evaluation_run(
            DataSource={"GlueTable": {"DatabaseName": DB, "TableName": "people"}},
            Role=ROLE,
            RulesetNames=["ghost"],
        )
    assert unknown.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_rulesets_and_results_survive_a_restart(tmp_path: Any) -> None:
    settings = EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)

    def client(server: EndpointServer, service: str) -> Any:
        return clients_for(server.url)(service)

    first = EndpointServer(settings).start()
    try:
        client(first, "s3").create_bucket(Bucket=BUCKET)
        client(first, "s3").put_object(Bucket=BUCKET, Key="people/sample.csv", Body=SAMPLE.encode())
        glue = client(first, "glue")
        glue.create_database(DatabaseInput={"Name": DB})
        csv_table(glue, "people", f"s3://{BUCKET}/people/", [("name", "string"), ("age", "int")])
        _, result = evaluate(glue, "kept", RULES, "people")
    finally:
        first.stop()
    second = EndpointServer(settings).start()
    try:
        glue = client(second, "glue")
        assert glue.get_data_quality_ruleset(Name="kept")["Ruleset"] == RULES
        assert glue.get_data_quality_result(ResultId=result["ResultId"])["Score"] == 1.0
    finally:
        second.stop()


def test_the_run_listener_names_failed_rules(glue: Any, airflow_aws: Any) -> None:
    """The stock evaluation operator fails with "failed for one or more rules"; `awstwin run` reports the
    rules themselves, read through the operator's own hook and connection."""
    from types import SimpleNamespace

    from awstwin.orchestration.listener import CAUSES

    evaluate(glue, "named", 'Rules = [ RowCount > 1, ColumnValues "age" <= 25 ]', "people")
    task = SimpleNamespace(
        datasource={"GlueTable": {"DatabaseName": DB, "TableName": "people"}},
        aws_conn_id="aws_default",
        region_name=None,
    )
    message = CAUSES["GlueDataQualityRuleSetEvaluationRunOperator"](task)
    assert message.startswith("Glue Data Quality run dqrun-")
    rule = 'Rule_2 ColumnValues "age" <= 25: FAIL (Value: 30.0 does not meet the constraint requirement!)'
    assert message.endswith(f"1 rule(s) failed: {rule}")


def test_recommendation_run_recommends_rules_the_rows_pass(glue: Any) -> None:
    source = {"GlueTable": {"DatabaseName": DB, "TableName": "people"}}
    run_id = glue.start_data_quality_rule_recommendation_run(
        DataSource=source, Role=ROLE, CreatedRulesetName="recommended"
    )["RunId"]
    deadline = time.time() + 60
    while (run := glue.get_data_quality_rule_recommendation_run(RunId=run_id))["Status"] in (
        "STARTING",
        "RUNNING",
    ):
        assert time.time() < deadline, "the recommendation run did not finish"
        time.sleep(0.1)
    assert run["Status"] == "SUCCEEDED", run.get("ErrorString")
    recommended = run["RecommendedRuleset"]
    assert "RowCount between 2 and 5" in recommended and 'IsUnique "name"' in recommended
    assert 'ColumnValues "age" between 19 and 31' in recommended
    stored = glue.get_data_quality_ruleset(Name="recommended")
    assert stored["Ruleset"] == recommended and stored["RecommendationRunId"] == run_id
    runs = glue.list_data_quality_rule_recommendation_runs(Filter={"DataSource": source})["Runs"]
    assert run_id in [r["RunId"] for r in runs]
    # The recommended rules pass on the rows they were made from.
    evaluated = glue.start_data_quality_ruleset_evaluation_run(
        DataSource=source, Role=ROLE, RulesetNames=["recommended"]
    )
    result = glue.get_data_quality_result(ResultId=wait_run(glue, evaluated["RunId"])["ResultIds"][0])
    assert result["Score"] == 1.0
