"""`make deploy PROFILE=aws`: refuses clearly without credentials or with a local profile, and runs a
change set through CloudFormation (the local endpoint's) then uploads the job's script.
The real template's AWS-only choices (generated password, workgroup endpoint) are checked resolved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.infra.aws_env import endpoint_caller, without_credentials

from awstwin.core.paths import SPARK_JOBS_DIR, TEMPLATE
from awstwin.core.profile import Profile, load_profile
from awstwin.endpoint.cloudformation.intrinsics import Resolver
from awstwin.infra import deploy, stacks
from awstwin.infra.account import expand
from awstwin.infra.parameters import PARAMETERS, template_parameters
from awstwin.infra.template import load_template, parameter_values

# A small template declaring every parameter deploy passes, with the job's script where the real
# template puts it; its job is named after the stack, so each test's stack makes its own.
SMALL_TEMPLATE = """
Parameters:
{parameters}
Resources:
  GlueRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub ${{AWS::StackName}}-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Principal: {{Service: glue.amazonaws.com}}, Action: "sts:AssumeRole"}}
  EtlJob:
    Type: AWS::Glue::Job
    Properties:
      Name: !Sub ${{AWS::StackName}}-${{GlueJobName}}
      Role: !GetAtt GlueRole.Arn
      Command: {{Name: glueetl, ScriptLocation: !Sub "s3://${{BucketName}}/${{GlueScriptKey}}"}}
"""


@pytest.fixture
def small_template(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    declared = "\n".join(f"  {name}: {{Type: String}}" for name in PARAMETERS)
    path.write_text(SMALL_TEMPLATE.format(parameters=declared))
    return path


def _aws_profile(bucket: str, stack: str) -> Profile:
    return load_profile("aws", {"bucket": bucket, "stack_name": stack})


def test_without_credentials_deploy_exits_2_and_says_how_to_log_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without_credentials(monkeypatch, tmp_path)
    assert deploy.main(["--profile", "aws"]) == 2
    err = capsys.readouterr().err
    assert "no AWS credentials found for PROFILE=aws" in err
    assert "AWS_PROFILE" in err and "aws sso login" in err


def test_the_cli_routes_deploy_and_takes_profile_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from awstwin.cli import main

    without_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("PROFILE", "aws")
    assert main(["deploy"]) == 2
    assert "no AWS credentials found" in capsys.readouterr().err


def test_a_local_profile_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROFILE", "local")  # what the Makefile exports when PROFILE is not given
    assert deploy.main([]) == 2
    assert "make deploy PROFILE=aws" in capsys.readouterr().err


def test_an_endpoint_override_in_the_shell_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert deploy.main(["--profile", "aws"]) == 2
    assert "unset AWS_ENDPOINT_URL" in capsys.readouterr().err


def test_a_change_set_creates_the_stack_and_the_script_is_uploaded(
    aws: Callable[[str], Any], small_template: Path
) -> None:
    who = endpoint_caller(aws)
    profile = _aws_profile("deploy-test-{account_id}", "deploy-test")
    bucket = expand(profile, who.account_id).bucket
    aws("s3").create_bucket(Bucket=bucket)
    lines: list[str] = []
    result = deploy.deploy(profile, who, template_path=small_template, echo=lines.append)
    assert result.action == "create"
    assert "Add     GlueRole (AWS::IAM::Role)" in result.changes
    stack = aws("cloudformation").describe_stacks(StackName="deploy-test")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {p["ParameterKey"] for p in stack["Parameters"]} == set(PARAMETERS)
    assert aws("iam").get_role(RoleName="deploy-test-role")["Role"]["RoleName"] == "deploy-test-role"
    script = SPARK_JOBS_DIR / "student_performance_etl.py"
    location = f"s3://{bucket}/scripts/student_performance_etl.py"
    assert result.scripts[location] == str(script)
    body = aws("s3").get_object(Bucket=bucket, Key="scripts/student_performance_etl.py")["Body"].read()
    assert body == script.read_bytes()
    assert any(line.startswith("change set awstwin-") for line in lines)

    again = deploy.deploy(profile, who, template_path=small_template, echo=lines.append)
    assert again.action == "none" and again.changes == []
    assert "stack deploy-test is up to date" in lines


def test_a_run_against_aws_finds_job_files_that_are_not_this_checkouts(
    aws: Callable[[str], Any], small_template: Path, tmp_path: Path
) -> None:
    """`make run PROFILE=aws` refuses a deployed script that differs from spark_jobs/: the job would not
    run the code under test. Deployed from a copy of spark_jobs/, then the copy changes."""
    scripts = tmp_path / "spark_jobs"
    scripts.mkdir()
    script = scripts / "student_performance_etl.py"
    script.write_bytes((SPARK_JOBS_DIR / "student_performance_etl.py").read_bytes())
    who = endpoint_caller(aws)
    profile = _aws_profile("stale-test-bucket", "stale-test")
    aws("s3").create_bucket(Bucket="stale-test-bucket")
    deploy.deploy(profile, who, template_path=small_template, scripts_dir=scripts, echo=lambda _: None)
    assert deploy.stale_job_files(profile, who, small_template, scripts) == []
    script.write_text(script.read_text() + "\n# changed after the deploy\n")
    stale = deploy.stale_job_files(profile, who, small_template, scripts)
    assert stale == [
        "s3://stale-test-bucket/scripts/student_performance_etl.py is not this checkout's "
        "student_performance_etl.py"
    ]
    aws("s3").delete_object(Bucket="stale-test-bucket", Key="scripts/student_performance_etl.py")
    assert deploy.stale_job_files(profile, who, small_template, scripts) == [
        "cannot read s3://stale-test-bucket/scripts/student_performance_etl.py (NoSuchKey)"
    ]


def test_no_execute_leaves_the_change_set_for_review(aws: Callable[[str], Any], small_template: Path) -> None:
    who = endpoint_caller(aws)
    result = deploy.deploy(
        _aws_profile("review-test-bucket", "review-test"), who, execute=False, template_path=small_template
    )
    assert result.action == "review" and result.scripts == {}
    described = aws("cloudformation").describe_change_set(
        StackName="review-test", ChangeSetName=result.change_set
    )
    assert described["ExecutionStatus"] == "AVAILABLE"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, "CREATE"),
        ("REVIEW_IN_PROGRESS", "CREATE"),
        ("CREATE_COMPLETE", "UPDATE"),
        ("UPDATE_ROLLBACK_COMPLETE", "UPDATE"),
    ],
)
def test_change_set_type(status: str | None, expected: str) -> None:
    assert stacks.change_set_type(status, "s") == expected


@pytest.mark.parametrize(
    ("status", "message"),
    [("ROLLBACK_COMPLETE", "delete-stack --stack-name s"), ("UPDATE_IN_PROGRESS", "wait for it to finish")],
)
def test_stack_states_cloudformation_refuses_are_explained(status: str, message: str) -> None:
    with pytest.raises(stacks.DeployError, match=message):
        stacks.change_set_type(status, "s")


def test_on_aws_the_password_is_generated_and_the_connection_uses_the_workgroup() -> None:
    """The parameter values `make deploy` sends, resolved as CloudFormation would."""
    template = load_template(TEMPLATE)
    params = template_parameters(
        expand(load_profile("aws"), "123456789012"), WarehouseClientCidr="203.0.113.7/32"
    )
    assert params["WarehousePassword"] == "" and params["WarehouseJdbcUrl"] == ""
    assert params["BucketName"] == "awstwin-student-performance-123456789012-us-east-1"
    resolver = Resolver(
        parameters=parameter_values(template, params),
        pseudo={"AWS::AccountId": "123456789012", "AWS::Region": "us-east-1", "AWS::StackName": "st"},
        conditions=template["Conditions"],
    )
    resolver.attributes["WarehouseWorkgroup"] = {"Workgroup.Endpoint.Address": "wg.example"}
    resolver.refs.update(WarehouseSecret="arn:secret", SubnetA="subnet-a", GlueSecurityGroup="sg-g")
    resolver.attributes["SubnetA"] = {"AvailabilityZone": "us-east-1a"}
    secret = resolver.resolve(template["Resources"]["WarehouseSecret"]["Properties"], "secret")
    assert "SecretString" not in secret and secret["GenerateSecretString"]["GenerateStringKey"] == "password"
    connection = resolver.resolve(template["Resources"]["WarehouseConnection"]["Properties"], "connection")
    properties = connection["ConnectionInput"]["ConnectionProperties"]
    assert properties == {
        "JDBC_CONNECTION_URL": "jdbc:redshift://wg.example:5439/dev",
        "SECRET_ID": "arn:secret",
    }
    assert connection["ConnectionInput"]["PhysicalConnectionRequirements"]["SubnetId"] == "subnet-a"
    assert resolver.condition("AllowClient", "t") is True
