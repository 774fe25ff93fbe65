"""Read a CloudFormation template and resolve its intrinsic functions, as CloudFormation would.

Only what a pipeline template needs: `Ref` (parameters, resources, pseudo parameters), `Fn::Sub`,
`Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` with `Conditions` (`Fn::Equals`,
`Fn::Not`, `Fn::And`, `Fn::Or`) and `AWS::NoValue`. Anything else fails with the function's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml


class TemplateError(ValueError):
    """The template cannot be read or resolved; the message names the resource or parameter."""


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags: `!Ref X` -> {"Ref": X}, `!Sub s` -> {"Fn::Sub": s}, ..."""


def _construct_tag(loader: _Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_Loader.add_multi_constructor("!", _construct_tag)
# CloudFormation keeps "2010-09-09" and "5.0" as strings when quoted; YAML 1.1 timestamps stay text too.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in _Loader.yaml_implicit_resolvers.items()
}


def load_template(path: Path) -> dict[str, Any]:
    """Parse a YAML (or JSON) template; every top-level section it uses must be a mapping."""
    try:
        document = yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - our SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: a template needs a Resources mapping")
    return document


NO_VALUE = object()  # what `Ref AWS::NoValue` resolves to: the property is dropped
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameters, pseudo parameters and created resources."""

    parameters: Mapping[str, str]
    pseudo: Mapping[str, str]
    conditions: Mapping[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # logical id -> physical id
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {attr: value}
    unavailable: dict[str, str] = field(default_factory=dict)  # logical id -> why it was not created

    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item, where) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg, where)
            if key.startswith("Fn::"):
                raise TemplateError(f"{where}: intrinsic function {key} is not supported locally")
        resolved = {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

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
        raise TemplateError(f"{where}: Ref to {name!r}, which is no parameter and no created resource")

    def get_att(self, logical_id: str, attribute: str, where: str) -> str:
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            if logical_id in self.unavailable:
                raise TemplateError(
                    f"{where}: no attribute {logical_id}.{attribute}: {logical_id} is not created here "
                    f"({self.unavailable[logical_id]})"
                ) from None
            raise TemplateError(
                f"{where}: no attribute {logical_id}.{attribute} (is the resource created?)"
            ) from None

    def sub(self, arg: Any, where: str) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v, where) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute, where)
            return str(self.ref(name, where))

        return _SUB_VARIABLE.sub(replace, text)

    def condition(self, name: str, where: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"{where}: no condition {name!r} in Conditions")
        return bool(self.resolve(self.conditions[name], f"Conditions.{name}"))


def _get_att(resolver: Resolver, arg: Any, where: str) -> str:
    logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
    return resolver.get_att(logical_id, attribute, where)


def _join(resolver: Resolver, arg: Any, where: str) -> str:
    delimiter, items = arg
    return str(delimiter).join(str(item) for item in resolver.resolve(items, where))


def _if(resolver: Resolver, arg: Any, where: str) -> Any:
    name, when_true, when_false = arg
    return resolver.resolve(when_true if resolver.condition(name, where) else when_false, where)


_FUNCTIONS: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": lambda r, arg, where: r.ref(arg, where),
    "Fn::Sub": lambda r, arg, where: r.sub(arg, where),
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Select": lambda r, arg, where: r.resolve(arg[1], where)[int(r.resolve(arg[0], where))],
    "Fn::Split": lambda r, arg, where: str(r.resolve(arg[1], where)).split(arg[0]),
    "Fn::If": _if,
    "Fn::Equals": lambda r, arg, where: r.resolve(arg[0], where) == r.resolve(arg[1], where),
    "Fn::Not": lambda r, arg, where: not r.resolve(arg[0], where),
    "Fn::And": lambda r, arg, where: all(r.resolve(a, where) for a in arg),
    "Fn::Or": lambda r, arg, where: any(r.resolve(a, where) for a in arg),
    "Condition": lambda r, arg, where: r.condition(arg, where),
}


def parameter_values(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    """Given values over the template's defaults; a parameter with neither is an error naming it."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"values for parameters the template does not declare: {', '.join(unknown)}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = str(given[name])
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no value and no Default")
    return values


def _references(value: Any) -> set[str]:
    """Logical ids a resource's properties point at (Ref, GetAtt, ${X} and ${X.Attr} in Sub)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                found |= {m.split(".", 1)[0] for m in _SUB_VARIABLE.findall(text) if not m.startswith("!")}
                if isinstance(arg, list):
                    found |= _references(arg[1])
            else:
                found |= _references(arg)
    return found


def creation_order(template: Mapping[str, Any]) -> list[str]:
    """Logical ids in an order where every resource comes after what it refers to or DependsOn."""
    resources: Mapping[str, Any] = template["Resources"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else list(depends)
        refs = _references(resource.get("Properties") or {})
        graph[logical_id] = {name for name in (*depends, *refs) if name in resources}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise TemplateError(f"resources refer to each other in a cycle: {exc.args[1]}") from exc
