"""Intrinsic functions, condition functions, rule functions and dynamic references, resolved as
CloudFormation resolves them
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).

`Ref` (parameters, pseudo parameters, resources), `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`,
`Fn::Split`, `Fn::If` / `Fn::Equals` / `Fn::Not` / `Fn::And` / `Fn::Or` / `Condition`,
`Fn::FindInMap`, `Fn::Base64`, `Fn::Cidr`, `Fn::GetAZs`, `Fn::ImportValue`, the rule functions
`Fn::Contains` / `Fn::EachMemberEquals` / `Fn::EachMemberIn`, `AWS::NoValue`, and
`{{resolve:ssm:...}}` / `{{resolve:secretsmanager:...}}`. What the resolver cannot know by itself
(Availability Zones, exports, Parameter Store and secrets) it asks `Lookups`, which the backend wires
to the endpoint's own services. An unknown function is CloudFormation's template error.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from awstwin.endpoint.cloudformation.exceptions import TemplateError
from awstwin.endpoint.cloudformation.template import SUB_VARIABLE

NO_VALUE = object()  # what `Ref AWS::NoValue` resolves to: the property is dropped
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(?P<service>ssm|ssm-secure|secretsmanager):(?P<ref>[^}]*)\}\}")


class Lookups(Protocol):
    """What resolving needs from outside the template."""

    def availability_zones(self, region: str) -> list[str]: ...

    def export(self, name: str) -> str: ...

    def ssm_parameter(self, name: str) -> str: ...

    def secret(self, secret_id: str, json_key: str, stage: str, version: str) -> str: ...


class NoLookups:
    """For resolving outside a stack (a checkout's template, offline): what needs a service fails."""

    def _refuse(self, what: str) -> TemplateError:
        return TemplateError(f"{what} needs the services of a stack: resolve it in a CloudFormation stack")

    def availability_zones(self, region: str) -> list[str]:
        raise self._refuse("Fn::GetAZs")

    def export(self, name: str) -> str:
        raise self._refuse(f"Fn::ImportValue {name}")

    def ssm_parameter(self, name: str) -> str:
        raise self._refuse(f"the SSM parameter {name}")

    def secret(self, secret_id: str, json_key: str, stage: str, version: str) -> str:
        raise self._refuse(f"the secret {secret_id}")


class Unknown(str):
    """A value not known before the resources it depends on exist (a change set's plan)."""

    __slots__ = ()


@dataclass
class Resolver:
    """Resolves a template value against parameters, pseudo parameters, conditions and resources."""

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    lookups: Lookups = field(default_factory=NoLookups)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # logical id -> physical id
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> {attr: value}
    unavailable: dict[str, str] = field(default_factory=dict)  # logical id -> why it has no value here
    planning: bool = False  # unknown resources resolve to `Unknown` markers instead of failing
    imports: set[str] = field(default_factory=set)  # export names Fn::ImportValue read
    _condition_values: dict[str, bool] = field(default_factory=dict)

    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item, where) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(value, str):
            return self._dynamic(value, where)
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            function = FUNCTIONS.get(key)
            if function is not None:
                return function(self, arg, where)
            if key.startswith("Fn::"):
                raise TemplateError(
                    f"Template format error: Encountered unsupported function: {key} Supported functions "
                    f"are: [{', '.join(sorted(k for k in FUNCTIONS if k.startswith('Fn::')))}]"
                )
        resolved = {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _dynamic(self, text: str, where: str) -> str:
        if "{{resolve:" not in text or self.planning:
            return text

        def replace(match: re.Match[str]) -> str:
            service, ref = match["service"], match["ref"]
            if service in ("ssm", "ssm-secure"):
                return self.lookups.ssm_parameter(ref.split(":", 1)[0])
            secret_id, json_key, stage, version = _secret_reference(ref)
            return self.lookups.secret(secret_id, json_key, stage, version)

        return DYNAMIC_REFERENCE.sub(replace, text)

    def ref(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        for table in (self.parameters, self.pseudo, self.refs):
            if name in table:
                return table[name]
        if name in self.unavailable:
            raise TemplateError(
                f"{where}: Ref to {name!r}, which is not created here ({self.unavailable[name]})"
            )
        if self.planning:
            return Unknown(f"{{{{unknown:{name}}}}}")
        raise TemplateError(f"Template format error: Unresolved resource dependencies [{name}] in {where}")

    def get_att(self, logical_id: str, attribute: str, where: str) -> Any:
        try:
            value = self.attributes[logical_id][attribute]
        except KeyError:
            if logical_id in self.unavailable:
                raise TemplateError(
                    f"{where}: no attribute {logical_id}.{attribute}: {logical_id} is not created here "
                    f"({self.unavailable[logical_id]})"
                ) from None
            if self.planning and attribute not in self.attributes.get(logical_id, {}):
                return Unknown(f"{{{{unknown:{logical_id}.{attribute}}}}}")
            if logical_id in self.attributes:
                raise TemplateError(
                    f"Template error: resource {logical_id} does not support attribute type {attribute} "
                    "in Fn::GetAtt"
                ) from None
            raise TemplateError(
                f"Template error: instance of Fn::GetAtt references undefined resource {logical_id}"
            ) from None
        if callable(value):  # a stand-in's attribute, read when asked (resolving.stand_in)
            try:
                return value()
            except (KeyError, ValueError) as exc:
                raise TemplateError(
                    f"{where}: {logical_id}.{attribute} cannot be read locally: {exc}"
                ) from None
        return value

    def condition(self, name: str, where: str) -> bool:
        if name not in self._condition_values:
            if name not in self.conditions:
                raise TemplateError(
                    f"Template format error: Unresolved condition dependencies [{name}] in {where}"
                )
            self._condition_values[name] = bool(self.resolve(self.conditions[name], f"Conditions.{name}"))
        return self._condition_values[name]


def _secret_reference(ref: str) -> tuple[str, str, str, str]:
    """`secret-id:SecretString:json-key:version-stage:version-id` (an ARN has colons of its own)."""
    if ref.startswith("arn:"):
        parts = ref.split(":")
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, *rest = ref.split(":")
    rest += [""] * (4 - len(rest))
    _, json_key, stage, version = rest[:4]
    return secret_id, json_key, stage, version


def _sub(r: Resolver, arg: Any, where: str) -> str:
    if isinstance(arg, list):
        text, variables = arg[0], {k: r.resolve(v, where) for k, v in (arg[1] or {}).items()}
    else:
        text, variables = arg, {}
    if not isinstance(text, str):
        raise TemplateError(
            "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments "
            f"({where})"
        )

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name and "::" not in name:
            logical_id, attribute = name.split(".", 1)
            return str(r.get_att(logical_id, attribute, where))
        value = r.ref(name, where)
        return ",".join(map(str, value)) if isinstance(value, list) else str(value)

    return r._dynamic(SUB_VARIABLE.sub(replace, text), where)


def _get_att(r: Resolver, arg: Any, where: str) -> Any:
    if isinstance(arg, list) and len(arg) == 2:
        logical_id, attribute = str(arg[0]), r.resolve(arg[1], where)
    elif isinstance(arg, str) and "." in arg:
        logical_id, attribute = arg.split(".", 1)
    else:
        raise TemplateError(
            f"Template error: every Fn::GetAtt object requires two non-empty parameters ({where})"
        )
    return r.get_att(logical_id, str(attribute), where)


def _join(r: Resolver, arg: Any, where: str) -> str:
    delimiter, items = arg
    resolved = r.resolve(items, where)
    if not isinstance(resolved, list):
        raise TemplateError(
            "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and "
            "(2) a list of strings to be joined or a function that returns a list of strings (such as "
            f"Fn::GetAZs) to be joined. ({where})"
        )
    return str(delimiter).join(str(item) for item in resolved)


def _select(r: Resolver, arg: Any, where: str) -> Any:
    index, items = int(r.resolve(arg[0], where)), r.resolve(arg[1], where)
    if not isinstance(items, list) or not 0 <= index < len(items):
        raise TemplateError(f"Template error: Fn::Select cannot select nonexistent value at index {index}")
    return items[index]


def _split(r: Resolver, arg: Any, where: str) -> list[str]:
    delimiter, text = arg
    return str(r.resolve(text, where)).split(str(delimiter))


def _if(r: Resolver, arg: Any, where: str) -> Any:
    name, when_true, when_false = arg
    return r.resolve(when_true if r.condition(str(name), where) else when_false, where)


def _find_in_map(r: Resolver, arg: Any, where: str) -> Any:
    name, top, second = (r.resolve(a, where) for a in arg[:3])
    try:
        return r.mappings[name][top][second]
    except (KeyError, TypeError):
        if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return r.resolve(arg[3]["DefaultValue"], where)
        raise TemplateError(f"Template error: Unable to get mapping for {name}::{top}::{second}") from None


def _get_azs(r: Resolver, arg: Any, where: str) -> list[str]:
    region = str(r.resolve(arg, where) or r.pseudo["AWS::Region"])
    return r.lookups.availability_zones(region)


def _import_value(r: Resolver, arg: Any, where: str) -> Any:
    name = str(r.resolve(arg, where))
    if r.planning and isinstance(name, Unknown):
        return name
    r.imports.add(name)
    return r.lookups.export(name)


def _cidr(r: Resolver, arg: Any, where: str) -> list[str]:
    block, count, bits = (r.resolve(a, where) for a in arg)
    network = ipaddress.ip_network(str(block), strict=False)
    prefix = network.max_prefixlen - int(bits)
    subnets = network.subnets(new_prefix=prefix)
    return [str(next(subnets)) for _ in range(int(count))]


def _base64(r: Resolver, arg: Any, where: str) -> str:
    return base64.b64encode(str(r.resolve(arg, where)).encode()).decode()


def _values(r: Resolver, arg: Any, where: str) -> list[str]:
    value = r.resolve(arg, where)
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


FUNCTIONS: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": lambda r, arg, where: r.ref(str(arg), where),
    "Condition": lambda r, arg, where: r.condition(str(arg), where),
    "Fn::Sub": _sub,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": lambda r, arg, where: str(r.resolve(arg[0], where)) == str(r.resolve(arg[1], where)),
    "Fn::Not": lambda r, arg, where: not r.resolve(arg[0], where),
    "Fn::And": lambda r, arg, where: all(r.resolve(a, where) for a in arg),
    "Fn::Or": lambda r, arg, where: any(r.resolve(a, where) for a in arg),
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::ImportValue": _import_value,
    "Fn::Cidr": _cidr,
    "Fn::Base64": _base64,
    # Rule functions (the Rules section's Assertions)
    "Fn::Contains": lambda r, arg, where: str(r.resolve(arg[1], where)) in _values(r, arg[0], where),
    "Fn::EachMemberEquals": lambda r, arg, where: all(
        v == str(r.resolve(arg[1], where)) for v in _values(r, arg[0], where)
    ),
    "Fn::EachMemberIn": lambda r, arg, where: (
        set(_values(r, arg[0], where)) <= set(_values(r, arg[1], where))
    ),
}


def check_rules(rules: Mapping[str, Any], resolver: Resolver) -> None:
    """Each rule whose RuleCondition holds must have every Assertion true; a false one is CloudFormation's
    ValidationError with its AssertDescription
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html)."""
    for name, rule in rules.items():
        where = f"Rules.{name}"
        if "RuleCondition" in rule and not resolver.resolve(rule["RuleCondition"], where):
            continue
        for assertion in rule.get("Assertions") or []:
            if not resolver.resolve(assertion["Assert"], where):
                raise TemplateError(
                    str(assertion.get("AssertDescription") or f"Template error: rule {name} failed")
                )


def as_text(value: Any) -> str:
    """An output's or a property's value as CloudFormation shows it (lists joined with commas)."""
    if isinstance(value, list):
        return ",".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
