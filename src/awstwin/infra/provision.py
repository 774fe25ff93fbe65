"""Create the template's resources through boto3 against the profile's endpoint, as CloudFormation would.

Reads THE template (infra/pipeline.yaml), resolves it with the profile's parameter values, and for each
resource in dependency order asks whether it exists, then creates or updates it, then makes the calls
that always follow (`awstwin.infra.resources` says which calls, as data). Re-provisioning updates; it
never fails on what is already there. Finally each Glue job's script is uploaded from spark_jobs/ to
its ScriptLocation, so the job runs the file in this checkout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from awstwin.infra.resources import RESOURCE_TYPES, TEMPLATE_ONLY_PROPERTIES, Call, ResourceType
from awstwin.infra.template import Resolver, TemplateError, creation_order, load_template, parameter_values
from awstwin.pipeline.paths import SPARK_JOBS_DIR, TEMPLATE

ClientFactory = Callable[[str], Any]


class ProvisionError(RuntimeError):
    """A resource could not be created or updated; the message names it and carries AWS's error."""


@dataclass
class ProvisionResult:
    stack_name: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    physical_ids: dict[str, str] = field(default_factory=dict)
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


def _upload_scripts(
    template: Mapping[str, Any], resolver: Resolver, clients: ClientFactory, scripts_dir: Path
) -> dict[str, str]:
    uploaded: dict[str, str] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Glue::Job":
            continue
        props = resolver.resolve(resource.get("Properties") or {}, f"Resources.{logical_id}")
        location = props["Command"]["ScriptLocation"]
        bucket, _, key = location.removeprefix("s3://").partition("/")
        local = scripts_dir / Path(key).name
        if not local.is_file():
            raise ProvisionError(
                f"Resources.{logical_id}: its ScriptLocation {location} needs {local}, which does not exist"
            )
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
            continue
        kind = RESOURCE_TYPES.get(resource.get("Type", ""))
        if kind is None:
            supported = ", ".join(sorted(RESOURCE_TYPES))
            raise TemplateError(f"{where}: no local provisioning for this type (supported: {supported})")
        props = resolver.resolve(resource.get("Properties") or {}, f"Resources.{logical_id}")
        props = {
            k: v for k, v in props.items() if k not in TEMPLATE_ONLY_PROPERTIES.get(resource["Type"], ())
        }
        created = _apply(clients(kind.service), kind, props, where)
        (result.created if created else result.updated).append(logical_id)
        name = kind.name(props)
        resolver.refs[logical_id] = name
        resolver.attributes[logical_id] = {
            attr: build(props, name, pseudo["AWS::AccountId"], region, pseudo["AWS::Partition"])
            for attr, build in kind.attributes.items()
        }
        result.physical_ids[logical_id] = name
    for name, output in (template.get("Outputs") or {}).items():
        result.outputs[name] = str(resolver.resolve(output["Value"], f"Outputs.{name}"))
    result.scripts = _upload_scripts(template, resolver, clients, scripts_dir)
    result.seconds = time.perf_counter() - started
    return result
