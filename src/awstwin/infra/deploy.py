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
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from awstwin.core.paths import SPARK_JOBS_DIR, TEMPLATE
from awstwin.core.profile import Profile, ProfileError, load_profile
from awstwin.infra.account import AwsAccountError, Caller, NoCredentialsError, caller, expand
from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import job_files, upload_job_files
from awstwin.infra.stacks import (
    DeployError,
    deployed_resolver,
    run_change_set,
    stack_outputs,
)
from awstwin.infra.template import load_template, parameter_values

# A first deploy creates Redshift Serverless and VPC endpoints: allow an hour, polling every 15 s.
STACK_WAIT = {"Delay": 15, "MaxAttempts": 240}
CHANGE_SET_WAIT = {"Delay": 5, "MaxAttempts": 120}
CLIENT_CIDR_ENV = "WAREHOUSE_CLIENT_CIDR"
CHECK_IP_URL = "https://checkip.amazonaws.com"


@dataclass
class DeployResult:
    stack_name: str
    action: str  # "create", "update", "none" (nothing changed) or "review" (change set left unexecuted)
    changes: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, str] = field(default_factory=dict)
    change_set: str = ""


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
        cloudformation,
        stack,
        template_path.read_text(),
        parameters,
        execute,
        echo,
        change_set_wait=CHANGE_SET_WAIT,
        stack_wait=STACK_WAIT,
    )
    result = DeployResult(stack, action, changes, change_set=change_set)
    if action == "review":
        echo(f"change set {change_set} left for review: execute it in the console, or drop --no-execute")
        return result
    if action == "none":
        echo(f"stack {stack} is up to date")
    resolver = deployed_resolver(cloudformation, template, parameters, who.account_id, who.region, stack)
    result.scripts = upload_job_files(template, resolver, who.session.client, scripts_dir)
    for uri, local in result.scripts.items():
        echo(f"uploaded {Path(local).relative_to(Path(local).parents[1])} to {uri}")
    result.outputs = stack_outputs(cloudformation, stack)
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
        who.session.client("cloudformation"),
        template,
        parameters,
        who.account_id,
        who.region,
        concrete.stack_name,
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
