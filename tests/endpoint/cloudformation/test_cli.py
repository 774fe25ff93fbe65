"""The AWS CLI's `aws cloudformation deploy` of infra/pipeline.yaml against the endpoint, unchanged: it
creates the catalog, crawlers, job, workgroup and secret the pipeline then uses (a crawl of the raw
zone and an Athena check in the stack's workgroup run on them), a second deploy has nothing to
change, and `delete-stack` removes them.
https://docs.aws.amazon.com/cli/latest/reference/cloudformation/deploy/"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.endpoint.athena.conftest import all_rows, wait
from tests.endpoint.glue.test_crawler import wait_ready

from awstwin.core.paths import TEMPLATE
from awstwin.core.profile import load_profile
from awstwin.infra.parameters import template_parameters

AWS_CLI = Path(sys.executable).with_name("aws")
pytestmark = pytest.mark.skipif(
    not AWS_CLI.exists(), reason="the AWS CLI is not installed in this environment"
)


def run(endpoint: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI configured the standard way (AWS_ENDPOINT_URL), which reaches every client it makes: the
    S3 client `deploy --s3-bucket` uploads the template with too, not only CloudFormation's."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }
    command = [str(AWS_CLI), "--output", "json", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_deploy_the_pipeline_template_then_use_it_then_delete_it(endpoint: Any, aws: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    profile = load_profile(
        "local",
        {
            "aws_endpoint_url": endpoint.url,
            "bucket": f"cli-deploy-{tag}",
            "glue_database": f"cli_deploy_{tag}",
            "glue_role": f"cli-deploy-{tag}",
            "raw_crawler": f"cli_raw_{tag}",
            "curated_crawler": f"cli_curated_{tag}",
            "quarantine_crawler": f"cli_quarantine_{tag}",
            "glue_job": f"cli_job_{tag}",
            "glue_connection": f"cli_connection_{tag}",
            "athena_workgroup": f"cli_wg_{tag}",
        },
    )
    stack = f"cli-deploy-{tag}"
    aws("s3").create_bucket(Bucket=f"cli-templates-{tag}")
    overrides = [f"{key}={value}" for key, value in template_parameters(profile).items()]
    deploy = [
        "cloudformation", "deploy", "--template-file", str(TEMPLATE), "--stack-name", stack,
        "--s3-bucket", f"cli-templates-{tag}", "--capabilities", "CAPABILITY_NAMED_IAM",
        "--parameter-overrides", *overrides,
    ]  # fmt: skip
    done = run(endpoint, *deploy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Successfully created/updated stack - {stack}" in done.stdout
    described = json.loads(run(endpoint, "cloudformation", "describe-stacks", "--stack-name", stack).stdout)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0]["Outputs"]}
    assert described["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert outputs["GlueDatabase"] == profile.glue_database
    assert outputs["WarehouseJdbcUrl"] == profile.warehouse_jdbc_url
    # The template went through the endpoint's S3, as --s3-bucket makes the CLI send a TemplateURL
    assert aws("s3").list_objects_v2(Bucket=f"cli-templates-{tag}")["KeyCount"] == 1

    # The pipeline's first steps on what the stack made: crawl the raw zone, check it with Athena
    glue, athena, s3 = aws("glue"), aws("athena"), aws("s3")
    s3.put_object(
        Bucket=profile.bucket,
        Key="raw/student_performance/ingest_date=2024-05-01/run=r1/part.csv",
        Body=b"Hours_Studied,Exam_Score\n10,70\n20,85\n",
    )
    glue.start_crawler(Name=profile.raw_crawler)
    wait_ready(glue, profile.raw_crawler)
    query = athena.start_query_execution(
        QueryString=f"SELECT count(*), max(exam_score) FROM {profile.runs_table(profile.raw_table)}",
        QueryExecutionContext={"Database": profile.glue_database},
        WorkGroup=profile.athena_workgroup,
    )["QueryExecutionId"]
    assert wait(athena, query)["Status"]["State"] == "SUCCEEDED"
    assert all_rows(athena, query)[1] == ["2", "85"]
    secret = aws("secretsmanager").get_secret_value(SecretId=outputs["WarehouseSecretArn"])["SecretString"]
    assert json.loads(secret)["username"] == profile.warehouse_user

    again = run(endpoint, *deploy)
    assert again.returncode == 255 and "No changes to deploy" in again.stderr  # the CLI's own exit code

    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=profile.bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=profile.bucket, Key=item["Key"])
    assert run(endpoint, "cloudformation", "delete-stack", "--stack-name", stack).returncode == 0
    waited = run(endpoint, "cloudformation", "wait", "stack-delete-complete", "--stack-name", stack)
    assert waited.returncode == 0, waited.stderr
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_crawler(Name=profile.raw_crawler)
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_database(Name=profile.glue_database)
