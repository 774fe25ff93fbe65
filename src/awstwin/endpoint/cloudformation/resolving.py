"""The resolver of one stack deployment: its parameters, pseudo parameters, mappings, conditions, and the
physical ids and attributes of the resources it already has; plus the stand-ins of types the local
stacks serve by other means (`NOT_LOCAL`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awstwin.endpoint.cloudformation.exceptions import TemplateError
from awstwin.endpoint.cloudformation.intrinsics import Lookups, Resolver, as_text
from awstwin.endpoint.cloudformation.parameters import ParameterValues
from awstwin.endpoint.cloudformation.resources import NOT_LOCAL, Env, NotLocal
from awstwin.endpoint.cloudformation.stacks import ResourceRecord, Stack
from awstwin.endpoint.cloudformation.template import Template

NOT_LOCAL_REASON = "Not created locally: "


def not_local_reason(type_name: str) -> str:
    """The event reason of a resource a stand-in serves."""
    return NOT_LOCAL_REASON + NOT_LOCAL[type_name].served_by


def made_by_a_stand_in(record: ResourceRecord) -> bool:
    """A resource a stand-in served when its type had no local counterpart, and that the endpoint now
    makes (Redshift Serverless, in stacks kept from before): the next update creates it."""
    return record.type not in NOT_LOCAL and (record.reason or "").startswith(NOT_LOCAL_REASON)


def pseudo_parameters(stack: Stack, env: Env) -> dict[str, Any]:
    return {
        "AWS::AccountId": env.account,
        "AWS::Region": env.region,
        "AWS::StackName": stack.name,
        "AWS::StackId": stack.stack_id,
        "AWS::Partition": env.partition,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


def stack_resolver(
    stack: Stack,
    template: Template,
    values: ParameterValues,
    env: Env,
    lookups: Lookups,
    planning: bool = False,
) -> Resolver:
    """A resolver for `template` on `stack`: existing resources answer Ref and Fn::GetAtt."""
    resolver = Resolver(
        parameters=values.typed,
        pseudo=pseudo_parameters(stack, env),
        lookups=lookups,
        mappings=template.mappings,
        conditions=template.conditions,
        planning=planning,
    )
    for logical_id, record in stack.resources.items():
        if record.status.startswith("DELETE") or logical_id not in template.resources:
            continue
        resource = template.resources[logical_id]
        if resource.get("Type") in NOT_LOCAL:
            stand_in(resolver, logical_id, resource, NOT_LOCAL[str(resource["Type"])])
        elif record.physical_id is not None:
            resolver.refs[logical_id] = record.physical_id
            resolver.attributes[logical_id] = dict(record.attributes)
    return resolver


def stand_in(resolver: Resolver, logical_id: str, resource: Mapping[str, Any], kind: NotLocal) -> str | None:
    """Make Ref / Fn::GetAtt of a resource that is not created locally read as its stand-in; its Ref
    value (None when it has none)."""
    props = resource.get("Properties") or {}

    def resolve(value: Any) -> Any:
        return resolver.resolve(value, f"Resources.{logical_id}")

    resolver.unavailable[logical_id] = kind.served_by
    try:
        ref = kind.ref(props, resolve) if kind.ref is not None else None
        if ref is not None:
            resolver.refs[logical_id] = ref
        # Read when a template asks (Fn::GetAtt), so a stand-in nobody reads needs nothing.
        resolver.attributes[logical_id] = {
            name: (lambda read=read: read(props, resolve)) for name, read in kind.attributes.items()
        }
    except (KeyError, ValueError) as exc:
        raise TemplateError(f"Resources.{logical_id}: its local stand-in cannot be read: {exc}") from exc
    return ref


def active(template: Template, resolver: Resolver) -> list[str]:
    """The template's resources whose Condition holds, in creation order."""
    return [
        logical_id
        for logical_id in template.creation_order
        if "Condition" not in template.resources[logical_id]
        or resolver.condition(str(template.resources[logical_id]["Condition"]), f"Resources.{logical_id}")
    ]


def outputs(template: Template, resolver: Resolver) -> list[dict[str, Any]]:
    """The stack's Outputs (those whose Condition holds), with their export names."""
    found = []
    for key, output in template.outputs.items():
        if "Condition" in output and not resolver.condition(str(output["Condition"]), f"Outputs.{key}"):
            continue
        item: dict[str, Any] = {
            "OutputKey": key,
            "OutputValue": as_text(resolver.resolve(output["Value"], f"Outputs.{key}")),
            "Description": output.get("Description"),
        }
        export = output.get("Export")
        if isinstance(export, dict) and "Name" in export:
            item["ExportName"] = as_text(resolver.resolve(export["Name"], f"Outputs.{key}.Export"))
        found.append(item)
    return found
