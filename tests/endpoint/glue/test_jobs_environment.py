"""Where a job's AWS SDK calls go: the endpoint's own AWS_ENDPOINT_URL* settings, Glue/Athena here."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import botocore.session

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.jobs.runner import ENDPOINT_ENV, JobRunner, RunSpec

SCRIPT = """
import json
import boto3
services = ["glue", "athena", "s3", "logs", "secretsmanager", "sts"]
print(json.dumps({s: boto3.client(s).meta.endpoint_url for s in services}))
"""


def test_endpoint_variable_names_are_botocore_s():
    session = botocore.session.get_session()
    for service, variable in ENDPOINT_ENV.items():
        service_id = session.get_service_model(service).service_id
        assert variable == "AWS_ENDPOINT_URL_" + service_id.hyphenize().replace("-", "_").upper()
    assert ENDPOINT_ENV["logs"] == "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"


def runner(tmp_path: Path, **settings: Any) -> JobRunner:
    endpoint = EndpointSettings(port=4999, state_dir=tmp_path, **settings)
    return JobRunner(EndpointContext(settings=endpoint, state_dir=tmp_path), tmp_path / "runs", lambda: None)


def environment(job_runner: JobRunner, tmp_path: Path) -> dict[str, str]:
    spec = RunSpec("j", "jr_1", "pythonshell", "s3://b/s.py", {})
    return job_runner.environment(spec, tmp_path, [])


def test_other_services_go_where_the_endpoint_s_own_go(tmp_path, monkeypatch):
    """Compose: AWS_ENDPOINT_URL is LocalStack; S3 and Logs live there too; Glue/Athena are us."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localstack:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://secrets:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", "http://emulator:4566")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    external = "http://localstack:4566"
    env = environment(runner(tmp_path, external_s3_url=external, external_logs_url=external), tmp_path)
    assert env["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] == "http://secrets:4566"
    assert env["AWS_ENDPOINT_URL_GLUE"] == env["AWS_ENDPOINT_URL_ATHENA"] == "http://127.0.0.1:4999"
    assert env["AWS_ENDPOINT_URL_S3"] == env["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] == external
    assert "AWS_ENDPOINT_URL_LOGS" not in env
    assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in env


def test_with_nothing_configured_everything_is_the_endpoint(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    env = environment(runner(tmp_path), tmp_path)
    urls = {k: v for k, v in env.items() if k.startswith("AWS_ENDPOINT_URL")}
    assert urls == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4999",
        **{variable: "http://127.0.0.1:4999" for variable in ENDPOINT_ENV.values()},
    }


def test_a_running_script_s_clients_resolve_to_those_endpoints(aws, endpoint, monkeypatch, tmp_path):
    """botocore in the job itself: Secrets Manager follows the endpoint's own variable, Logs too."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
    script = tmp_path / "where.py"
    script.write_text(SCRIPT)
    glue, name = aws("glue"), f"env-{uuid.uuid4().hex[:8]}"
    glue.create_job(Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": str(script)})
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    deadline = time.time() + 60
    while (run := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"] not in (
        "SUCCEEDED",
        "FAILED",
    ):
        assert time.time() < deadline, run
        time.sleep(0.1)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    events = aws("logs").get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id)["events"]
    where = json.loads(events[0]["message"])
    assert where["secretsmanager"] == "http://127.0.0.1:9"
    assert {where[s] for s in ("glue", "athena", "s3", "logs", "sts")} == {endpoint.url}
