"""`make deploy PROFILE=aws`: infra/pipeline.yaml as a CloudFormation stack, then the Glue job's files.

The same template the local stacks provision on every `make run`, with the same parameter values
(awstwin.infra.parameters) from the profile made concrete for the caller's account. Each deploy is a
change set: it is listed before it runs (`--no-execute` stops there, for review), and a template
with nothing new is no error. After the stack is complete, every Glue job's script and
--extra-py-files are uploaded from this checkout (the provisioner's own upload), and the outputs are
printed. Credentials come from boto3's standard chain; without any, this exits 2 and says how to
log in.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awstwin.core.paths import SPARK_JOBS_DIR, TEMPLATE
from awstwin.core.profile import Profile, ProfileError, load_profile
from awstwin.infra.account import AwsAccountError, Caller, NoCredentialsError, caller, expand
from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import job_files, upload_job_files
from awstwin.infra.resources import RESOURCE_TYPES
from awstwin.infra.template import Resolver, load_template, parameter_values

CAPABILITIES = ["CAPABILITY_NAMED_IAM"]  # the template names its IAM roles
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
# A first deploy creates Redshift Serverless and VPC endpoints: allow an hour, polling every 15 s.
STACK_WAIT = {"Delay": 15, "MaxAttempts": 240}
CHANGE_SET_WAIT = {"Delay": 5, "MaxAttempts": 120}
CLIENT_CIDR_ENV = "WAREHOUSE_CLIENT_CIDR"
CHECK_IP_URL = "https://checkip.amazonaws.com"


class DeployError(RuntimeError):
    """CloudFormation refused or rolled back; the message carries its reasons."""


@dataclass
class DeployResult:
    stack_name: str
    action: str  # "create", "update", "none" (nothing changed) or "review" (change set left unexecuted)
    changes: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, str] = field(default_factory=dict)
    change_set: str = ""


def _stack_status(cloudformation: Any, stack_name: str) -> str | None:
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


def _failure_reasons(cloudformation: Any, stack_name: str, since: float) -> list[str]:
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


def _wait(cloudformation: Any, waiter: str, **kwargs: Any) -> None:
    cloudformation.get_waiter(waiter).wait(**kwargs)


def run_change_set(
    cloudformation: Any,
    stack_name: str,
    template_body: str,
    parameters: Mapping[str, str],
    execute: bool = True,
    echo: Callable[[str], None] = print,
) -> tuple[str, list[str], str]:
    """Create a change set, list it, execute it and wait; (action, changes, change set name)."""
    from botocore.exceptions import ClientError, WaiterError

    kind = change_set_type(_stack_status(cloudformation, stack_name), stack_name)
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
        )
    except ClientError as exc:  # some implementations refuse an empty change set at once
        if any(marker in str(exc) for marker in NO_CHANGES):
            return "none", [], name
        raise
    try:
        _wait(
            cloudformation,
            "change_set_create_complete",
            StackName=stack_name,
            ChangeSetName=name,
            WaiterConfig=CHANGE_SET_WAIT,
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
    echo(f"executing; waiting for stack {stack_name} (a first deploy takes 10-20 minutes) ...")
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    try:
        _wait(cloudformation, waiter, StackName=stack_name, WaiterConfig=STACK_WAIT)
    except WaiterError as exc:
        reasons = _failure_reasons(cloudformation, stack_name, started) or [str(exc)]
        raise DeployError(f"stack {stack_name} did not {kind.lower()}:\n  " + "\n  ".join(reasons)) from None
    return kind.lower(), changes, name


def deployed_resolver(
    cloudformation: Any, template: Mapping[str, Any], parameters: Mapping[str, str], who: Caller, stack: str
) -> Resolver:
    """A resolver whose Ref and GetAtt read the deployed stack's physical resources, for resolving
    what the provisioner resolves (the Glue jobs' file locations) the same way as it does locally."""
    resolver = Resolver(
        parameters=parameter_values(template, parameters),
        pseudo={
            "AWS::AccountId": who.account_id,
            "AWS::Region": who.region,
            "AWS::StackName": stack,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
        conditions=template.get("Conditions") or {},
    )
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for item in page["StackResourceSummaries"]:
            logical, physical = item["LogicalResourceId"], item.get("PhysicalResourceId") or ""
            resolver.refs[logical] = physical
            kind = RESOURCE_TYPES.get(item["ResourceType"])
            if kind is not None:
                resolver.attributes[logical] = {
                    attr: build({}, physical, who.account_id, who.region, "aws")
                    for attr, build in kind.attributes.items()
                }
    return resolver


def deploy(
    profile: Profile,
    who: Caller,
    client_cidr: str = "",
    execute: bool = True,
    template_path: Path = TEMPLATE,
    scripts_dir: Path = SPARK_JOBS_DIR,
    echo: Callable[[str], None] = print,
) -> DeployResult:
    concrete = expand(profile, who.account_id)
    parameters = template_parameters(concrete, WarehouseClientCidr=client_cidr)
    template = load_template(template_path)
    parameter_values(template, parameters)  # every parameter has a value, before AWS is asked
    cloudformation = who.session.client("cloudformation")
    stack = concrete.stack_name
    echo(f"deploying {template_path.name} as stack {stack} to {who.account_id} ({who.region}) as {who.arn}")
    action, changes, change_set = run_change_set(
        cloudformation, stack, template_path.read_text(), parameters, execute, echo
    )
    result = DeployResult(stack, action, changes, change_set=change_set)
    if action == "review":
        echo(f"change set {change_set} left for review: execute it in the console, or drop --no-execute")
        return result
    if action == "none":
        echo(f"stack {stack} is up to date")
    resolver = deployed_resolver(cloudformation, template, parameters, who, stack)
    result.scripts = upload_job_files(template, resolver, who.session.client, scripts_dir)
    for uri, local in result.scripts.items():
        echo(f"uploaded {Path(local).relative_to(Path(local).parents[1])} to {uri}")
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    result.outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs") or []}
    return result


def stale_job_files(
    profile: Profile, who: Caller, template_path: Path = TEMPLATE, scripts_dir: Path = SPARK_JOBS_DIR
) -> list[str]:
    """Why each file the deployed Glue jobs read (script, --extra-py-files) is not this checkout's;
    empty when every one is. The same list `deploy` uploads, resolved against the deployed stack."""
    from botocore.exceptions import ClientError

    concrete = expand(profile, who.account_id)
    template = load_template(template_path)
    parameters = template_parameters(concrete)
    resolver = deployed_resolver(
        who.session.client("cloudformation"), template, parameters, who, concrete.stack_name
    )
    s3 = who.session.client("s3")
    problems = []
    for location, local in job_files(template, resolver, scripts_dir).items():
        bucket, _, key = location.removeprefix("s3://").partition("/")
        try:
            remote = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            problems.append(f"cannot read {location} ({exc.response.get('Error', {}).get('Code')})")
            continue
        if remote != local.read_bytes():
            problems.append(f"{location} is not this checkout's {local.name}")
    return problems


def client_cidr(value: str) -> str:
    """`auto`: this machine's public address as a /32 (asked from checkip.amazonaws.com)."""
    if value != "auto":
        return value
    with urllib.request.urlopen(CHECK_IP_URL, timeout=10) as answer:
        return answer.read().decode().strip() + "/32"


def main(argv: list[str] | None = None) -> int:
    """`python -m awstwin deploy`: 0 deployed (or nothing to change), 1 CloudFormation failed, 2 refused."""
    parser = argparse.ArgumentParser(prog="python -m awstwin deploy", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile", default=os.environ.get("PROFILE") or "aws", help="default: $PROFILE, else aws"
    )
    parser.add_argument(
        "--client-cidr",
        default=os.environ.get(CLIENT_CIDR_ENV, ""),
        help="CIDR allowed to reach the warehouse from outside AWS (`make run PROFILE=aws` from this "
        f"machine needs it); `auto` = this machine's address. Default: ${CLIENT_CIDR_ENV}, else private",
    )
    parser.add_argument("--no-execute", action="store_true", help="create and list the change set only")
    args = parser.parse_args(argv or [])
    try:
        profile = load_profile(args.profile)
        if profile.is_local:
            print(
                f"awstwin deploy: profile {profile.name} targets the local endpoint "
                f"{profile.aws_endpoint_url}; the local stacks provision infra/pipeline.yaml on every "
                "`make run`. Deploy to AWS with `make deploy PROFILE=aws`",
                file=sys.stderr,
            )
            return 2
        who = caller(profile)
    except (ProfileError, NoCredentialsError, AwsAccountError) as exc:
        print(f"awstwin deploy: {exc}", file=sys.stderr)
        return 2
    try:
        result = deploy(profile, who, client_cidr(args.client_cidr), execute=not args.no_execute)
    except (DeployError, AwsAccountError, OSError) as exc:
        print(f"awstwin deploy: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # botocore's ClientError and friends: AWS's own words, no traceback
        print(f"awstwin deploy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if result.outputs:
        print("\noutputs:")
        for key, value in sorted(result.outputs.items()):
            print(f"  {key:<20} {value}")
        print("\nnext: `make run PROFILE=aws` runs the DAG against this stack")
    return 0


if __name__ == "__main__":
    sys.exit(main())
