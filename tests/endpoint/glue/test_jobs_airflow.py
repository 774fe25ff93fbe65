"""The stock Airflow GlueJobHook and GlueJobSensor against local job runs, unchanged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

SCRIPT = b"""
import sys
from awsglue.utils import getResolvedOptions
args = getResolvedOptions(sys.argv, ["JOB_NAME", "day"])
print(f"processing {args['day']}")
if args["day"] == "bad":
    raise RuntimeError(f"no data for day {args['day']}")
"""


def test_glue_job_hook_runs_waits_and_shows_logs(
    airflow_aws: Any,
    aws: Callable[[str], Any],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture,
) -> None:
    from airflow.providers.amazon.aws.hooks.glue import GlueJobHook
    from airflow.providers.amazon.aws.sensors.glue import GlueJobSensor
    from airflow.providers.common.compat.sdk import AirflowException

    aws("s3").create_bucket(Bucket="airflow-jobs")
    aws("s3").put_object(Bucket="airflow-jobs", Key="scripts/day.py", Body=SCRIPT)
    hook = GlueJobHook(
        job_name="airflow-day",
        desc="a Python shell job started by Airflow",
        script_location="s3://airflow-jobs/scripts/day.py",
        iam_role_arn="arn:aws:iam::123456789012:role/glue",
        create_job_kwargs={
            "Command": {"Name": "pythonshell", "ScriptLocation": "s3://airflow-jobs/scripts/day.py"},
            "GlueVersion": "3.0",
        },
        update_config=True,
        job_poll_interval=0.5,
    )
    started = hook.initialize_job(script_arguments={"--day": "2024-05-01"})
    with caplog.at_level(logging.INFO):
        result = hook.job_completion("airflow-day", started["JobRunId"], verbose=True)
    assert result == {"JobRunState": "SUCCEEDED", "JobRunId": started["JobRunId"]}
    shown = caplog.text + capsys.readouterr().out
    assert "processing 2024-05-01" in shown
    sensor = GlueJobSensor(task_id="wait", job_name="airflow-day", run_id=started["JobRunId"], verbose=True)
    assert sensor.poke(context={}) is True

    # The same hook again: the job exists and is unchanged, so it is reused, and this run fails.
    failed = hook.initialize_job(script_arguments={"--day": "bad"})
    with caplog.at_level(logging.INFO), pytest.raises(AirflowException, match="FAILED"):
        hook.job_completion("airflow-day", failed["JobRunId"], verbose=True)
    assert "RuntimeError: no data for day bad" in caplog.text + capsys.readouterr().out
    run = aws("glue").get_job_run(JobName="airflow-day", RunId=failed["JobRunId"])["JobRun"]
    assert run["ErrorMessage"] == "RuntimeError: no data for day bad"
    with pytest.raises(AirflowException):
        GlueJobSensor(task_id="wait_bad", job_name="airflow-day", run_id=failed["JobRunId"]).poke(context={})
