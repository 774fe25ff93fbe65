"""What a change set would change: each resource of the new template against the stack's, as
DescribeChangeSet lists it (Add / Modify / Remove, Replacement True / False / Conditional, the
properties that differ) (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets.html).

Values that depend on resources not made yet cannot be known before the change set runs; they read as
`{{unknown:...}}` here, and a replacement that hangs on one is `Conditional`, as on AWS. A dynamic
reference (`{{resolve:...}}`) is not looked up while planning: a property that holds one counts as
unchanged when the resource has a value there, as CloudFormation reads a referenced value only when
the reference itself changes (https://repost.aws/knowledge-center/cloudformation-stack-update-secrets).
Locally a change of the reference's own text is not told apart from an unchanged one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from awstwin.endpoint.cloudformation.intrinsics import Lookups
from awstwin.endpoint.cloudformation.parameters import ParameterValues
from awstwin.endpoint.cloudformation.provisioner import Provisioner, ResourceFailed, local_properties
from awstwin.endpoint.cloudformation.resolving import active, made_by_a_stand_in, stack_resolver, stand_in
from awstwin.endpoint.cloudformation.resources import NOT_LOCAL, RESOURCE_TYPES, Target
from awstwin.endpoint.cloudformation.stacks import Stack
from awstwin.endpoint.cloudformation.template import Template

NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)
UNKNOWN = "{{unknown:"


def _unknown(value: Any) -> bool:
    return UNKNOWN in json.dumps(value, default=str)


def _change(
    action: str, logical_id: str, type_name: str, physical_id: str | None, **extra: Any
) -> dict[str, Any]:
    change = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": physical_id,
        "ResourceType": type_name,
        **extra,
    }
    return {"Type": "Resource", "ResourceChange": {k: v for k, v in change.items() if v is not None}}


def _as_applied(new: Any, old: Any) -> Any:
    """`new` with each string holding a dynamic reference replaced by the value applied there before."""
    if isinstance(new, str):
        return old if "{{resolve:" in new and old is not None else new
    if isinstance(new, dict) and isinstance(old, Mapping):
        return {k: _as_applied(v, old.get(k)) for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [_as_applied(n, o) for n, o in zip(new, old, strict=True)]
    return new


def _details(old: Mapping[str, Any], new: Mapping[str, Any], recreation: str) -> list[dict[str, Any]]:
    details = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        details.append(
            {
                "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
                "Evaluation": "Dynamic" if _unknown(new.get(name)) else "Static",
                "ChangeSource": "ResourceReference" if _unknown(new.get(name)) else "DirectModification",
            }
        )
    return details


def _existing(
    provisioner: Provisioner, resolver: Any, resource: Mapping[str, Any], logical_id: str
) -> str | None:
    """The name of a custom-named resource that exists already (ImportExistingResources takes it)."""
    type_name = str(resource["Type"])
    kind = RESOURCE_TYPES.get(type_name)
    if kind is None or kind.naming is None or not kind.describe_by_name:
        return None
    raw = local_properties(type_name, resource.get("Properties") or {})[0]
    name = kind.name(resolver.resolve(raw, f"Resources.{logical_id}.Properties"))
    if name is None or UNKNOWN in name:
        return None
    try:
        found = provisioner.exists(kind, Target({}, name), logical_id)
    except ResourceFailed:
        return None
    return name if found is not None else None


def plan(
    stack: Stack,
    template: Template,
    values: ParameterValues,
    provisioner: Provisioner,
    lookups: Lookups,
    import_existing: bool = False,
) -> list[dict[str, Any]]:
    """The changes applying `template` with `values` would make to `stack` (`Import` for what exists
    already, when ImportExistingResources asks for it)."""
    resolver = stack_resolver(stack, template, values, provisioner.env, lookups, planning=True)
    order = active(template, resolver)
    changes = []
    for logical_id in order:
        resource = template.resources[logical_id]
        type_name = str(resource["Type"])
        raw = resource.get("Properties") or {}
        record = stack.resources.get(logical_id)
        if record is None or record.status.startswith("DELETE") or made_by_a_stand_in(record):
            found = _existing(provisioner, resolver, resource, logical_id) if import_existing else None
            changes.append(_change("Import" if found else "Add", logical_id, type_name, found))
            continue
        if type_name in NOT_LOCAL or record.type in NOT_LOCAL:
            if type_name in NOT_LOCAL:
                stand_in(resolver, logical_id, resource, NOT_LOCAL[type_name])
            if record.type != type_name or record.props != dict(raw):
                replacement = "True" if record.type != type_name else "False"
                changes.append(
                    _change(
                        "Modify",
                        logical_id,
                        type_name,
                        record.physical_id,
                        Replacement=replacement,
                        Scope=["Properties"],
                    )
                )
            continue
        props = resolver.resolve(local_properties(type_name, raw)[0], f"Resources.{logical_id}.Properties")
        if type_name not in RESOURCE_TYPES or type_name != record.type:
            changes.append(
                _change(
                    "Modify",
                    logical_id,
                    type_name,
                    record.physical_id,
                    Replacement="True",
                    Scope=["Properties"],
                )
            )
            continue
        try:
            new = provisioner.prepare(type_name, logical_id, props)
        except ResourceFailed:
            new = dict(props)
        kind = RESOURCE_TYPES[type_name]
        if kind.naming is not None and kind.name(new) is None:
            new = json.loads(json.dumps(new))
            node = new
            *parents, last = kind.naming.path.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = kind.name(record.props)
        new = _as_applied(new, record.props)
        if new == record.props:
            continue
        if provisioner.replaces(type_name, record.props, new):
            paths = [kind.naming.path] if kind.naming else []
            conditional = any(_unknown(new.get(path.split(".")[0])) for path in [*paths, *kind.replace_on])
            replacement = "Conditional" if conditional else "True"
        else:
            replacement = "False"
        recreation = {"True": "Always", "Conditional": "Conditionally", "False": "Never"}[replacement]
        changes.append(
            _change(
                "Modify",
                logical_id,
                type_name,
                record.physical_id,
                Replacement=replacement,
                Scope=["Properties"],
                Details=_details(record.props, new, recreation),
            )
        )
    for logical_id, record in stack.resources.items():
        if logical_id not in order and not record.status.startswith("DELETE"):
            policy = "Retain" if _retained(stack, logical_id) else "Delete"
            changes.append(
                _change("Remove", logical_id, record.type, record.physical_id, PolicyAction=policy)
            )
    return changes


def _retained(stack: Stack, logical_id: str) -> bool:
    if not stack.template_body:
        return False
    resource = Template.read(stack.template_body).resources.get(logical_id) or {}
    return resource.get("DeletionPolicy") == "Retain"
