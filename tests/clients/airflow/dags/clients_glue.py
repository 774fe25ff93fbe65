"""Glue as the Amazon provider's own system test for Glue uses it
(providers/amazon/tests/system/amazon/aws/example_glue.py), written here for the local endpoint: a
crawler made and started by GlueCrawlerOperator over a target path written without `s3://`, the
crawler and catalog-partition sensors, a Spark job made and started by GlueJobOperator from a role
name, the job sensor with its logs, and a teardown that deletes the Glue resources and the log streams
of the crawl and the run (/aws-glue/crawlers, /aws-glue/jobs/logs-v2, /error, /output)."""

from __future__ import annotations

import os
from datetime import datetime

import boto3
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator
from airflow.providers.amazon.aws.operators.s3 import (
    S3CreateBucketOperator,
    S3CreateObjectOperator,
    S3DeleteBucketOperator,
)
from airflow.providers.amazon.aws.sensors.glue import GlueJobSensor
from airflow.providers.amazon.aws.sensors.glue_catalog_partition import GlueCatalogPartitionSensor
from airflow.providers.amazon.aws.sensors.glue_crawler import GlueCrawlerSensor
from airflow.sdk import DAG, chain, task
from airflow.utils.trigger_rule import TriggerRule

ENV_ID = os.environ.get("AWSTWIN_SYSTEM_ENV_ID", "local")
ROLE_ARN = os.environ.get("AWSTWIN_GLUE_ROLE_ARN", "arn:aws:iam::123456789012:role/glue")
PRICES = "item,price\npear,1.25\nrice,3.10\ntea,2.75\n"
SCRIPT = """
from pyspark.context import SparkContext
from awsglue.context import GlueContext

glue = GlueContext(SparkContext.getOrCreate())
frame = glue.create_dynamic_frame.from_catalog(database="{database}", table_name="input")
print("rows in the table: %s" % frame.count())
frame.toDF().write.format("csv").mode("append").save("s3://{bucket}/output")
"""


@task
def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


@task(trigger_rule=TriggerRule.ALL_DONE)
def remove_glue(crawler: str, job: str, database: str) -> None:
    glue = boto3.client("glue")
    glue.delete_crawler(Name=crawler)
    glue.delete_job(JobName=job)
    glue.delete_database(Name=database)


@task(trigger_rule=TriggerRule.ALL_DONE)
def remove_logs(streams: list[tuple[str, str]]) -> list[str]:
    """Delete the log streams of the crawl and the run (the groups stay), naming each one deleted."""
    logs, deleted = boto3.client("logs"), []
    for group, prefix in streams:
        found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=prefix)["logStreams"]
        for stream in found:
            logs.delete_log_stream(logGroupName=group, logStreamName=stream["logStreamName"])
            deleted.append(f"{group}:{stream['logStreamName']}")
    return deleted


with DAG("clients_glue", schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["clients"]):
    crawler, database, job, bucket = (
        f"{ENV_ID}_crawler",
        f"{ENV_ID}_glue_db",
        f"{ENV_ID}_glue_job",
        f"{ENV_ID}-glue",
    )

    make_bucket = S3CreateBucketOperator(task_id="make_bucket", bucket_name=bucket)
    upload_csv = S3CreateObjectOperator(
        task_id="upload_csv",
        s3_bucket=bucket,
        s3_key="input/category=mixed/input.csv",
        data=PRICES,
        replace=True,
    )
    upload_script = S3CreateObjectOperator(
        task_id="upload_script",
        s3_bucket=bucket,
        s3_key="etl_script.py",
        data=SCRIPT.format(database=database, bucket=bucket),
        replace=True,
    )
    crawl = GlueCrawlerOperator(
        task_id="crawl",
        config={
            "Name": crawler,
            "Role": ROLE_ARN,
            "DatabaseName": database,
            "Targets": {"S3Targets": [{"Path": f"{bucket}/input"}]},
        },
        wait_for_completion=False,
    )
    crawled = GlueCrawlerSensor(task_id="crawled", crawler_name=crawler, poke_interval=1, timeout=500)
    partition = GlueCatalogPartitionSensor(
        task_id="partition",
        table_name="input",
        database_name=database,
        expression="category='mixed'",
        poke_interval=1,
    )
    run_job = GlueJobOperator(
        task_id="run_job",
        job_name=job,
        script_location=f"s3://{bucket}/etl_script.py",
        s3_bucket=bucket,
        iam_role_name=role_name(ROLE_ARN),
        # Continuous logging (/aws-glue/jobs/logs-v2) is a job argument, off unless asked for
        # (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html)
        create_job_kwargs={
            "GlueVersion": "3.0",
            "NumberOfWorkers": 2,
            "WorkerType": "G.1X",
            "DefaultArguments": {"--enable-continuous-cloudwatch-log": "true"},
        },
        wait_for_completion=False,
    )
    job_done = GlueJobSensor(
        task_id="job_done", job_name=job, run_id=run_job.output, verbose=True, poke_interval=1
    )
    drop_bucket = S3DeleteBucketOperator(
        task_id="drop_bucket", bucket_name=bucket, force_delete=True, trigger_rule=TriggerRule.ALL_DONE
    )
    chain(
        make_bucket,
        upload_csv,
        upload_script,
        crawl,
        crawled,
        partition,
        run_job,
        job_done,
        remove_glue(crawler, job, database),
        drop_bucket,
        remove_logs(
            [
                ("/aws-glue/crawlers", crawler),
                ("/aws-glue/jobs/logs-v2", run_job.output),
                ("/aws-glue/jobs/error", run_job.output),
                ("/aws-glue/jobs/output", run_job.output),
            ]
        ),
    )
