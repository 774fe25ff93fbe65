"""Job bookmarks across real job runs: S3 files by modification time, JDBC rows by bookmark key.

https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html: enable reads what is new and
saves on job.commit(); ResetJobBookmark starts over (or, with a RunId, rewinds to what that run
committed). Every run is a real Spark process (20 s or more), so the whole story is one test of four
runs; pause and disable are checked inside the runtime (tests/glue_runtime/test_bookmarks.py).
"""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.spark  # Glue Spark job runs through the API

BUCKET = "bookmark-jobs"
JOB = "bookmarked"
GOING = ("STARTING", "RUNNING", "STOPPING", "WAITING")

SCRIPT = """
import json
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "JOB_RUN_ID", "bucket", "jdbc_url", "user", "password"])
glue_context = GlueContext(SparkContext())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
files = glue_context.create_dynamic_frame.from_options(
    "s3",
    {"paths": [f"s3://{args['bucket']}/in/"], "recurse": True},
    format="csv",
    format_options={"withHeader": True},
    transformation_ctx="files",
)
rows = glue_context.create_dynamic_frame.from_options(
    "postgresql",
    {
        "url": args["jdbc_url"],
        "user": args["user"],
        "password": args["password"],
        "dbtable": "public.bm_events",
    },
    transformation_ctx="rows",
)
seen = {
    "files": sorted(r["name"] for r in files.toDF().collect()),
    "rows": sorted(r["id"] for r in rows.toDF().collect()),
}
boto3.client("s3").put_object(
    Bucket=args["bucket"], Key=f"out/{args['JOB_RUN_ID']}.json", Body=json.dumps(seen).encode()
)
job.commit()
"""


def run_job(aws: Callable[[str], Any], option: str, **extra: str) -> tuple[str, dict[str, list[Any]]]:
    glue = aws("glue")
    run_id = glue.start_job_run(JobName=JOB, Arguments={"--job-bookmark-option": option, **extra})["JobRunId"]
    deadline = time.time() + 300
    while time.time() < deadline:
        run = glue.get_job_run(JobName=JOB, RunId=run_id)["JobRun"]
        if run["JobRunState"] not in GOING:
            break
        time.sleep(0.5)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    body = aws("s3").get_object(Bucket=BUCKET, Key=f"out/{run_id}.json")["Body"].read()
    return run_id, json.loads(body)


def put_file(aws: Callable[[str], Any], name: str) -> None:
    aws("s3").put_object(Bucket=BUCKET, Key=f"in/{name}.csv", Body=f"name\n{name}\n".encode())


def test_bookmarks_across_runs(aws: Callable[[str], Any], warehouse: Any) -> None:
    glue = aws("glue")
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("s3").put_object(Bucket=BUCKET, Key="scripts/job.py", Body=textwrap.dedent(SCRIPT).encode())
    warehouse.execute("CREATE TABLE public.bm_events (id int PRIMARY KEY, v text)")
    warehouse.execute("INSERT INTO public.bm_events VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    put_file(aws, "a")
    put_file(aws, "b")
    glue.create_job(
        Name=JOB,
        Role="glue-role",
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/job.py"},
        DefaultArguments={
            "--bucket": BUCKET,
            "--jdbc_url": warehouse.jdbc_url,
            "--user": warehouse.user,
            "--password": warehouse.password,
        },
    )
    with pytest.raises(ClientError) as none_yet:
        glue.get_job_bookmark(JobName=JOB)
    assert none_yet.value.response["Error"]["Code"] == "EntityNotFoundException"
    with pytest.raises(ClientError) as bad:
        glue.start_job_run(JobName=JOB, Arguments={"--job-bookmark-option": "job-bookmark-sometimes"})
    assert bad.value.response["Error"]["Code"] == "InvalidInputException"

    first, seen = run_job(aws, "job-bookmark-enable")
    assert seen == {"files": ["a", "b"], "rows": [1, 2, 3]}
    entry = glue.get_job_bookmark(JobName=JOB)["JobBookmarkEntry"]
    assert (entry["Version"], entry["Run"], entry["RunId"], entry["Attempt"]) == (1, 1, first, 0)
    state = json.loads(entry["JobBookmark"])
    assert sorted(state["files"]["files"]) == [f"s3://{BUCKET}/in/a.csv", f"s3://{BUCKET}/in/b.csv"]
    assert state["rows"] == {"kind": "jdbc", "keys": ["id"], "order": "asc", "last": [3]}

    # A second run over unchanged input reads nothing.
    second, seen = run_job(aws, "job-bookmark-enable")
    assert seen == {"files": [], "rows": []}

    put_file(aws, "c")  # new
    time.sleep(0.01)
    put_file(aws, "a")  # changed: a later modification time
    warehouse.execute("INSERT INTO public.bm_events VALUES (4, 'd'), (5, 'e')")
    third, seen = run_job(aws, "job-bookmark-enable")
    assert seen == {"files": ["a", "c"], "rows": [4, 5]}
    entry = glue.get_job_bookmark(JobName=JOB)["JobBookmarkEntry"]
    assert (entry["Version"], entry["RunId"], entry["PreviousRunId"]) == (3, third, second)

    # Rewind to what the first run committed, then start over.
    rewound = glue.reset_job_bookmark(JobName=JOB, RunId=first)["JobBookmarkEntry"]
    assert json.loads(rewound["JobBookmark"])["rows"]["last"] == [3]
    cleared = glue.reset_job_bookmark(JobName=JOB)["JobBookmarkEntry"]
    assert cleared["JobBookmark"] == "{}"
    _, seen = run_job(aws, "job-bookmark-enable")
    assert seen == {"files": ["a", "b", "c"], "rows": [1, 2, 3, 4, 5]}

    glue.delete_job(JobName=JOB)  # deleting a job deletes its bookmark
    with pytest.raises(ClientError) as gone:
        glue.get_job_bookmark(JobName=JOB)
    assert gone.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_bookmark_state_survives_a_restart(tmp_path: Any) -> None:
    from awstwin.endpoint.glue.jobs.bookmarks import BookmarkStore

    store = BookmarkStore(tmp_path)
    state = {"files": {"kind": "s3", "files": {"s3://b/k.csv": 1700000000000}}}
    store.apply_commit("job", {"Id": "jr_1", "Attempt": 0}, state)
    again = BookmarkStore(tmp_path)  # a restarted endpoint reading the same state folder
    entry = again.entry("job")
    assert (entry["Version"], entry["RunId"], json.loads(entry["JobBookmark"])) == (1, "jr_1", state)
    given = again.for_run(
        "job", {"--job-bookmark-option": "job-bookmark-pause", "--job-bookmark-from": "jr_1"}
    )
    assert given == {"option": "job-bookmark-pause", "state": state, "upper": None}
