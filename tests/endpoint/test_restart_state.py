"""With a state dir, what moto serves inside the endpoint (Secrets Manager, IAM, SSM, CloudWatch Logs)
survives a restart with the same ARNs, so a CloudFormation stack kept in the state dir still names
resources that exist.

Each endpoint runs in a process of its own (an `EndpointServer` on port 0, stopped as the embedded
stack stops it): moto's backends are process memory, so only a new process shows what a restart keeps.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.endpoint.cloudformation.helpers import FAST, create, error_of, outputs

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.moto_state import MotoState, MotoStateError, mutates
from awstwin.endpoint.server import Endpoint

SERVE = """
import sys
import time
from pathlib import Path
from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer

server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=Path(sys.argv[1]))).start()
print(server.url, flush=True)
sys.stdin.read()  # until the test closes stdin
server.stop()
"""
GLUE_SERVICE_ROLE = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub ${AWS::StackName}/admin
      GenerateSecretString:
        SecretStringTemplate: '{"username": "admin"}'
        GenerateStringKey: password
        PasswordLength: 24
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub ${AWS::StackName}-glue
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: glue.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole
Outputs:
  SecretArn:
    Value: !Ref Secret
  RoleArn:
    Value: !GetAtt Role.Arn
"""
# A second stack reading the first one's secret through a dynamic reference.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
READER = """
Resources:
  User:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /restart/reader-user
      Type: String
      Value: "{{resolve:secretsmanager:kept/admin:SecretString:username}}"
"""


@contextlib.contextmanager
def endpoint_process(state: Path) -> Iterator[str]:
    """An endpoint in a new process on `state`; stopped (its `close` runs) when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(state)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), f"the endpoint did not start (exit {process.poll()})"
        yield url
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        assert code == 0


def _clients(url: str) -> dict[str, Any]:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return {s: client(s) for s in ("secretsmanager", "iam", "ssm", "logs", "cloudformation", "sts")}


def _what_exists(aws: dict[str, Any]) -> dict[str, Any]:
    """What the first endpoint made, as the second one describes it."""
    secret = aws["secretsmanager"].get_secret_value(SecretId="restart/plain")
    return {
        "secret": (secret["ARN"], secret["SecretString"], secret["VersionId"]),
        "role": aws["iam"].get_role(RoleName="restart-role")["Role"]["Arn"],
        "role_policies": aws["iam"].list_role_policies(RoleName="restart-role")["PolicyNames"],
        "parameter": aws["ssm"].get_parameter(Name="/restart/password", WithDecryption=True)["Parameter"],
        "parameter_tags": aws["ssm"].list_tags_for_resource(
            ResourceType="Parameter", ResourceId="/restart/password"
        )["TagList"],
        "log_group": [
            (g["logGroupName"], g["arn"])
            for g in aws["logs"].describe_log_groups(logGroupNamePrefix="/restart/")["logGroups"]
        ],
        "log_events": [
            e["message"]
            for e in aws["logs"].get_log_events(logGroupName="/restart/jobs", logStreamName="run-1")["events"]
        ],
    }


@pytest.mark.slow  # three endpoint processes, one after the other (12-20 s)
def test_moto_services_and_a_stacks_resources_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with endpoint_process(state) as url:
        aws = _clients(url)
        aws["secretsmanager"].create_secret(Name="restart/plain", SecretString='{"password": "p1"}')
        aws["iam"].create_role(RoleName="restart-role", AssumeRolePolicyDocument='{"Version": "2012-10-17"}')
        aws["iam"].put_role_policy(
            RoleName="restart-role",
            PolicyName="inline",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                }
            ),
        )
        aws["ssm"].put_parameter(
            Name="/restart/password",
            Value="s3cret",
            Type="SecureString",
            Tags=[{"Key": "team", "Value": "data"}],
        )
        aws["logs"].create_log_group(logGroupName="/restart/jobs")
        aws["logs"].create_log_stream(logGroupName="/restart/jobs", logStreamName="run-1")
        aws["logs"].put_log_events(
            logGroupName="/restart/jobs",
            logStreamName="run-1",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "job started"}],
        )
        stack = create(aws["cloudformation"], "kept", TEMPLATE, Capabilities=["CAPABILITY_NAMED_IAM"])
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        before = _what_exists(aws)
        assert before["parameter_tags"] == [{"Key": "team", "Value": "data"}] and before["log_events"]
        resources = aws["cloudformation"].describe_stack_resources(StackName="kept")["StackResources"]

    # The files: 0600 in a 0700 folder, and no copy of AWS's ~1,600 managed policies that nothing attached.
    folder = state / "moto"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = {p.name: p for p in folder.iterdir()}
    assert {"secretsmanager.pickle", "iam.pickle", "ssm.pickle", "logs.pickle"} <= set(files)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files.values())
    iam_file = files["iam.pickle"].read_bytes()
    assert b"AdministratorAccess" not in iam_file and len(iam_file) < 1_000_000

    with endpoint_process(state) as url:
        aws = _clients(url)
        assert _what_exists(aws) == before
        cfn = aws["cloudformation"]
        again = cfn.describe_stacks(StackName="kept")["Stacks"][0]
        assert outputs(again) == outputs(stack)
        # The stack's recorded physical ids name resources that exist, with the same ARNs.
        secret_arn = outputs(stack)["SecretArn"]
        value = aws["secretsmanager"].get_secret_value(SecretId=secret_arn)
        assert value["ARN"] == secret_arn
        generated = json.loads(value["SecretString"])
        assert generated["username"] == "admin" and len(generated["password"]) == 24
        role = aws["iam"].get_role(RoleName="kept-glue")["Role"]
        assert role["Arn"] == outputs(stack)["RoleArn"]
        attached = aws["iam"].list_attached_role_policies(RoleName="kept-glue")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [GLUE_SERVICE_ROLE]
        # AWS's managed policies that were not kept are there again (moto's own copies).
        assert aws["iam"].get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        assert physical["Secret"] == secret_arn
        # The same template again changes nothing, as on AWS:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-create.html
        cfn.create_change_set(
            StackName="kept",
            ChangeSetName="same",
            TemplateBody=TEMPLATE,
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        with contextlib.suppress(Exception):
            cfn.get_waiter("change_set_create_complete").wait(
                StackName="kept", ChangeSetName="same", WaiterConfig=FAST
            )
        change_set = cfn.describe_change_set(StackName="kept", ChangeSetName="same")
        assert change_set["Status"] == "FAILED" and change_set["Changes"] == []
        assert "didn't contain changes" in change_set["StatusReason"]
        code, message = error_of(
            lambda: cfn.update_stack(
                StackName="kept", TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_NAMED_IAM"]
            )
        )
        assert (code, message) == ("ValidationError", "No updates are to be performed.")
        # CloudFormation itself resolves the stack's secret.
        reader = create(cfn, "reader", READER)
        assert reader["StackStatus"] == "CREATE_COMPLETE", reader.get("StackStatusReason")
        assert aws["ssm"].get_parameter(Name="/restart/reader-user")["Parameter"]["Value"] == "admin"
        # Deleting the stack deletes what it made; a deletion is kept like any change.
        cfn.delete_stack(StackName="kept")
        cfn.get_waiter("stack_delete_complete").wait(StackName="kept", WaiterConfig=FAST)
        aws["iam"].delete_role_policy(RoleName="restart-role", PolicyName="inline")
        aws["iam"].delete_role(RoleName="restart-role")

    with endpoint_process(state) as url:
        aws = _clients(url)
        assert error_of(lambda: aws["iam"].get_role(RoleName="kept-glue"))[0] == "NoSuchEntity"
        assert error_of(lambda: aws["iam"].get_role(RoleName="restart-role"))[0] == "NoSuchEntity"
        gone = error_of(lambda: aws["secretsmanager"].describe_secret(SecretId=secret_arn))
        assert gone[0] == "ResourceNotFoundException"
        assert aws["secretsmanager"].get_secret_value(SecretId="restart/plain")["ARN"] == before["secret"][0]


def test_without_a_state_dir_moto_is_not_wrapped_and_nothing_is_written(tmp_path: Path) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    endpoint = Endpoint(EndpointSettings(host="127.0.0.1", port=1))
    try:
        assert isinstance(endpoint.moto, DomainDispatcherApplication)  # no tracking, no writer
    finally:
        endpoint.close()
    state = MotoState(None)
    app = object()
    assert state.wrap(app) is app
    state.touched("secretsmanager")
    state.close()
    assert list(tmp_path.iterdir()) == []


def test_a_state_file_others_can_write_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "moto"
    folder.mkdir(mode=0o700)
    planted = folder / "iam.pickle"
    planted.write_bytes(pickle.dumps({"format": 1}))
    planted.chmod(0o666)
    with pytest.raises(MotoStateError, match=r"iam\.pickle is not owned by this user or is writable"):
        MotoState(folder).restore()
    folder.chmod(0o777)
    planted.chmod(0o600)
    with pytest.raises(MotoStateError, match=r"moto is not owned by this user or is writable"):
        MotoState(folder).restore()


def test_a_file_from_another_moto_version_is_refused_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "moto"
    folder.mkdir(mode=0o700)
    old = folder / "secretsmanager.pickle"
    old.write_bytes(pickle.dumps({"format": 1, "moto": "0.0.1", "backends": {}}))
    os.chmod(old, 0o600)
    with pytest.raises(MotoStateError, match=r"secretsmanager\.pickle was written by moto 0\.0\.1"):
        MotoState(folder).restore()


@pytest.mark.parametrize(
    ("environ", "changes"),
    [
        ({"HTTP_X_AMZ_TARGET": "secretsmanager.GetSecretValue", "REQUEST_METHOD": "POST"}, False),
        ({"HTTP_X_AMZ_TARGET": "secretsmanager.CreateSecret", "REQUEST_METHOD": "POST"}, True),
        ({"QUERY_STRING": "Action=GetRole&RoleName=r", "REQUEST_METHOD": "GET"}, False),
        ({"REQUEST_METHOD": "GET"}, False),
        ({"REQUEST_METHOD": "PUT"}, True),
    ],
)
def test_which_requests_change_a_backend(environ: dict[str, Any], changes: bool) -> None:
    assert mutates(environ) is changes


def test_a_query_protocol_body_is_read_and_put_back() -> None:
    import io

    body = b"Action=CreateRole&RoleName=r&Version=2010-05-08"
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    assert mutates(environ) is True
    assert environ["wsgi.input"].read() == body
