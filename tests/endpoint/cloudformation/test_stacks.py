"""A stack's life on the endpoint's CloudFormation, through boto3 and its waiters: what a stack creates is
there for the other services (Athena queries the stack's table), events and resources say what
happened, a deleted stack's resources are gone, and templates come from the body or the endpoint's S3.
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.athena.conftest import all_rows, wait
from tests.endpoint.cloudformation.helpers import FAST, create, error_of, events, outputs

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer

LAKE = """
AWSTemplateFormatVersion: "2010-09-09"
Description: a bucket, a database, a table over the bucket and a workgroup writing to it
Parameters:
  Prefix:
    Type: String
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ${Prefix}-lake
  Database:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput:
        Name: !Sub ${Prefix}_db
  Scores:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: !Ref Database
      TableInput:
        Name: scores
        TableType: EXTERNAL_TABLE
        Parameters: {skip.header.line.count: "1", classification: csv}
        StorageDescriptor:
          Location: !Sub s3://${Bucket}/scores/
          Columns:
            - {Name: student, Type: string}
            - {Name: score, Type: int}
          InputFormat: org.apache.hadoop.mapred.TextInputFormat
          OutputFormat: org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat
          SerdeInfo:
            SerializationLibrary: org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe
            Parameters: {field.delim: ","}
  WorkGroup:
    Type: AWS::Athena::WorkGroup
    Properties:
      Name: !Sub ${Prefix}-wg
      RecursiveDeleteOption: true
      WorkGroupConfiguration:
        ResultConfiguration:
          OutputLocation: !Sub s3://${Bucket}/results/
Outputs:
  Bucket:
    Value: !Ref Bucket
  BucketArn:
    Value: !GetAtt Bucket.Arn
  Database:
    Value: !Ref Database
    Export:
      Name: !Sub ${Prefix}-database
"""


def _params(prefix: str) -> list[dict[str, str]]:
    return [{"ParameterKey": "Prefix", "ParameterValue": prefix}]


def test_what_a_stack_creates_athena_queries_and_delete_removes(
    cfn: Any, aws: Callable[[str], Any], name: str
) -> None:
    stack = create(cfn, name, LAKE, Parameters=_params(name))
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Description"].startswith("a bucket, a database")
    assert stack["Parameters"] == [{"ParameterKey": "Prefix", "ParameterValue": name}]
    assert outputs(stack) == {
        "Bucket": f"{name}-lake",
        "BucketArn": f"arn:aws:s3:::{name}-lake",
        "Database": f"{name}_db",
    }
    assert stack["Outputs"][2]["ExportName"] == f"{name}-database"
    s3, athena = aws("s3"), aws("athena")
    s3.put_object(Bucket=f"{name}-lake", Key="scores/a.csv", Body=b"student,score\nada,90\nbob,70\n")
    query = athena.start_query_execution(
        QueryString="SELECT count(*), sum(score) FROM scores",
        QueryExecutionContext={"Database": f"{name}_db"},
        WorkGroup=f"{name}-wg",
    )["QueryExecutionId"]
    execution = wait(athena, query)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{name}-lake/results/")
    assert all_rows(athena, query)[1] == ["2", "160"]

    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources} == {
        "Bucket": f"{name}-lake",
        "Database": f"{name}_db",
        "Scores": "scores",
        "WorkGroup": f"{name}-wg",
    }
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}
    detail = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Scores")["StackResourceDetail"]
    assert detail["ResourceType"] == "AWS::Glue::Table" and detail["PhysicalResourceId"] == "scores"
    summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert sorted(s["LogicalResourceId"] for s in summaries) == ["Bucket", "Database", "Scores", "WorkGroup"]
    happened = events(cfn, name)
    assert happened[0] == (name, "CREATE_IN_PROGRESS", "User Initiated")
    assert happened[-1] == (name, "CREATE_COMPLETE", None)
    order = [lid for lid, status, _ in happened if status == "CREATE_COMPLETE" and lid != name]
    assert order.index("Bucket") < order.index("Scores") and order.index("Database") < order.index("Scores")

    s3.delete_object(Bucket=f"{name}-lake", Key="scores/a.csv")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=f"{name}-lake"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=f"{name}-lake", Key=item["Key"])
    stack_id = stack["StackId"]
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    with pytest.raises(ClientError):
        aws("glue").get_database(Name=f"{name}_db")
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=f"{name}-lake")
    # By name a deleted stack is gone (the AWS CLI's deploy reads this text); by id it is DELETE_COMPLETE.
    assert error_of(lambda: cfn.describe_stacks(StackName=name)) == (
        "ValidationError",
        f"Stack with id {name} does not exist",
    )
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    listed = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert stack_id in {s["StackId"] for s in listed}
    cfn.delete_stack(StackName=name)  # deleting a stack that does not exist is no error, as on AWS


def test_a_stack_that_is_not_empty_fails_to_delete_and_says_why(
    cfn: Any, aws: Callable[[str], Any], name: str
):
    create(cfn, name, LAKE, Parameters=_params(name))
    aws("s3").put_object(Bucket=f"{name}-lake", Key="keep.txt", Body=b"x")
    cfn.delete_stack(StackName=name)
    with pytest.raises(Exception, match="DELETE_FAILED"):
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to delete: [Bucket]. "
    failed = [e for e in events(cfn, name) if e[1] == "DELETE_FAILED" and e[0] == "Bucket"]
    assert "The bucket you tried to delete is not empty" in str(failed[0][2])
    aws("s3").delete_object(Bucket=f"{name}-lake", Key="keep.txt")
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


def test_an_existing_name_and_termination_protection_are_refused(cfn: Any, name: str) -> None:
    create(cfn, name, LAKE, Parameters=_params(name), EnableTerminationProtection=True)
    assert error_of(
        lambda: cfn.create_stack(StackName=name, TemplateBody=LAKE, Parameters=_params(name))
    ) == (
        "AlreadyExistsException",
        f"Stack [{name}] already exists",
    )
    assert error_of(lambda: cfn.delete_stack(StackName=name)) == (
        "ValidationError",
        f"Stack [{name}] cannot be deleted while TerminationProtection is enabled",
    )
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


def test_template_url_is_read_from_the_endpoints_s3(
    cfn: Any, aws: Callable[[str], Any], endpoint, name
) -> None:
    """Path style (what the AWS CLI's deploy sends), virtual-hosted style and the endpoint's own URL."""
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"{name}-templates")
    s3.put_object(Bucket=f"{name}-templates", Key="lake.yaml", Body=LAKE.encode())
    urls = [
        f"https://s3.amazonaws.com/{name}-templates/lake.yaml",
        f"https://{name}-templates.s3.us-east-1.amazonaws.com/lake.yaml",
        f"{endpoint.url}/{name}-templates/lake.yaml",
    ]
    for index, url in enumerate(urls):
        stack_name = f"{name}-{index}"
        cfn.create_stack(StackName=stack_name, TemplateURL=url, Parameters=_params(stack_name))
        cfn.get_waiter("stack_create_complete").wait(StackName=stack_name, WaiterConfig=FAST)
        assert cfn.get_template(StackName=stack_name)["TemplateBody"] == LAKE
        assert cfn.get_template_summary(TemplateURL=url)["Parameters"][0]["ParameterKey"] == "Prefix"
    missing = f"https://s3.amazonaws.com/{name}-templates/nope.yaml"
    code, message = error_of(lambda: cfn.create_stack(StackName=f"{name}-x", TemplateURL=missing))
    assert code == "ValidationError" and message.startswith("S3 error: ")
    code, message = error_of(lambda: cfn.validate_template(TemplateURL="https://example.com/t.yaml"))
    assert (code, message) == ("ValidationError", "TemplateURL must be a supported URL.")


def test_validate_and_summarize_a_template(cfn: Any) -> None:
    body = LAKE + "\n  Role:\n    Value: x\n"
    checked = cfn.validate_template(TemplateBody=LAKE)
    assert checked["Parameters"] == [{"ParameterKey": "Prefix", "NoEcho": False}]
    assert checked["Description"].startswith("a bucket")
    summary = cfn.get_template_summary(TemplateBody=body)
    assert summary["ResourceTypes"] == [
        "AWS::Athena::WorkGroup",
        "AWS::Glue::Database",
        "AWS::Glue::Table",
        "AWS::S3::Bucket",
    ]
    assert summary["Version"] == "2010-09-09"
    with_role = LAKE.replace(
        "Resources:\n",
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: r\n"
        "      AssumeRolePolicyDocument: {}\n",
    )
    summary = cfn.get_template_summary(TemplateBody=with_role)
    assert summary["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert summary["CapabilitiesReason"] == "The following resource(s) require capabilities: [AWS::IAM::Role]"


def test_the_api_answers_at_once_and_the_waiter_finds_the_stack_settled(
    cfn: Any, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on AWS, CreateStack only starts the work: without the endpoint's courtesy wait the stack is
    CREATE_IN_PROGRESS at first, and boto3's stack_create_complete waiter polls until it is done."""
    monkeypatch.setenv("AWSTWIN_CFN_WAIT_SECONDS", "0")
    cfn.create_stack(StackName=name, TemplateBody=LAKE, Parameters=_params(name))
    first = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    assert first in ("CREATE_IN_PROGRESS", "CREATE_COMPLETE")
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    cfn.get_waiter("stack_exists").wait(StackName=name, WaiterConfig=FAST)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_stacks_survive_a_restart(tmp_path) -> None:
    import boto3

    def client(server: EndpointServer) -> Any:
        return boto3.client("cloudformation", endpoint_url=server.url, region_name="us-east-1")

    first = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)).start()
    try:
        cfn = client(first)
        stack = create(cfn, "kept", LAKE, Parameters=_params("kept"))
        assert stack["StackStatus"] == "CREATE_COMPLETE"
    finally:
        first.stop()
    second = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)).start()
    try:
        cfn = client(second)
        again = cfn.describe_stacks(StackName="kept")["Stacks"][0]
        assert again["StackId"] == stack["StackId"] and again["StackStatus"] == "CREATE_COMPLETE"
        assert outputs(again) == outputs(stack)
        cfn.delete_stack(StackName="kept")
        cfn.get_waiter("stack_delete_complete").wait(StackName="kept", WaiterConfig=FAST)
    finally:
        second.stop()
