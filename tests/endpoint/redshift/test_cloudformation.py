"""A stack's Redshift Serverless namespace and workgroup, made by the endpoint's CloudFormation through
the Serverless control plane, then used by the Data API; updated in place, and gone with the stack.

https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-redshiftserverless-namespace.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-redshiftserverless-workgroup.html
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.redshift.conftest import Stack, wait

TEMPLATE = """
Parameters:
  Capacity: {Type: Number, Default: 8}
  Login: {Type: String, NoEcho: true}
Resources:
  Admin:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub ${AWS::StackName}/admin
      SecretString: !Ref Login
  Namespace:
    Type: AWS::RedshiftServerless::Namespace
    Properties:
      NamespaceName: !Ref AWS::StackName
      DbName: dev
      AdminUsername: !Sub "{{resolve:secretsmanager:${Admin}:SecretString:username}}"
      AdminUserPassword: !Sub "{{resolve:secretsmanager:${Admin}:SecretString:password}}"
      Tags: [{Key: team, Value: data}]
  Workgroup:
    Type: AWS::RedshiftServerless::Workgroup
    Properties:
      WorkgroupName: !Ref AWS::StackName
      NamespaceName: !Ref Namespace
      BaseCapacity: !Ref Capacity
      SubnetIds: [subnet-1, subnet-2]
      ConfigParameters: [{ParameterKey: datestyle, ParameterValue: "ISO, DMY"}]
Outputs:
  Address: {Value: !GetAtt Workgroup.Workgroup.Endpoint.Address}
  Port: {Value: !GetAtt Workgroup.Workgroup.Endpoint.Port}
  WorkgroupArn: {Value: !GetAtt Workgroup.Workgroup.WorkgroupArn}
  NamespaceArn: {Value: !GetAtt Namespace.Namespace.NamespaceArn}
  SecretArn: {Value: !Ref Admin}
"""

FAST = {"Delay": 1, "MaxAttempts": 120}


def _parameters(stack: Stack, capacity: int) -> list[dict[str, str]]:
    login = json.dumps({"username": stack.warehouse.user, "password": stack.warehouse.password})
    return [
        {"ParameterKey": "Capacity", "ParameterValue": str(capacity)},
        {"ParameterKey": "Login", "ParameterValue": login},
    ]


def _events(cfn: Any, name: str) -> list[tuple[str, str, str | None]]:
    found = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in found]


@pytest.mark.slow
def test_a_stack_makes_the_namespace_and_workgroup_the_data_api_runs_on(stack: Stack) -> None:
    cfn, serverless = stack.client("cloudformation"), stack.client("redshift-serverless")
    name = f"cfn-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=_parameters(stack, 8))
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", _events(cfn, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}

    namespace = serverless.get_namespace(namespaceName=name)["namespace"]
    assert (namespace["dbName"], namespace["adminUsername"]) == ("dev", stack.warehouse.user)
    assert outputs["NamespaceArn"] == namespace["namespaceArn"]
    workgroup = serverless.get_workgroup(workgroupName=name)["workgroup"]
    assert workgroup["namespaceName"] == name and workgroup["baseCapacity"] == 8
    assert workgroup["subnetIds"] == []  # not applied locally: this machine's network, and the event says so
    config = {p["parameterKey"]: p["parameterValue"] for p in workgroup["configParameters"]}
    assert config["datestyle"] == "ISO, DMY"
    endpoint = workgroup["endpoint"]
    assert (outputs["Address"], outputs["Port"]) == (endpoint["address"], str(endpoint["port"]))
    assert outputs["WorkgroupArn"] == workgroup["workgroupArn"]
    reasons = [reason or "" for lid, _, reason in _events(cfn, name) if lid == "Workgroup"]
    assert any("SubnetIds not applied locally" in reason for reason in reasons), reasons

    # The Data API runs on the stack's workgroup, logged in with the stack's secret.
    data = stack.client("redshift-data")
    started = data.execute_statement(
        WorkgroupName=name, Database="dev", SecretArn=outputs["SecretArn"], Sql="SELECT 6 * 7 AS answer"
    )
    assert wait(data, started["Id"])["Status"] == "FINISHED"
    assert data.get_statement_result(Id=started["Id"])["Records"] == [[{"longValue": 42}]]

    # A new capacity updates the workgroup in place; the namespace, whose only dynamic references are
    # unchanged, is not touched (CloudFormation does not look up a reference that did not change).
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=_parameters(stack, 16))
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    updated = {lid for lid, status, _ in _events(cfn, name) if status == "UPDATE_COMPLETE" and lid != name}
    assert updated == {"Workgroup"}
    assert serverless.get_workgroup(workgroupName=name)["workgroup"]["baseCapacity"] == 16

    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    for call in (
        lambda: serverless.get_workgroup(workgroupName=name),
        lambda: serverless.get_namespace(namespaceName=name),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.slow
def test_a_stack_kept_from_when_a_stand_in_served_serverless_makes_it_on_its_next_update(
    stack: Stack,
) -> None:
    """A stack saved before the endpoint made Redshift Serverless (its namespace and workgroup
    "created" as stand-ins, nothing made) gets both made by its next update, not replaced or deleted."""
    cfn, serverless = stack.client("cloudformation"), stack.client("redshift-serverless")
    name = f"cfn-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=_parameters(stack, 8))
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    serverless.delete_workgroup(workgroupName=name)
    serverless.delete_namespace(namespaceName=name)
    kept = stack.endpoint.endpoint.cloudformation.backend.state.find(name)
    for logical_id in ("Namespace", "Workgroup"):  # as the stand-ins left them
        record = kept.resources[logical_id]
        record.props = dict(yaml_template()["Resources"][logical_id]["Properties"])
        record.physical_id, record.attributes = name, {}
        record.reason = "Not created locally: served by the warehouse"

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=_parameters(stack, 16))
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    assert serverless.get_namespace(namespaceName=name)["namespace"]["adminUsername"] == stack.warehouse.user
    assert serverless.get_workgroup(workgroupName=name)["workgroup"]["baseCapacity"] == 16
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    with pytest.raises(ClientError):
        serverless.get_namespace(namespaceName=name)


def yaml_template() -> dict[str, Any]:
    from awstwin.endpoint.cloudformation.template import Template

    return {"Resources": Template.read(TEMPLATE).resources}
