"""Deploy the template on a local stack as it is deployed on AWS: a CloudFormation change set.

Reads THE template (infra/pipeline.yaml) and deploys it with the profile's parameter values through
the stack's own CloudFormation (the endpoint's, which creates every resource through its S3, Glue,
Athena, IAM, Secrets Manager and Redshift Serverless), by the same change-set path `make deploy
PROFILE=aws` takes (`infra/stacks.py`). A first run creates the stack, later runs update it (or change
nothing). Types with no local counterpart (the VPC) are "created" with an event saying what serves
them locally (`NOT_LOCAL`), and the result lists them. Resources an older provisioning made outside any
stack are adopted (CloudFormation's ImportExistingResources). Finally each Glue job's script is
uploaded from spark_jobs/ to its ScriptLocation, and each of its --extra-py-files from spark_jobs/ or
the package (JOB_LIBRARIES), so the job runs this checkout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from awstwin.core.paths import JOB_LIBRARIES, SPARK_JOBS_DIR, TEMPLATE
from awstwin.endpoint.cloudformation.intrinsics import Resolver
from awstwin.endpoint.cloudformation.resources import LOCAL_DROPPED_PROPERTIES, NOT_LOCAL
from awstwin.infra.stacks import (
    DeployError,
    deployed_resolver,
    run_change_set,
    stack_outputs,
    stack_resources,
)
from awstwin.infra.template import read_template

ClientFactory = Callable[[str], Any]
# The local endpoint answers a change set's execution once the stack has settled: poll every second.
LOCAL_WAITS = {"Delay": 1, "MaxAttempts": 600}


class ProvisionError(RuntimeError):
    """The stack could not be deployed, or a job's file is missing; the message says which and why."""


@dataclass
class ProvisionResult:
    stack_name: str
    action: str = ""  # "create", "update" or "none" (nothing changed)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    physical_ids: dict[str, str] = field(default_factory=dict)
    not_local: dict[str, str] = field(default_factory=dict)  # logical id -> what serves it locally
    dropped: dict[str, str] = field(default_factory=dict)  # "Id.Property.Path" -> why it is not applied
    conditioned_out: dict[str, str] = field(default_factory=dict)  # logical id -> its false Condition
    outputs: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, str] = field(default_factory=dict)  # S3 URI -> local file uploaded there
    seconds: float = 0.0


def _job_files(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(what, s3 URI) of every file a Glue job reads from S3 at start: its script, --extra-py-files."""
    files = [("ScriptLocation", props["Command"]["ScriptLocation"])]
    extra = (props.get("DefaultArguments") or {}).get("--extra-py-files") or ""
    files += [
        ("--extra-py-files", uri.strip()) for uri in extra.split(",") if uri.strip().startswith("s3://")
    ]
    return files


def _local_source(key: str, scripts_dir: Path) -> Path:
    """The checkout's file for an S3 key: spark_jobs/<name>, else a library (JOB_LIBRARIES)."""
    name = Path(key).name
    local = scripts_dir / name
    return local if local.is_file() or name not in JOB_LIBRARIES else JOB_LIBRARIES[name]


def job_files(template: Mapping[str, Any], resolver: Resolver, scripts_dir: Path) -> dict[str, Path]:
    """S3 URI -> this checkout's file, for every file a Glue job of the template reads at start
    (what provisioning and `make deploy` upload, and what `make run PROFILE=aws` checks)."""
    files: dict[str, Path] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Glue::Job":
            continue
        raw = resource.get("Properties") or {}
        wanted = {key: raw[key] for key in ("Command", "DefaultArguments") if key in raw}
        props = resolver.resolve(wanted, f"Resources.{logical_id}")
        for what, location in _job_files(props):
            local = _local_source(location.removeprefix("s3://").partition("/")[2], scripts_dir)
            if not local.is_file():
                raise ProvisionError(
                    f"Resources.{logical_id}: its {what} {location} needs {local}, which does not exist"
                )
            files[location] = local
    return files


def upload_job_files(
    template: Mapping[str, Any], resolver: Resolver, clients: ClientFactory, scripts_dir: Path
) -> dict[str, str]:
    uploaded: dict[str, str] = {}
    for location, local in job_files(template, resolver, scripts_dir).items():
        bucket, _, key = location.removeprefix("s3://").partition("/")
        clients("s3").upload_file(str(local), bucket, key)
        uploaded[location] = str(local)
    return uploaded


def _dropped(template: Mapping[str, Any]) -> dict[str, str]:
    """ "Id.Property.Path" -> why, for the template's properties the local stacks do not apply."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        for path, why in LOCAL_DROPPED_PROPERTIES.get(resource.get("Type", ""), {}).items():
            node: Any = resource.get("Properties") or {}
            for key in path.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                found[f"{logical_id}.{path}"] = why
    return found


def provision(
    clients: ClientFactory,
    parameters: Mapping[str, str],
    stack_name: str,
    template_path: Path = TEMPLATE,
    scripts_dir: Path = SPARK_JOBS_DIR,
) -> ProvisionResult:
    """Deploy the template as stack `stack_name` through `clients("cloudformation")` and upload the Glue
    jobs' files; `clients(service)` returns a boto3 client of the stack."""
    started = time.perf_counter()
    template = read_template(template_path)
    document = template.document
    cloudformation = clients("cloudformation")
    lines: list[str] = []
    try:
        action, changes, _ = run_change_set(
            cloudformation,
            stack_name,
            template.body,
            parameters,
            echo=lines.append,
            change_set_wait=LOCAL_WAITS,
            stack_wait=LOCAL_WAITS,
            ImportExistingResources=True,
        )
    except (DeployError, ClientError, BotoCoreError) as exc:
        raise ProvisionError(f"{template_path.name} as stack {stack_name}: {exc}") from exc
    result = ProvisionResult(stack_name=stack_name, action=action)
    for change in changes:
        verb, logical_id = change.split()[:2]
        (result.created if verb in ("Add", "Import") else result.updated).append(logical_id)
    for item in stack_resources(cloudformation, stack_name):
        logical_id, kind = item["LogicalResourceId"], item["ResourceType"]
        if kind in NOT_LOCAL:
            result.not_local[logical_id] = NOT_LOCAL[kind].served_by
        elif item.get("PhysicalResourceId"):
            result.physical_ids[logical_id] = item["PhysicalResourceId"]
    resolver = Resolver(
        parameters={**_defaults(document), **parameters},
        pseudo={"AWS::Region": "", "AWS::AccountId": ""},
        conditions=document.get("Conditions") or {},
    )
    for logical_id, resource in document["Resources"].items():
        if "Condition" in resource and not resolver.condition(str(resource["Condition"]), logical_id):
            result.conditioned_out[logical_id] = str(resource["Condition"])
    result.dropped = _dropped(document)
    result.outputs = stack_outputs(cloudformation, stack_name)
    identity = clients("sts").get_caller_identity()
    region = clients("sts").meta.region_name
    deployed = deployed_resolver(
        cloudformation, document, parameters, identity["Account"], region, stack_name
    )
    result.scripts = upload_job_files(document, deployed, clients, scripts_dir)
    result.seconds = time.perf_counter() - started
    return result


def _defaults(template: Mapping[str, Any]) -> dict[str, str]:
    return {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
