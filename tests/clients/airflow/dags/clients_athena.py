"""Athena as the Amazon provider's own system test for Athena uses it
(providers/amazon/tests/system/amazon/aws/example_athena.py), written here for the local endpoint: a
bucket (and boto3's bucket_exists waiter, through the standard AWS_ENDPOINT_URL), sample rows, CREATE
DATABASE, a table whose LOCATION has `//`, a SELECT, the AthenaSensor, the result CSV read from the
bucket's root, and the teardown."""

from __future__ import annotations

import os
from datetime import datetime

import boto3
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.providers.amazon.aws.operators.s3 import (
    S3CreateBucketOperator,
    S3CreateObjectOperator,
    S3DeleteBucketOperator,
)
from airflow.providers.amazon.aws.sensors.athena import AthenaSensor
from airflow.sdk import DAG, chain, task
from airflow.utils.trigger_rule import TriggerRule

ENV_ID = os.environ.get("AWSTWIN_SYSTEM_ENV_ID", "local")
PEOPLE = '"Dana",41\n    "Eli",35\n    "Fay",28\n    '


@task
def bucket_is_there(bucket: str) -> None:
    boto3.client("s3").get_waiter("bucket_exists").wait(Bucket=bucket)


@task
def result_file(bucket: str, query_id: str) -> str:
    body = S3Hook().get_conn().get_object(Bucket=bucket, Key=f"{query_id}.csv")["Body"].read().decode()
    print(body)
    return body


with DAG("clients_athena", schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["clients"]):
    bucket, database, table = f"{ENV_ID}-athena", f"{ENV_ID}_athena_db", f"{ENV_ID}_people"
    output = f"s3://{bucket}/"

    def athena(task_id: str, query: str, **kwargs: object) -> AthenaOperator:
        return AthenaOperator(
            task_id=task_id, query=query, database=database, output_location=output, sleep_time=1, **kwargs
        )

    make_bucket = S3CreateBucketOperator(task_id="make_bucket", bucket_name=bucket)
    upload = S3CreateObjectOperator(
        task_id="upload", s3_bucket=bucket, s3_key=f"{table}/people.csv", data=PEOPLE, replace=True
    )
    make_database = athena("make_database", f"CREATE DATABASE IF NOT EXISTS {database}")
    make_table = athena(
        "make_table",
        f"""CREATE EXTERNAL TABLE IF NOT EXISTS {database}.{table} ( `name` string, `age` int )
        ROW FORMAT SERDE "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
        WITH SERDEPROPERTIES ( "serialization.format" = ",", "field.delim" = "," )
        LOCATION "s3://{bucket}//{table}"
        TBLPROPERTIES ("has_encrypted_data"="false")""",
    )
    select = athena("select", f"SELECT * FROM {database}.{table}")
    wait_for_select = AthenaSensor(
        task_id="wait_for_select", query_execution_id=select.output, poke_interval=1
    )
    drop_table = athena(
        "drop_table", f"DROP TABLE IF EXISTS {database}.{table}", trigger_rule=TriggerRule.ALL_DONE
    )
    drop_database = athena(
        "drop_database", f"DROP DATABASE IF EXISTS {database}", trigger_rule=TriggerRule.ALL_DONE
    )
    drop_bucket = S3DeleteBucketOperator(
        task_id="drop_bucket", bucket_name=bucket, force_delete=True, trigger_rule=TriggerRule.ALL_DONE
    )
    chain(
        make_bucket,
        bucket_is_there(bucket),
        upload,
        make_database,
        make_table,
        select,
        wait_for_select,
        result_file(bucket, select.output),
        drop_table,
        drop_database,
        drop_bucket,
    )
