"""The stock Airflow AthenaOperator and AthenaSensor against the local Athena, unchanged."""

from __future__ import annotations

import pytest


def test_athena_operator_and_sensor(airflow_aws, lake):
    from airflow.providers.amazon.aws.hooks.athena import AthenaHook
    from airflow.providers.amazon.aws.operators.athena import AthenaOperator
    from airflow.providers.amazon.aws.sensors.athena import AthenaSensor

    lake.put("af/a.csv", "Exam_Score\r\n67\r\n61\r\n")
    lake.ok(
        f"""CREATE EXTERNAL TABLE af (exam_score bigint) ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{lake.bucket}/af/' TBLPROPERTIES ('skip.header.line.count'='1')"""
    )
    operator = AthenaOperator(
        task_id="row_count",
        query="SELECT count(*) AS n, avg(exam_score) AS mean FROM af",
        database=lake.database,
        output_location=lake.output,
        sleep_time=1,
        aws_conn_id="aws_default",
    )
    query_id = operator.execute(context={})
    sensor = AthenaSensor(
        task_id="wait", query_execution_id=query_id, poke_interval=1, aws_conn_id="aws_default"
    )
    assert sensor.poke(context={}) is True
    results = AthenaHook(aws_conn_id="aws_default").get_query_results(query_id)
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    assert rows == [["n", "mean"], ["2", "64.0"]]

    failing = AthenaOperator(
        task_id="bad",
        query="SELECT * FROM missing_table",
        database=lake.database,
        output_location=lake.output,
        sleep_time=1,
        aws_conn_id="aws_default",
    )
    with pytest.raises(Exception, match="TABLE_NOT_FOUND"):
        failing.execute(context={})
    with pytest.raises(Exception, match="failed"):
        AthenaSensor(task_id="wait_bad", query_execution_id=failing.query_execution_id, poke_interval=1).poke(
            context={}
        )
