"""What CreateStack, UpdateStack and CreateChangeSet check before anything runs, as CloudFormation
checks it at the call: transforms, allowed resource types, parameter values, capabilities, the Rules
section, and that every value the template can resolve now (mappings, imports, selects) resolves."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from awstwin.endpoint.cloudformation import parameters
from awstwin.endpoint.cloudformation.exceptions import InsufficientCapabilities, ValidationError
from awstwin.endpoint.cloudformation.intrinsics import Lookups, check_rules
from awstwin.endpoint.cloudformation.provisioner import local_properties
from awstwin.endpoint.cloudformation.resolving import active, outputs, stack_resolver, stand_in
from awstwin.endpoint.cloudformation.resources import NOT_LOCAL, Env
from awstwin.endpoint.cloudformation.runs import Deployment
from awstwin.endpoint.cloudformation.stacks import Stack
from awstwin.endpoint.cloudformation.template import Template
from awstwin.endpoint.errors import AwsError


def check_resource_types(template: Template, allowed: list[str] | None) -> None:
    if not allowed:
        return
    for logical_id, resource in template.resources.items():
        kind = str(resource["Type"])
        if not any(fnmatch.fnmatchcase(kind, pattern) for pattern in allowed):
            raise ValidationError(
                f"Template resource type {kind} ({logical_id}) is not in the list of allowed resource types "
                f"{allowed} given in ResourceTypes"
            )


def prepare(
    stack: Stack,
    template: Template,
    given: list[Mapping[str, Any]] | None,
    capabilities: list[str] | None,
    tags: list[dict[str, str]] | None,
    env: Env,
    lookups: Lookups,
    previous: Mapping[str, str] | None = None,
    resource_types: list[str] | None = None,
    token: str | None = None,
) -> Deployment:
    """A checked deployment of `template` on `stack`, or the error CloudFormation answers the call with."""
    if template.transforms:
        raise AwsError(
            f"Transform {', '.join(template.transforms)} is not supported by the local endpoint: deploy the "
            "processed template (`sam build` / `cdk synth` output) instead",
            code="NotImplementedError",
            status=501,
        )
    check_resource_types(template, resource_types)
    values = parameters.resolve(template, given, previous, lookups.ssm_parameter)
    missing = template.check_capabilities(capabilities)
    if missing:
        raise InsufficientCapabilities(missing)
    resolver = stack_resolver(stack, template, values, env, lookups, planning=True)
    check_rules(template.document.get("Rules") or {}, resolver)
    for logical_id in active(template, resolver):  # what can be resolved now must resolve
        resource = template.resources[logical_id]
        if resource.get("Type") in NOT_LOCAL:
            stand_in(resolver, logical_id, resource, NOT_LOCAL[str(resource["Type"])])
        else:
            kept = local_properties(str(resource["Type"]), resource.get("Properties") or {})[0]
            resolver.resolve(kept, f"Resources.{logical_id}.Properties")
    outputs(template, resolver)
    return Deployment(template, values, list(capabilities or []), list(tags or []), token)
