"""What CloudFormation refuses and how a stack fails: never a silent success.

A type the endpoint cannot create fails the stack naming it and rolls back what was made; bad
templates, parameters and missing capabilities are refused at the call with CloudFormation's words;
an update that fails goes back to what was there; DeletionPolicy Retain keeps a resource.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.cloudformation.helpers import FAST, create, error_of, events

UNSUPPORTED = """
Resources:
  Database:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput: {{Name: {name}_db}}
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: Database
"""


def test_a_type_it_cannot_create_fails_the_stack_and_rolls_back(
    cfn: Any, aws: Callable[[str], Any], name: str
) -> None:
    stack = create(cfn, name, UNSUPPORTED.format(name=name))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    happened = events(cfn, name)
    failed = [e for e in happened if e[1] == "CREATE_FAILED"]
    assert failed[0][0] == "Queue"
    assert "Resource type AWS::SQS::Queue is not supported by the local endpoint" in str(failed[0][2])
    assert (
        name,
        "ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to create: [Queue]. Rollback requested by user.",
    ) in happened
    assert ("Database", "DELETE_COMPLETE", None) in happened
    with pytest.raises(ClientError, match="EntityNotFoundException"):
        aws("glue").get_database(Name=f"{name}_db")
    # A ROLLBACK_COMPLETE stack cannot be updated, only deleted
    code, message = error_of(
        lambda: cfn.update_stack(StackName=name, TemplateBody=UNSUPPORTED.format(name=name))
    )
    assert (code, message) == (
        "ValidationError",
        f"Stack:{stack['StackId']} is in ROLLBACK_COMPLETE state and can not be updated.",
    )
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


def test_on_failure_do_nothing_keeps_what_was_made_and_delete_removes_the_stack(
    cfn: Any, aws: Callable[[str], Any], name: str
) -> None:
    kept = create(cfn, f"{name}-kept", UNSUPPORTED.format(name=f"{name}_a"), OnFailure="DO_NOTHING")
    assert kept["StackStatus"] == "CREATE_FAILED"
    assert aws("glue").get_database(Name=f"{name}_a_db")["Database"]["Name"] == f"{name}_a_db"
    gone = create(cfn, f"{name}-gone", UNSUPPORTED.format(name=f"{name}_b"), OnFailure="DELETE")
    assert gone["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError, match="EntityNotFoundException"):
        aws("glue").get_database(Name=f"{name}_b_db")
    cfn.delete_stack(StackName=f"{name}-kept")
    cfn.get_waiter("stack_delete_complete").wait(StackName=f"{name}-kept", WaiterConfig=FAST)
    with pytest.raises(ClientError, match="EntityNotFoundException"):
        aws("glue").get_database(Name=f"{name}_a_db")


def test_a_property_it_does_not_apply_fails_the_resource(cfn: Any, name: str) -> None:
    body = f"""
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: {name}-bucket
      LifecycleConfiguration:
        Rules: [{{Status: Enabled, ExpirationInDays: 1}}]
"""
    stack = create(cfn, name, body)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = next(r for lid, status, r in events(cfn, name) if status == "CREATE_FAILED")
    assert "does not apply LifecycleConfiguration of AWS::S3::Bucket" in str(reason)


IAM = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      {name_line}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{{Effect: Allow, Principal: {{Service: glue.amazonaws.com}}, Action: "sts:AssumeRole"}}]
"""


def test_iam_resources_need_their_capability(cfn: Any, aws: Callable[[str], Any], name: str) -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/control-access-with-iam.html#using-iam-capabilities"""
    unnamed, named = IAM.format(name_line=""), IAM.format(name_line=f"RoleName: {name}-role")
    assert error_of(lambda: cfn.create_stack(StackName=name, TemplateBody=unnamed)) == (
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_IAM]",
    )
    assert error_of(
        lambda: cfn.create_stack(StackName=name, TemplateBody=named, Capabilities=["CAPABILITY_IAM"])
    ) == ("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]")
    stack = create(cfn, name, unnamed, Capabilities=["CAPABILITY_IAM"])
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["Capabilities"] == ["CAPABILITY_IAM"]
    role = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Role")["StackResourceDetail"]
    generated = role["PhysicalResourceId"]
    assert generated.startswith(f"{name}-Role-") and len(generated) <= 64  # CloudFormation names it
    assert aws("iam").get_role(RoleName=generated)["Role"]["RoleName"] == generated


PARAMETERS = """
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
  Code:
    Type: String
    AllowedPattern: "[a-z]+"
    ConstraintDescription: lowercase letters only
  Size:
    Type: Number
    MinValue: 1
    MaxValue: 5
    Default: 2
Resources:
  Log:
    Type: AWS::Logs::LogGroup
"""


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Env": "test", "Code": "a"}, "Parameter 'Env' must be one of AllowedValues"),
        ({"Env": "dev", "Code": "A1"}, "Parameter Code failed to satisfy constraint: lowercase letters only"),
        ({"Env": "dev", "Code": "a", "Size": "9"}, "Parameter 'Size' must be a number not greater than 5"),
        ({"Env": "dev", "Code": "a", "Size": "x"}, "Parameter 'Size' must be a number"),
        ({"Code": "a"}, "Parameters: [Env] must have values"),
        ({"Env": "dev", "Code": "a", "Other": "1"}, "Parameters: [Other] do not exist in the template"),
    ],
)
def test_parameter_values_are_checked(cfn: Any, name: str, values: dict[str, str], message: str) -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html"""
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]
    assert error_of(
        lambda: cfn.create_stack(StackName=name, TemplateBody=PARAMETERS, Parameters=parameters)
    ) == (
        "ValidationError",
        message,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Resources: [", "Template format error: YAML not well-formed. (line 2, column 1)"),  # at the end
        ('{"Resources": ', "Template format error: JSON not well-formed. (line 1, column 15)"),
        ("Description: nothing\n", "Template format error: At least one Resources member must be defined."),
        (
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref Nope\n",
            "Template format error: Unresolved resource dependencies [Nope] in the Resources block of "
            "the template",
        ),
        (
            "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    DependsOn: B\n"
            "  B:\n    Type: AWS::S3::Bucket\n    DependsOn: A\n",
            "Circular dependency between resources: [A, B]",
        ),
        (
            "Resourcs: {}\nResources:\n  A: {Type: AWS::S3::Bucket}\n",
            "Template format error: Invalid template property or properties [Resourcs]",
        ),
        ("Resources:\n  A: {Type: Bucket}\n", "Template format error: Unrecognized resource types: [Bucket]"),
    ],
)
def test_template_errors_are_cloudformations(cfn: Any, body: str, message: str) -> None:
    assert error_of(lambda: cfn.validate_template(TemplateBody=body)) == ("ValidationError", message)


def test_an_import_of_an_export_that_does_not_exist_is_refused(cfn: Any, name: str) -> None:
    body = (
        "Resources:\n  Log:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
        "      LogGroupName: !ImportValue nope-x\n"
    )
    assert error_of(lambda: cfn.create_stack(StackName=name, TemplateBody=body)) == (
        "ValidationError",
        "No export named nope-x found.",
    )


RETAINED = """
Resources:
  Kept:
    Type: AWS::Glue::Database
    DeletionPolicy: Retain
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput: {{Name: {name}_kept}}
  Dropped:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput: {{Name: {name}_dropped}}
"""


def test_deletion_policy_retain_keeps_the_resource(cfn: Any, aws: Callable[[str], Any], name: str) -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html"""
    stack_id = create(cfn, name, RETAINED.format(name=name))["StackId"]
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    happened = events(cfn, stack_id)
    assert ("Kept", "DELETE_SKIPPED", None) in happened
    assert aws("glue").get_database(Name=f"{name}_kept")["Database"]["Name"] == f"{name}_kept"
    with pytest.raises(ClientError, match="EntityNotFoundException"):
        aws("glue").get_database(Name=f"{name}_dropped")
    aws("glue").delete_database(Name=f"{name}_kept")


ROLLBACK = """
Parameters:
  Description: {{Type: String}}
  Extra: {{Type: String, Default: none}}
Conditions:
  WithExtra: !Not [!Equals [!Ref Extra, none]]
Resources:
  Database:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput: {{Name: {name}_db, Description: !Ref Description}}
  Extra:
    Type: AWS::SQS::Queue
    Condition: WithExtra
    DependsOn: Database
"""


def test_a_failed_update_rolls_back_to_what_was_there(cfn: Any, aws: Callable[[str], Any], name: str) -> None:
    """The database is changed, then the new resource fails: the database's description goes back."""
    body = ROLLBACK.format(name=name)
    create(cfn, name, body, Parameters=[{"ParameterKey": "Description", "ParameterValue": "first"}])
    cfn.update_stack(
        StackName=name,
        TemplateBody=body,
        Parameters=[
            {"ParameterKey": "Description", "ParameterValue": "second"},
            {"ParameterKey": "Extra", "ParameterValue": "queue"},
        ],
    )
    with pytest.raises(Exception, match="UPDATE_ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert stack["Parameters"][0]["ParameterValue"] == "first"
    happened = events(cfn, name)
    assert ("Database", "UPDATE_COMPLETE", None) in happened
    assert any(lid == "Extra" and status == "CREATE_FAILED" for lid, status, _ in happened)
    assert aws("glue").get_database(Name=f"{name}_db")["Database"]["Description"] == "first"
    assert error_of(
        lambda: cfn.update_stack(
            StackName=name,
            TemplateBody=body,
            Parameters=[{"ParameterKey": "Description", "ParameterValue": "first"}],
        )
    ) == ("ValidationError", "No updates are to be performed.")


def test_a_custom_named_resource_that_needs_replacing_is_refused(cfn: Any, name: str) -> None:
    """Changing what a named role's replacement depends on (its Path) cannot keep the name."""
    first = IAM.format(name_line=f"RoleName: {name}-role")
    create(cfn, name, first, Capabilities=["CAPABILITY_NAMED_IAM"])
    moved = first.replace("RoleName:", "Path: /moved/\n      RoleName:")
    cfn.update_stack(StackName=name, TemplateBody=moved, Capabilities=["CAPABILITY_NAMED_IAM"])
    with pytest.raises(Exception, match="UPDATE_ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    reason = next(r for lid, status, r in events(cfn, name) if status == "UPDATE_FAILED")
    assert reason == (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename {name}-role and update the stack again."
    )


def test_refused_members_are_named(cfn: Any, name: str) -> None:
    code, message = error_of(
        lambda: cfn.create_stack(
            StackName=name, TemplateBody=PARAMETERS, NotificationARNs=["arn:aws:sns:us-east-1:1:t"]
        )
    )
    assert code == "NotImplementedError" and "NotificationARNs" in message
    code, message = error_of(lambda: cfn.create_stack(StackName="1bad", TemplateBody=PARAMETERS))
    assert code == "ValidationError" and "Member must satisfy regular expression pattern" in message
