"""The Glue Jobs API with boto3: definitions, listing, tags, errors (no runs here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awstwin.endpoint.glue.jobs.diagnosis import script_error

COMMAND = {"Name": "pythonshell", "ScriptLocation": "s3://scripts/x.py", "PythonVersion": "3.9"}


@pytest.fixture(scope="module")
def glue(aws: Callable[[str], Any]) -> Any:
    return aws("glue")


def test_create_get_update_delete(glue: Any) -> None:
    glue.create_job(
        Name="api-crud",
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"},
        DefaultArguments={"--TempDir": "s3://tmp/"},
        GlueVersion="5.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
        Timeout=30,
        ExecutionProperty={"MaxConcurrentRuns": 3},
    )
    job = glue.get_job(JobName="api-crud")["Job"]
    assert job["Command"]["Name"] == "glueetl" and job["GlueVersion"] == "5.0"
    assert job["DefaultArguments"] == {"--TempDir": "s3://tmp/"}
    assert job["Timeout"] == 30 and job["ExecutionProperty"] == {"MaxConcurrentRuns": 3}
    assert job["MaxCapacity"] == 2.0 and job["MaxRetries"] == 0
    created = job["CreatedOn"]

    glue.update_job(JobName="api-crud", JobUpdate={"Role": "r2", "Command": COMMAND})
    updated = glue.get_job(JobName="api-crud")["Job"]
    assert updated["Role"] == "r2" and updated["Command"]["Name"] == "pythonshell"
    assert updated["Timeout"] == 2880 and "GlueVersion" not in updated  # UpdateJob replaces the definition
    assert updated["CreatedOn"] == created and updated["LastModifiedOn"] >= created

    assert glue.delete_job(JobName="api-crud")["JobName"] == "api-crud"
    assert glue.delete_job(JobName="api-crud")["JobName"] == "api-crud"  # deleting twice is fine, as on AWS
    with pytest.raises(ClientError) as missing:
        glue.get_job(JobName="api-crud")
    assert missing.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert "api-crud" in missing.value.response["Error"]["Message"]


def test_duplicate_and_invalid_definitions(glue: Any) -> None:
    glue.create_job(Name="api-dup", Role="r", Command=COMMAND)
    with pytest.raises(ClientError) as dup:
        glue.create_job(Name="api-dup", Role="r", Command=COMMAND)
    assert dup.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as bad:
        glue.create_job(Name="api-bad", Role="r", Command={"Name": "spark-submit"})
    assert bad.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as both:
        glue.create_job(
            Name="api-bad", Role="r", Command=COMMAND, WorkerType="G.1X", NumberOfWorkers=2, MaxCapacity=2.0
        )
    assert both.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as unknown:
        glue.update_job(JobName="api-none", JobUpdate={"Role": "r", "Command": COMMAND})
    assert unknown.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_listing_paging_batch_get_and_tags(glue: Any) -> None:
    for i in range(5):
        glue.create_job(Name=f"api-list-{i}", Role="r", Command=COMMAND, Tags={"team": "a" if i < 2 else "b"})
    names = [n for n in glue.list_jobs(MaxResults=200)["JobNames"] if n.startswith("api-list-")]
    assert names == [f"api-list-{i}" for i in range(5)]
    tagged = glue.list_jobs(Tags={"team": "a"})["JobNames"]
    assert tagged == ["api-list-0", "api-list-1"]
    first = glue.get_jobs(MaxResults=2)
    assert len(first["Jobs"]) == 2 and first["NextToken"]
    rest = glue.get_jobs(NextToken=first["NextToken"], MaxResults=100)
    assert not {j["Name"] for j in first["Jobs"]} & {j["Name"] for j in rest["Jobs"]}
    batch = glue.batch_get_jobs(JobNames=["api-list-3", "api-nope"])
    assert [j["Name"] for j in batch["Jobs"]] == ["api-list-3"] and batch["JobsNotFound"] == ["api-nope"]
    arn = "arn:aws:glue:us-east-1:123456789012:job/api-list-0"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "a"}
    glue.delete_job(JobName="api-list-0")
    with pytest.raises(ClientError):
        glue.get_tags(ResourceArn=arn)


def test_runs_of_unknown_jobs_and_runs(glue: Any) -> None:
    with pytest.raises(ClientError) as no_job:
        glue.start_job_run(JobName="api-ghost")
    assert no_job.value.response["Error"]["Code"] == "EntityNotFoundException"
    glue.create_job(Name="api-runs", Role="r", Command=COMMAND)
    with pytest.raises(ClientError) as no_run:
        glue.get_job_run(JobName="api-runs", RunId="jr_" + "0" * 64)
    assert no_run.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert glue.get_job_runs(JobName="api-runs")["JobRuns"] == []
    stop = glue.batch_stop_job_run(JobName="api-runs", JobRunIds=["jr_" + "1" * 64])
    assert (
        stop["SuccessfulSubmissions"] == []
        and stop["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    )


@pytest.mark.parametrize(
    ("stderr", "code", "message"),
    [
        (
            [
                "Traceback (most recent call last):",
                '  File "/r/s.py", line 3, in <module>',
                "    f()",
                "ValueError: boom",
            ],
            1,
            "ValueError: boom",
        ),
        (
            [
                "Traceback (most recent call last):",
                '  File "/r/s.py", line 9, in <module>',
                "pyspark.errors.exceptions.captured.AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3://b/x.",
                "26/01/01 10:00:00 ERROR Utils: shutdown noise",
            ],
            1,
            "AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3://b/x.",
        ),
        (
            ['  File "/r/job.py", line 4', "    x = = 1", "      ^", "SyntaxError: invalid syntax"],
            1,
            "SyntaxError: invalid syntax (job.py, line 4)",
        ),
        (["some output", "more"], 3, "Command failed with exit code 3"),
        ([], -9, "Command failed: the job's process was killed by SIGKILL"),
    ],
)
def test_error_message_is_the_scripts_final_exception(stderr: list[str], code: int, message: str) -> None:
    assert script_error(stderr, code) == message
