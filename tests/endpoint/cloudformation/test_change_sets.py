"""Change sets: reviewed before they run, as `aws cloudformation deploy`, the CDK and SAM use them.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets.html"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.endpoint.cloudformation.helpers import FAST, error_of

TEMPLATE = """
Parameters:
  Prefix: {{Type: String}}
  Retention: {{Type: Number, Default: 7}}
  GroupSuffix: {{Type: String, Default: a}}
Resources:
  Database:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput: {{Name: !Sub "${{Prefix}}_db", Description: first}}
  Log:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /twin/${{Prefix}}/${{GroupSuffix}}
      RetentionInDays: !Ref Retention
{extra}
"""
EXTRA = """  Query:
    Type: AWS::Athena::NamedQuery
    Properties:
      Database: !Ref Database
      QueryString: SELECT 1
"""


def _changes(cfn: Any, stack: str, change_set: str) -> dict[str, tuple[str, str | None]]:
    described = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
    return {
        c["ResourceChange"]["LogicalResourceId"]: (
            c["ResourceChange"]["Action"],
            c["ResourceChange"].get("Replacement"),
        )
        for c in described["Changes"]
    }


def _params(prefix: str, **values: str) -> list[dict[str, str]]:
    return [{"ParameterKey": "Prefix", "ParameterValue": prefix}] + [
        {"ParameterKey": k, "ParameterValue": v} for k, v in values.items()
    ]


def test_a_new_stack_waits_for_review_then_the_change_set_creates_it(
    cfn: Any, aws: Callable[[str], Any], name: str
) -> None:
    created = cfn.create_change_set(
        StackName=name,
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=TEMPLATE.format(extra=""),
        Parameters=_params(name),
        Description="the first one",
    )
    assert created["Id"].startswith("arn:aws:cloudformation:us-east-1:123456789012:changeSet/first/")
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="first", WaiterConfig=FAST
    )
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS" and stack["StackId"] == created["StackId"]
    assert _changes(cfn, name, "first") == {"Database": ("Add", None), "Log": ("Add", None)}
    described = cfn.describe_change_set(ChangeSetName=created["Id"])  # by ARN, no stack name needed
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert described["Description"] == "the first one"
    summaries = cfn.list_change_sets(StackName=name)["Summaries"]
    assert [s["ChangeSetName"] for s in summaries] == ["first"]
    assert cfn.get_template(StackName=name, ChangeSetName="first")["TemplateBody"] == TEMPLATE.format(
        extra=""
    )
    with pytest.raises(aws("glue").exceptions.EntityNotFoundException):
        aws("glue").get_database(Name=f"{name}_db")  # nothing is made before the change set runs

    cfn.execute_change_set(StackName=name, ChangeSetName="first")
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["ChangeSetId"] == created["Id"]
    assert aws("glue").get_database(Name=f"{name}_db")["Database"]["Description"] == "first"
    executed = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert executed["ExecutionStatus"] == "EXECUTE_COMPLETE"
    assert (
        error_of(lambda: cfn.execute_change_set(ChangeSetName=created["Id"]))[0] == "InvalidChangeSetStatus"
    )


def test_an_update_lists_modifications_replacements_and_removals(
    cfn: Any, aws: Callable[[str], Any], name: str
) -> None:
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE.format(extra=EXTRA), Parameters=_params(name))
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    query_id = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Query")["StackResourceDetail"][
        "PhysicalResourceId"
    ]
    changed = TEMPLATE.format(extra="").replace("Description: first", "Description: second")
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="second",
        TemplateBody=changed,
        Parameters=_params(name, Retention="30", GroupSuffix="b"),
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="second", WaiterConfig=FAST
    )
    assert _changes(cfn, name, "second") == {
        "Database": ("Modify", "False"),
        "Log": ("Modify", "True"),  # a new log group name is a new log group
        "Query": ("Remove", None),
    }
    details = cfn.describe_change_set(StackName=name, ChangeSetName="second")["Changes"][0]["ResourceChange"]
    assert details["Details"][0]["Target"] == {
        "Attribute": "Properties",
        "Name": "DatabaseInput",
        "RequiresRecreation": "Never",
    }
    cfn.execute_change_set(StackName=name, ChangeSetName="second")
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    assert aws("glue").get_database(Name=f"{name}_db")["Database"]["Description"] == "second"
    logs = aws("logs").describe_log_groups(logGroupNamePrefix=f"/twin/{name}/")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in logs] == [(f"/twin/{name}/b", 30)]
    with pytest.raises(aws("athena").exceptions.InvalidRequestException):
        aws("athena").get_named_query(NamedQueryId=query_id)
    assert cfn.list_change_sets(StackName=name)["Summaries"][0]["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_nothing_to_change_fails_the_change_set_as_deploy_expects(cfn: Any, name: str) -> None:
    body = TEMPLATE.format(extra="")
    cfn.create_stack(StackName=name, TemplateBody=body, Parameters=_params(name))
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    cfn.create_change_set(StackName=name, ChangeSetName="same", TemplateBody=body, Parameters=_params(name))
    with pytest.raises(Exception, match="FAILED"):
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName="same", WaiterConfig=FAST
        )
    described = cfn.describe_change_set(StackName=name, ChangeSetName="same")
    assert described["Status"] == "FAILED" and described["ExecutionStatus"] == "UNAVAILABLE"
    assert described["StatusReason"] == (
        "The submitted information didn't contain changes. "
        "Submit different information to create a change set."
    )
    cfn.delete_change_set(StackName=name, ChangeSetName="same")
    assert cfn.list_change_sets(StackName=name)["Summaries"] == []
    assert error_of(lambda: cfn.describe_change_set(StackName=name, ChangeSetName="same")) == (
        "ChangeSetNotFound",
        "ChangeSet [same] does not exist",
    )
    # UsePreviousTemplate with UsePreviousValue: also nothing to change
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="previous",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Prefix", "UsePreviousValue": True}],
    )
    assert cfn.describe_change_set(StackName=name, ChangeSetName="previous")["Status"] == "FAILED"


def test_import_existing_resources_takes_what_is_there(
    cfn: Any, aws: Callable[[str], Any], name: str
) -> None:
    """A custom-named database made outside any stack is taken into it, not made again (and not
    deleted by a rollback): https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/import-resources-automatically.html"""
    aws("glue").create_database(DatabaseInput={"Name": f"{name}_db", "Description": "made by hand"})
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="adopt",
        ChangeSetType="CREATE",
        TemplateBody=TEMPLATE.format(extra=""),
        Parameters=_params(name),
        ImportExistingResources=True,
    )
    assert _changes(cfn, name, "adopt") == {"Database": ("Import", None), "Log": ("Add", None)}
    cfn.execute_change_set(StackName=name, ChangeSetName="adopt")
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    assert aws("glue").get_database(Name=f"{name}_db")["Database"]["Description"] == "first"
    statuses = [
        e["ResourceStatus"]
        for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
        if e["LogicalResourceId"] == "Database"
    ]
    assert "IMPORT_COMPLETE" in statuses
