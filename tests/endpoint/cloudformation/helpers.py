"""CloudFormation test helpers: stacks made and read through boto3, with the SDK's own waiters."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

# The endpoint answers CreateStack once the stack has settled, so a waiter's first poll finds it done;
# a short delay keeps the tests quick if the machine is slow.
FAST = {"Delay": 1, "MaxAttempts": 120}


def create(cfn: Any, stack: str, body: str, **kwargs: Any) -> dict[str, Any]:
    """CreateStack, wait with the SDK's own waiter, and return the described stack (any final state)."""
    stack_id = cfn.create_stack(StackName=stack, TemplateBody=body, **kwargs)["StackId"]
    with contextlib.suppress(Exception):  # a failed create is what some tests look at
        cfn.get_waiter("stack_create_complete").wait(StackName=stack_id, WaiterConfig=FAST)
    return cfn.describe_stacks(StackName=stack_id)["Stacks"][0]


def events(cfn: Any, stack: str) -> list[tuple[str, str, str | None]]:
    """(logical id, status, reason) of every event, oldest first."""
    found = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        found += page["StackEvents"]
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in reversed(found)
    ]


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    """(code, message) of the ClientError `call` raises."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]
