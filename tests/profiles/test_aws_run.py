"""`make run PROFILE=aws` up to the boundary of a real account: it refuses clearly without credentials,
without a deployed stack, with a stale Glue script or an unreachable warehouse; from a deployed stack
(moto's CloudFormation and Secrets Manager behind the local endpoint) it builds Airflow connections
that go to AWS itself and to the stack's warehouse. Also: which stack a run goes to."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.infra.aws_env import endpoint_caller, without_credentials

from awstwin.core.paths import DAGS_DIR
from awstwin.core.ports import free_port
from awstwin.core.profile import Profile, load_profile
from awstwin.infra import account
from awstwin.pipeline import targets
from awstwin.pipeline.runner import RunOptions, main, run_pipeline
from awstwin.pipeline.targets.aws import aws_run_environment, check_warehouse_reachable
from awstwin.stack import compose

# A stand-in for what `make deploy` leaves: the real template's output keys, the warehouse's secret.
DEPLOYED = """
Parameters:
  Bucket: {Type: String}
  SecretArn: {Type: String}
Resources:
  Marker:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub ${AWS::StackName}-marker
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: glue.amazonaws.com}, Action: "sts:AssumeRole"}]
Outputs:
  Bucket: {Value: !Ref Bucket}
  GlueJob: {Value: student_performance_etl}
  GlueDatabase: {Value: student_performance}
  AthenaWorkGroup: {Value: student_performance}
  WarehouseSecretArn: {Value: !Ref SecretArn}
  WarehouseEndpoint: {Value: wg.123456789012.us-east-1.redshift-serverless.amazonaws.com}
  WarehouseJdbcUrl:
    Value: jdbc:redshift://wg.123456789012.us-east-1.redshift-serverless.amazonaws.com:5439/dev
  ScriptLocation: {Value: !Sub "s3://${Bucket}/scripts/student_performance_etl.py"}
"""


def _options(tmp_path: Path, profile: Profile) -> RunOptions:
    return RunOptions(
        profile=profile,
        ingest_date=date(2024, 5, 1).isoformat(),
        rows=50,
        state_dir=tmp_path / "state",
        report_path=tmp_path / "run_report.json",
    )


@pytest.fixture(scope="module")
def deployed(aws: Callable[[str], Any]) -> tuple[Profile, account.Caller]:
    who = endpoint_caller(aws)
    profile = load_profile("aws", {"stack_name": "aws-run-test", "bucket": "aws-run-test-{account_id}"})
    bucket = account.expand(profile, who.account_id).bucket
    secret = aws("secretsmanager").create_secret(
        Name="aws-run-test/warehouse-admin",
        SecretString=json.dumps({"username": "admin", "password": "Pw-123456"}),
    )
    aws("cloudformation").create_stack(
        StackName="aws-run-test",
        TemplateBody=DEPLOYED,
        Parameters=[
            {"ParameterKey": "Bucket", "ParameterValue": bucket},
            {"ParameterKey": "SecretArn", "ParameterValue": secret["ARN"]},
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    return profile, who


def test_without_credentials_the_run_refuses_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    without_credentials(monkeypatch, tmp_path)
    report = run_pipeline(_options(tmp_path, load_profile("aws")), progress=lambda _: None)
    assert report.status == "failed"
    assert report.error["task"] == "aws_credentials"
    assert "no AWS credentials found for PROFILE=aws" in report.error["message"]
    assert report.stack == "aws" and "stack_start" not in report.stages
    written = json.loads((tmp_path / "run_report.json").read_text())
    assert written["status"] == "failed" and written["error"]["task"] == "aws_credentials"


def test_make_run_profile_aws_without_credentials_exits_1_naming_the_stage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import awstwin.pipeline.runner as runner_module

    without_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("PROFILE", "aws")
    monkeypatch.setenv("ROWS", "20")
    options = runner_module.options_from_env()
    assert options.profile.name == "aws" and not options.profile.is_local
    options.report_path = tmp_path / "report.json"
    options.state_dir = tmp_path / "state"
    monkeypatch.setattr(runner_module, "options_from_env", lambda: options)
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "task aws_credentials failed" in err and "aws sso login" in err


def test_without_a_deployed_stack_it_says_to_deploy(aws: Callable[[str], Any]) -> None:
    profile = load_profile("aws", {"stack_name": "never-deployed"})
    with pytest.raises(account.AwsAccountError, match="make deploy PROFILE=aws"):
        account.deployed_profile(profile, endpoint_caller(aws))


def test_the_deployed_stack_makes_the_profile_concrete(deployed: tuple[Profile, account.Caller]) -> None:
    profile, who = deployed
    concrete, outputs = account.deployed_profile(profile, who)
    assert concrete.bucket == f"aws-run-test-{who.account_id}"
    assert concrete.warehouse_host == outputs["WarehouseEndpoint"]
    assert (concrete.warehouse_port, concrete.warehouse_db) == (5439, "dev")
    assert (concrete.warehouse_user, concrete.warehouse_password) == ("admin", "Pw-123456")
    assert not concrete.is_local


def test_the_aws_run_environment_goes_to_aws_itself(
    deployed: tuple[Profile, account.Caller], tmp_path: Path
) -> None:
    concrete, _ = account.deployed_profile(*deployed)
    env = aws_run_environment(concrete, tmp_path)
    connection = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert connection == {"conn_type": "aws", "extra": {"region_name": "us-east-1"}}
    warehouse = json.loads(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"])
    assert warehouse["host"].endswith(".redshift-serverless.amazonaws.com") and warehouse["port"] == 5439
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS_DIR)
    assert not [k for k in env if k.startswith("AWS_ENDPOINT_URL")]
    with pytest.raises(ValueError, match="local endpoint"):
        aws_run_environment(load_profile("local"), tmp_path)


def test_a_stack_deployed_with_other_names_is_refused(deployed: tuple[Profile, account.Caller]) -> None:
    profile, who = deployed
    with pytest.raises(account.AwsAccountError, match="deployed with other names"):
        account.deployed_profile(profile.replace(glue_job="another_job"), who)


def test_an_unreachable_warehouse_says_how_to_open_it() -> None:
    profile = load_profile("aws").replace(
        warehouse_host="127.0.0.1", warehouse_port=free_port(), warehouse_password="x"
    )
    with pytest.raises(ConnectionError, match="WAREHOUSE_CLIENT_CIDR=auto"):
        check_warehouse_reachable(profile, timeout=2)


def test_which_stack_a_run_goes_to(monkeypatch: pytest.MonkeyPatch) -> None:
    assert targets.target_for(load_profile("local")) == targets.EMBEDDED
    assert targets.target_for(load_profile("compose")) == targets.COMPOSE
    assert targets.target_for(load_profile("aws")) == targets.AWS
    monkeypatch.setattr(compose, "docker_available", lambda: (False, "no engine"))
    assert targets.profile_name(None) == "local" and targets.profile_name("aws") == "aws"
    monkeypatch.setattr(compose, "docker_available", lambda: (True, "engine"))
    monkeypatch.setattr(compose, "is_up", lambda: True)
    assert targets.profile_name(None) == "compose" and targets.profile_name("local") == "compose"
    assert targets.profile_name("aws") == "aws"


def test_the_compose_profile_without_its_stack_fails_naming_make_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(compose, "is_up", lambda: False)
    report = run_pipeline(_options(tmp_path, load_profile("compose")), progress=lambda _: None)
    assert report.status == "failed" and report.error["task"] == "stack_check"
    assert "`make up`" in report.error["message"] and report.stack == "compose"
