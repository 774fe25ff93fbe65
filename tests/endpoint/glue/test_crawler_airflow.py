"""The stock Airflow Amazon-provider hooks against the local crawler and catalog, unchanged."""

from __future__ import annotations

import logging
import uuid


def test_crawler_hook_waits_for_success_and_partition_sensor_finds_it(airflow_aws, aws, capsys, caplog):
    from airflow.providers.amazon.aws.hooks.glue_catalog import GlueCatalogHook
    from airflow.providers.amazon.aws.hooks.glue_crawler import GlueCrawlerHook
    from airflow.providers.amazon.aws.sensors.glue_catalog_partition import GlueCatalogPartitionSensor

    bucket, name = f"airflow-{uuid.uuid4().hex[:8]}", f"raw-{uuid.uuid4().hex[:6]}"
    database = f"db_{uuid.uuid4().hex[:8]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    for day in ("2024-01-01", "2024-01-02"):
        s3.put_object(
            Bucket=bucket,
            Key=f"raw/student_performance/ingest_date={day}/data.csv",
            Body=b"Hours_Studied,Gender,Exam_Score\r\n23,Male,67\r\n19,,61\r\n",
        )

    hook = GlueCrawlerHook(aws_conn_id="aws_default")
    config = {
        "Name": name,
        "Role": "arn:aws:iam::123456789012:role/glue",
        "DatabaseName": database,
        "Targets": {"S3Targets": [{"Path": f"s3://{bucket}/raw/student_performance/"}]},
        "Tags": {"stage": "raw"},
    }
    assert not hook.has_crawler(name)
    hook.create_crawler(**config)
    assert hook.has_crawler(name)
    assert hook.update_crawler(**{**config, "Tags": {"stage": "raw", "owner": "de"}}) is True
    hook.start_crawler(name)
    with caplog.at_level(logging.INFO):
        status = hook.wait_for_crawler_completion(name, poll_interval=1)
    assert status == "SUCCEEDED"
    logged = caplog.text + capsys.readouterr().out  # Airflow 3 logs through structlog to stdout
    assert "Status: SUCCEEDED" in logged
    assert "Tables Created: 1" in logged
    assert "Last Runtime Duration (seconds)" in logged

    catalog = GlueCatalogHook(aws_conn_id="aws_default")
    assert catalog.check_for_partition(database, "student_performance", "ingest_date='2024-01-02'")
    assert not catalog.check_for_partition(database, "student_performance", "ingest_date='2023-12-31'")
    assert catalog.get_partitions(database, "student_performance", "ingest_date > '2024-01-01'") == {
        ("2024-01-02",)
    }
    columns = [
        c["Name"] for c in catalog.get_table(database, "student_performance")["StorageDescriptor"]["Columns"]
    ]
    assert columns == ["hours_studied", "gender", "exam_score"]

    sensor = GlueCatalogPartitionSensor(
        task_id="wait_for_partition",
        database_name=database,
        table_name="student_performance",
        expression="ingest_date='2024-01-01'",
    )
    assert sensor.poke(context={}) is True
