"""A CloudFormation stack through its API, the same way on AWS and on the local endpoint: a change set
listed before it runs, the waiters, the reasons of a failure, and what the stack deployed.

`make deploy PROFILE=aws` (deploy.py) and the local stacks' provisioning (provision.py) both go through
`run_change_set`, so the local stacks are deployed the way AWS deploys them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from awstwin.endpoint.cloudformation.intrinsics import Resolver
from awstwin.endpoint.cloudformation.resources import RESOURCE_TYPES, Env, Target
from awstwin.infra.template import parameter_values

CAPABILITIES = ["CAPABILITY_NAMED_IAM"]  # the template names its IAM roles
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class DeployError(RuntimeError):
    """CloudFormation refused or rolled back; the message carries its reasons."""


def stack_status(cloudformation: Any, stack_name: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def change_set_type(status: str | None, stack_name: str) -> str:
    """CREATE for a new stack, UPDATE for a settled one; an error for states CloudFormation refuses."""
    if status is None or status == "REVIEW_IN_PROGRESS":
        return "CREATE"
    if status == "ROLLBACK_COMPLETE":
        raise DeployError(
            f"stack {stack_name} is ROLLBACK_COMPLETE: its first create failed and it cannot be updated. "
            f"Delete it (`aws cloudformation delete-stack --stack-name {stack_name}`) and deploy again"
        )
    if status.endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {stack_name} is {status}: wait for it to finish, then deploy again")
    if status.endswith("_FAILED") and status != "UPDATE_ROLLBACK_FAILED":
        raise DeployError(f"stack {stack_name} is {status}: see its events in the CloudFormation console")
    return "UPDATE"


def failure_reasons(cloudformation: Any, stack_name: str, since: float) -> list[str]:
    reasons = []
    for page in cloudformation.get_paginator("describe_stack_events").paginate(StackName=stack_name):
        for event in page["StackEvents"]:
            if event["Timestamp"].timestamp() < since:
                return reasons
            if event["ResourceStatus"].endswith("_FAILED"):
                reasons.append(
                    f"{event['LogicalResourceId']} ({event['ResourceType']}): "
                    f"{event.get('ResourceStatusReason') or event['ResourceStatus']}"
                )
    return reasons


def describe_changes(change_set: Mapping[str, Any]) -> list[str]:
    lines = []
    for change in change_set.get("Changes") or []:
        item = change["ResourceChange"]
        replace = " (replacement)" if item.get("Replacement") == "True" else ""
        lines.append(f"{item['Action']:<7} {item['LogicalResourceId']} ({item['ResourceType']}){replace}")
    return lines


def run_change_set(
    cloudformation: Any,
    stack_name: str,
    template_body: str,
    parameters: Mapping[str, str],
    execute: bool = True,
    echo: Callable[[str], None] = print,
    change_set_wait: Mapping[str, int] | None = None,
    stack_wait: Mapping[str, int] | None = None,
    **options: Any,
) -> tuple[str, list[str], str]:
    """Create a change set, list it, execute it and wait; (action, changes, change set name).
    `options` go to CreateChangeSet as they are (e.g. ImportExistingResources)."""
    from botocore.exceptions import ClientError, WaiterError

    kind = change_set_type(stack_status(cloudformation, stack_name), stack_name)
    name = f"awstwin-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    try:
        cloudformation.create_change_set(
            StackName=stack_name,
            ChangeSetName=name,
            ChangeSetType=kind,
            TemplateBody=template_body,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=CAPABILITIES,
            Tags=[{"Key": "project", "Value": "awstwin"}],
            **options,
        )
    except ClientError as exc:  # some implementations refuse an empty change set at once
        if any(marker in str(exc) for marker in NO_CHANGES):
            return "none", [], name
        raise
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=stack_name, ChangeSetName=name, WaiterConfig=dict(change_set_wait or {})
        )
    except WaiterError:
        described = cloudformation.describe_change_set(StackName=stack_name, ChangeSetName=name)
        reason = described.get("StatusReason") or described.get("Status")
        if any(marker in str(reason) for marker in NO_CHANGES):
            cloudformation.delete_change_set(StackName=stack_name, ChangeSetName=name)
            return "none", [], name
        raise DeployError(f"change set {name} for {stack_name} failed: {reason}") from None
    changes = describe_changes(cloudformation.describe_change_set(StackName=stack_name, ChangeSetName=name))
    echo(f"change set {name} ({kind.lower()}, {len(changes)} change(s)):")
    for line in changes:
        echo(f"  {line}")
    if not execute:
        return "review", changes, name
    started = time.time() - 5
    cloudformation.execute_change_set(StackName=stack_name, ChangeSetName=name)
    echo(f"executing; waiting for stack {stack_name} ...")
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    try:
        cloudformation.get_waiter(waiter).wait(StackName=stack_name, WaiterConfig=dict(stack_wait or {}))
    except WaiterError as exc:
        reasons = failure_reasons(cloudformation, stack_name, started) or [str(exc)]
        raise DeployError(f"stack {stack_name} did not {kind.lower()}:\n  " + "\n  ".join(reasons)) from None
    return kind.lower(), changes, name


def stack_resources(cloudformation: Any, stack_name: str) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        found += page["StackResourceSummaries"]
    return found


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs") or []}


def deployed_resolver(
    cloudformation: Any,
    template: Mapping[str, Any],
    parameters: Mapping[str, str],
    account_id: str,
    region: str,
    stack: str,
) -> Resolver:
    """A resolver whose Ref and GetAtt read the deployed stack's physical resources, for resolving
    what the provisioner resolves (the Glue jobs' file locations) the same way on every stack."""
    resolver = Resolver(
        parameters=parameter_values(template, parameters),
        pseudo={
            "AWS::AccountId": account_id,
            "AWS::Region": region,
            "AWS::StackName": stack,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
        conditions=template.get("Conditions") or {},
        mappings=template.get("Mappings") or {},
    )
    env = Env(account_id, region)
    for item in stack_resources(cloudformation, stack):
        logical, physical = item["LogicalResourceId"], item.get("PhysicalResourceId") or ""
        resolver.refs[logical] = physical
        kind = RESOURCE_TYPES.get(item["ResourceType"])
        if kind is None:
            continue
        attributes = {}
        for attr, build in kind.attributes.items():
            try:  # only what the physical id tells (an ARN); the rest needs the resource's description
                attributes[attr] = build(Target({}, physical), env, {})
            except (KeyError, TypeError):
                continue
        resolver.attributes[logical] = attributes
    return resolver
