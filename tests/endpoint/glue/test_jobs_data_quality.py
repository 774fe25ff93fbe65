"""EvaluateDataQuality inside a real job run, as Glue Studio generates it, with results published.

A run publishes its result (ListDataQualityResults by JobName / JobRunId, with the node's
`dataQualityEvaluationContext`), writes the rows that failed, and fails the job the way Glue Studio's
"fail job when data quality fails" option does (an assert on the rule outcomes).
"""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.spark  # Glue Spark job runs through the API

BUCKET = "dq-jobs"
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

SCRIPT = """
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import SelectFromCollection
from awsglue.utils import getResolvedOptions
from awsgluedq.transforms import EvaluateDataQuality
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glueContext = GlueContext(SparkContext())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

RULESET = '''
    Rules = [
        RowCount > 0,
        IsComplete "student",
        ColumnValues "score" between -1 and 101
    ]
'''
source = glueContext.create_dynamic_frame.from_catalog(
    database="dq_jobs", table_name="scores", transformation_ctx="source"
)
checked = EvaluateDataQuality().process_rows(
    frame=source,
    ruleset=RULESET,
    publishing_options={
        "dataQualityEvaluationContext": "EvaluateDataQuality_node1",
        "enableDataQualityResultsPublishing": True,
    },
    additional_options={"observations.scope": "ALL", "performanceTuning.caching": "CACHE_NOTHING"},
)
outcomes = SelectFromCollection.apply(dfc=checked, key="ruleOutcomes", transformation_ctx="ruleOutcomes")
rows = SelectFromCollection.apply(dfc=checked, key="rowLevelOutcomes", transformation_ctx="rowLevelOutcomes")
failed_rows = rows.filter(lambda row: row["DataQualityEvaluationResult"] == "Failed")
glueContext.write_dynamic_frame.from_options(
    frame=failed_rows,
    connection_type="s3",
    connection_options={"path": "s3://dq-jobs/failed/"},
    format="json",
)
assert outcomes.filter(lambda x: x["Outcome"] == "Failed").count() == 0, (
    "The job failed due to failing DQ rules for node: EvaluateDataQuality_node1"
)
job.commit()
"""


def test_evaluate_data_quality_in_a_job_run(aws: Callable[[str], Any]) -> None:
    s3, glue = aws("s3"), aws("glue")
    s3.create_bucket(Bucket=BUCKET)
    scores = b"ann,88\nbo,101\n\\N,75\ncy,60\n"  # \N is LazySimpleSerDe's NULL ('' stays a string)
    s3.put_object(Bucket=BUCKET, Key="scores/part.csv", Body=scores)
    s3.put_object(Bucket=BUCKET, Key="scripts/dq.py", Body=textwrap.dedent(SCRIPT).encode())
    glue.create_database(DatabaseInput={"Name": "dq_jobs"})
    glue.create_table(
        DatabaseName="dq_jobs",
        TableInput={
            "Name": "scores",
            "StorageDescriptor": {
                "Location": f"s3://{BUCKET}/scores/",
                "Columns": [{"Name": "student", "Type": "string"}, {"Name": "score", "Type": "int"}],
                "SerdeInfo": {"SerializationLibrary": LAZY, "Parameters": {"field.delim": ","}},
            },
        },
    )
    glue.create_job(
        Name="dq-job",
        Role="glue-role",
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/dq.py"},
    )
    run_id = glue.start_job_run(JobName="dq-job")["JobRunId"]
    deadline = time.time() + 300
    while time.time() < deadline:
        run = glue.get_job_run(JobName="dq-job", RunId=run_id)["JobRun"]
        if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING", "WAITING"):
            break
        time.sleep(0.5)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == (
        "AssertionError: The job failed due to failing DQ rules for node: EvaluateDataQuality_node1"
    )

    listed = glue.list_data_quality_results(Filter={"JobName": "dq-job", "JobRunId": run_id})["Results"]
    assert len(listed) == 1 and listed[0]["JobRunId"] == run_id
    result = glue.get_data_quality_result(ResultId=listed[0]["ResultId"])
    assert result["EvaluationContext"] == "EvaluateDataQuality_node1"
    assert [(r["Description"], r["Result"]) for r in result["RuleResults"]] == [
        ("RowCount > 0", "PASS"),
        ('IsComplete "student"', "FAIL"),
        ('ColumnValues "score" between -1 and 101', "FAIL"),
    ]
    assert result["Score"] == 1 / 3
    assert result["AggregatedMetrics"]["TotalRowsFailed"] == 2.0

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="failed/")["Contents"]]
    lines = [
        json.loads(line)
        for key in keys
        for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()
        if line.strip()
    ]
    assert sorted(line["score"] for line in lines) == [75, 101]
    assert all(line["DataQualityEvaluationResult"] == "Failed" for line in lines)
