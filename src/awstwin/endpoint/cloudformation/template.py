"""A CloudFormation template read as CloudFormation reads it: YAML (with the short `!Ref` tags) or JSON,
its sections checked, what each resource refers to, the order to create them in, and the capabilities
the template needs. Refusals are `TemplateError`s (ValidationError) in CloudFormation's own words
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html).
Resolving intrinsic functions is `intrinsics.py`; parameters are `parameters.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from typing import Any

import yaml

from awstwin.endpoint.cloudformation.exceptions import TemplateError

SECTIONS = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
)
PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/control-access-with-iam.html#using-iam-capabilities
IAM_TYPES = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}
SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")
RESOURCE_TYPE = re.compile(r"^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$")


# libyaml's parser when PyYAML has it (ten times faster on a pipeline template), else PyYAML's own.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
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


def parse(text: str) -> dict[str, Any]:
    """The template document, JSON or YAML, or CloudFormation's "not well-formed" error."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateError(
                f"Template format error: JSON not well-formed. (line {exc.lineno}, column {exc.colno})"
            ) from None
    else:
        try:
            document = yaml.load(text, Loader=_Loader)  # noqa: S506 - our SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise TemplateError(f"Template format error: YAML not well-formed.{where}") from None
    if not isinstance(document, dict):
        raise TemplateError("Template format error: unsupported structure.")
    return document


def references(value: Any) -> set[str]:
    """Names a value points at: Ref targets, Fn::GetAtt resources, ${X} and ${X.Attr} in Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                local = set(arg[1]) if isinstance(arg, list) and isinstance(arg[1], dict) else set()
                if isinstance(text, str):
                    found |= {
                        name.split(".", 1)[0] if "::" not in name else name
                        for name in SUB_VARIABLE.findall(text)
                        if not name.startswith("!") and name not in local
                    }
                if isinstance(arg, list) and len(arg) > 1:
                    found |= references(arg[1])
            else:
                found |= references(arg)
    return found


def _conditions_used(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _conditions_used(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Fn::If" and isinstance(arg, list) and arg:
                found.add(str(arg[0]))
            if key == "Condition" and isinstance(arg, str):
                found.add(arg)
            found |= _conditions_used(arg)
    return found


@dataclass(frozen=True)
class Template:
    """One template: its text as given (GetTemplate answers it) and the parsed, checked document."""

    body: str
    document: Mapping[str, Any]

    @classmethod
    def read(cls, body: str) -> Template:
        template = cls(body, parse(body))
        template.check()
        return template

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        return self.document["Resources"]

    @property
    def parameters(self) -> Mapping[str, Mapping[str, Any]]:
        return self.document.get("Parameters") or {}

    @property
    def conditions(self) -> Mapping[str, Any]:
        return self.document.get("Conditions") or {}

    @property
    def outputs(self) -> Mapping[str, Mapping[str, Any]]:
        return self.document.get("Outputs") or {}

    @property
    def mappings(self) -> Mapping[str, Any]:
        return self.document.get("Mappings") or {}

    @property
    def description(self) -> str | None:
        text = self.document.get("Description")
        return str(text) if text is not None else None

    @property
    def transforms(self) -> list[str]:
        transform = self.document.get("Transform")
        if transform is None:
            return []
        items = transform if isinstance(transform, list) else [transform]
        return [str(item.get("Name")) if isinstance(item, dict) else str(item) for item in items]

    def check(self) -> None:
        """The checks CloudFormation makes before it creates anything (ValidateTemplate's)."""
        unknown = [key for key in self.document if key not in SECTIONS]
        if unknown:
            raise TemplateError(
                f"Template format error: Invalid template property or properties [{', '.join(unknown)}]"
            )
        resources = self.document.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise TemplateError("Template format error: At least one Resources member must be defined.")
        for section in ("Parameters", "Mappings", "Conditions", "Outputs", "Rules"):
            if section in self.document and not isinstance(self.document[section], dict):
                raise TemplateError(f"Template format error: {section} must be an object")
        bad_types = sorted(
            {str(r.get("Type")) for r in resources.values() if not isinstance(r, dict) or not _is_type(r)}
        )
        if bad_types:
            raise TemplateError(
                f"Template format error: Unrecognized resource types: [{', '.join(bad_types)}]"
            )
        known = set(resources) | set(self.parameters) | set(PSEUDO_PARAMETERS)
        for resource in resources.values():
            unresolved = sorted(
                name
                for name in references(resource.get("Properties") or {}) | set(self._depends_on(resource))
                if name not in known
            )
            if unresolved:
                raise TemplateError(
                    f"Template format error: Unresolved resource dependencies [{', '.join(unresolved)}] "
                    "in the Resources block of the template"
                )
        for name, output in self.outputs.items():
            if not isinstance(output, dict) or "Value" not in output:
                raise TemplateError(
                    f"Template format error: Every Outputs member must contain a Value object ({name})"
                )
            unresolved = sorted(n for n in references(output["Value"]) if n not in known)
            if unresolved:
                raise TemplateError(
                    f"Template format error: Unresolved resource dependencies [{', '.join(unresolved)}] "
                    "in the Outputs block of the template"
                )
        used = (
            _conditions_used(resources) | _conditions_used(self.outputs) | _conditions_used(self.conditions)
        )
        used |= {str(r["Condition"]) for r in resources.values() if "Condition" in r}
        used |= {str(o["Condition"]) for o in self.outputs.values() if "Condition" in o}
        missing = sorted(used - set(self.conditions))
        if missing:
            raise TemplateError(
                f"Template format error: Unresolved condition dependencies [{', '.join(missing)}]"
            )
        self.creation_order  # noqa: B018 - a cycle is a template error

    @staticmethod
    def _depends_on(resource: Mapping[str, Any]) -> list[str]:
        depends = resource.get("DependsOn") or []
        return [depends] if isinstance(depends, str) else [str(d) for d in depends]

    def dependencies(self, logical_id: str) -> set[str]:
        """The resources `logical_id` refers to or DependsOn."""
        resource = self.resources[logical_id]
        names = references(resource.get("Properties") or {}) | set(self._depends_on(resource))
        return {name for name in names if name in self.resources and name != logical_id}

    @cached_property
    def creation_order(self) -> list[str]:
        """Logical ids, each after everything it refers to or DependsOn (deletion goes backwards)."""
        graph = {logical_id: self.dependencies(logical_id) for logical_id in self.resources}
        try:
            return list(TopologicalSorter(graph).static_order())
        except CycleError as exc:
            cycle = sorted(set(exc.args[1]))
            raise TemplateError(f"Circular dependency between resources: [{', '.join(cycle)}]") from None

    def required_capabilities(self) -> tuple[list[str], str]:
        """(capabilities, reason) the template needs acknowledged, as GetTemplateSummary reports them."""
        iam_types = sorted({str(r["Type"]) for r in self.resources.values() if r.get("Type") in IAM_TYPES})
        needed: list[str] = []
        reason = ""
        if iam_types:
            named = any(
                IAM_TYPES[r["Type"]] in (r.get("Properties") or {})
                for r in self.resources.values()
                if r.get("Type") in IAM_TYPES
            )
            needed.append("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
            reason = f"The following resource(s) require capabilities: [{', '.join(iam_types)}]"
        if self.transforms:
            needed.append("CAPABILITY_AUTO_EXPAND")
        return needed, reason

    def check_capabilities(self, given: list[str] | None) -> list[str]:
        """The capabilities still missing from `given` (CAPABILITY_NAMED_IAM covers CAPABILITY_IAM)."""
        have = set(given or [])
        missing = []
        for capability in self.required_capabilities()[0]:
            if capability == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in have:
                continue
            if capability not in have:
                missing.append(capability)
        return missing


def _is_type(resource: Mapping[str, Any]) -> bool:
    kind = resource.get("Type")
    return isinstance(kind, str) and (bool(RESOURCE_TYPE.match(kind)) or kind.startswith("Custom::"))
