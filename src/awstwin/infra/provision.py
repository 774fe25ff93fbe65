"""Create the template's resources through boto3 against the profile's endpoint, as CloudFormation would.

Reads THE template (infra/pipeline.yaml), resolves it with the profile's parameter values, and for each
resource in dependency order asks whether it exists, then creates or updates it, then makes the calls
that always follow (`awstwin.infra.resources` says which calls, as data). Re-provisioning updates; it
never fails on what is already there. A type with no local counterpart (Redshift Serverless, the VPC)
is not created: its row in `NOT_LOCAL` says what serves it locally, and the result lists it with that
reason. Finally each Glue job's script is uploaded from spark_jobs/ to its ScriptLocation, and each of
its --extra-py-files from spark_jobs/ or the package (JOB_LIBRARIES), so the job runs this checkout.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from awstwin.core.paths import JOB_LIBRARIES, SPARK_JOBS_DIR, TEMPLATE
from awstwin.infra.resources import (
    LOCAL_DROPPED_PROPERTIES,
    NOT_LOCAL,
    RESOURCE_TYPES,
    TEMPLATE_ONLY_PROPERTIES,
    Call,
    NotLocal,
    ResourceType,
)
from awstwin.infra.template import Resolver, TemplateError, creation_order, load_template, parameter_values

ClientFactory = Callable[[str], Any]


class ProvisionError(RuntimeError):
    """A resource could not be created or updated; the message names it and carries AWS's error."""


@dataclass
class ProvisionResult:
    stack_name: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    physical_ids: dict[str, str] = field(default_factory=dict)
    not_local: dict[str, str] = field(default_factory=dict)  # logical id -> what serves it locally
    dropped: dict[str, str] = field(default_factory=dict)  # "Id.Property.Path" -> why it is not applied
    conditioned_out: dict[str, str] = field(default_factory=dict)  # logical id -> its false Condition
    outputs: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, str] = field(default_factory=dict)  # S3 URI -> local file uploaded there
    seconds: float = 0.0


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _invoke(client: Any, call: Call, props: Mapping[str, Any], where: str) -> None:
    if not call.when(props):
        return
    arguments = call.kwargs(props)
    for kwargs in arguments if isinstance(arguments, list) else [arguments]:
        try:
            getattr(client, call.method)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise ProvisionError(f"{where}: {call.method} failed: {exc}") from exc


def _exists(client: Any, kind: ResourceType, props: Mapping[str, Any], where: str) -> bool:
    try:
        getattr(client, kind.describe.method)(**kind.describe.kwargs(props))
        return True
    except ClientError as exc:
        if _error_code(exc) in kind.not_found:
            return False
        raise ProvisionError(f"{where}: {kind.describe.method} failed: {exc}") from exc


def _apply(client: Any, kind: ResourceType, props: Mapping[str, Any], where: str) -> bool:
    """Create or update one resource; True when it was created."""
    created = not _exists(client, kind, props, where)
    if created:
        _invoke(client, kind.create, props, where)
    elif kind.update is not None:
        _invoke(client, kind.update, props, where)
    for call in kind.then:
        _invoke(client, call, props, where)
    return created


def _physical_id(client: Any, kind: ResourceType, props: Mapping[str, Any], where: str) -> str:
    if kind.ref is None:
        return kind.name(props)
    call, read = kind.ref
    try:
        return read(getattr(client, call.method)(**call.kwargs(props)))
    except (ClientError, BotoCoreError) as exc:
        raise ProvisionError(f"{where}: {call.method} failed: {exc}") from exc


def _drop_aws_only(type_name: str, properties: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The properties without the paths LOCAL_DROPPED_PROPERTIES names; (properties, {path: why})."""
    kept = copy.deepcopy(dict(properties))
    dropped: dict[str, str] = {}
    for path, why in LOCAL_DROPPED_PROPERTIES.get(type_name, {}).items():
        *parents, last = path.split(".")
        node: Any = kept
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and last in node:
            del node[last]
            dropped[path] = why
    return kept, dropped


def _stand_in(
    resolver: Resolver, logical_id: str, resource: Mapping[str, Any], kind: NotLocal, where: str
) -> None:
    """Make Ref / GetAtt of a resource that is not created locally read as its stand-in."""
    props = resource.get("Properties") or {}

    def resolve(value: Any) -> Any:
        return resolver.resolve(value, f"Resources.{logical_id}")

    try:
        if kind.ref is not None:
            resolver.refs[logical_id] = kind.ref(props, resolve)
        resolver.attributes[logical_id] = {
            name: read(props, resolve) for name, read in kind.attributes.items()
        }
    except (KeyError, ValueError) as exc:
        raise TemplateError(f"{where}: its local stand-in cannot be read: {exc}") from exc
    resolver.unavailable[logical_id] = kind.served_by


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
        props = resolver.resolve(resource.get("Properties") or {}, f"Resources.{logical_id}")
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


def provision(
    clients: ClientFactory,
    parameters: Mapping[str, str],
    stack_name: str,
    template_path: Path = TEMPLATE,
    scripts_dir: Path = SPARK_JOBS_DIR,
) -> ProvisionResult:
    """Create or update every resource of the template; `clients(service)` returns a boto3 client."""
    started = time.perf_counter()
    template = load_template(template_path)
    sts = clients("sts")
    region = sts.meta.region_name
    pseudo = {
        "AWS::AccountId": sts.get_caller_identity()["Account"],
        "AWS::Region": region,
        "AWS::StackName": stack_name,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    resolver = Resolver(
        parameters=parameter_values(template, parameters),
        pseudo=pseudo,
        conditions=template.get("Conditions") or {},
    )
    result = ProvisionResult(stack_name=stack_name)
    for logical_id in creation_order(template):
        resource = template["Resources"][logical_id]
        where = f"{template_path.name}: Resources.{logical_id} ({resource.get('Type')})"
        if "Condition" in resource and not resolver.condition(resource["Condition"], where):
            result.conditioned_out[logical_id] = resource["Condition"]
            continue
        type_name = resource.get("Type", "")
        if type_name in NOT_LOCAL:
            _stand_in(resolver, logical_id, resource, NOT_LOCAL[type_name], where)
            result.not_local[logical_id] = NOT_LOCAL[type_name].served_by
            continue
        kind = RESOURCE_TYPES.get(type_name)
        if kind is None:
            supported = ", ".join(sorted(RESOURCE_TYPES))
            raise TemplateError(
                f"{where}: no local provisioning for this type (supported: {supported}); add a row to "
                "awstwin.infra.resources.RESOURCE_TYPES, or to NOT_LOCAL saying what serves it locally"
            )
        raw, dropped = _drop_aws_only(type_name, resource.get("Properties") or {})
        result.dropped.update({f"{logical_id}.{path}": why for path, why in dropped.items()})
        props = resolver.resolve(raw, f"Resources.{logical_id}")
        props = {k: v for k, v in props.items() if k not in TEMPLATE_ONLY_PROPERTIES.get(type_name, ())}
        client = clients(kind.service)
        created = _apply(client, kind, props, where)
        (result.created if created else result.updated).append(logical_id)
        name = _physical_id(client, kind, props, where)
        resolver.refs[logical_id] = name
        resolver.attributes[logical_id] = {
            attr: build(props, name, pseudo["AWS::AccountId"], region, pseudo["AWS::Partition"])
            for attr, build in kind.attributes.items()
        }
        result.physical_ids[logical_id] = name
    for name, output in (template.get("Outputs") or {}).items():
        result.outputs[name] = str(resolver.resolve(output["Value"], f"Outputs.{name}"))
    result.scripts = upload_job_files(template, resolver, clients, scripts_dir)
    result.seconds = time.perf_counter() - started
    return result
