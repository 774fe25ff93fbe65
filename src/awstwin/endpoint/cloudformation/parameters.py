"""A stack's parameter values: given, previous or default, checked against the template's constraints.

Types (String, Number, List<Number>, CommaDelimitedList, the AWS-specific types, and
`AWS::SSM::Parameter::Value<...>` read from the endpoint's own Parameter Store), AllowedValues,
AllowedPattern, Min/MaxLength, Min/MaxValue, ConstraintDescription, NoEcho (shown as `****`), with
CloudFormation's messages
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from awstwin.endpoint.cloudformation.exceptions import TemplateError, ValidationError
from awstwin.endpoint.cloudformation.template import Template

SSM_VALUE = re.compile(r"^AWS::SSM::Parameter::Value<(?P<inner>.+)>$")
PLAIN_TYPES = ("String", "Number", "List<Number>", "CommaDelimitedList", "AWS::SSM::Parameter::Name")
AWS_SPECIFIC = re.compile(r"^(List<)?AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+(>)?$")
NO_ECHO_MASK = "****"


def is_list_type(kind: str) -> bool:
    inner = SSM_VALUE.match(kind)
    kind = inner["inner"] if inner else kind
    return kind == "CommaDelimitedList" or kind.startswith("List<")


def check_declarations(template: Template) -> None:
    for name, spec in template.parameters.items():
        kind = str((spec or {}).get("Type", ""))
        if kind not in PLAIN_TYPES and not SSM_VALUE.match(kind) and not AWS_SPECIFIC.match(kind):
            raise TemplateError(
                f"Template format error: Unrecognized parameter type: {kind or '(none)'} ({name})"
            )
        allowed = (spec or {}).get("AllowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise TemplateError("Template format error: Every AllowedValues member must be a list.")


@dataclass
class ParameterValues:
    """The values of one deployment: what Ref returns, and what DescribeStacks shows."""

    given: dict[str, str] = field(default_factory=dict)  # the text of each value, as stored
    resolved: dict[str, str] = field(default_factory=dict)  # SSM parameter types: the value read
    typed: dict[str, Any] = field(default_factory=dict)  # what Ref returns (lists for list types)
    no_echo: set[str] = field(default_factory=set)

    def wire(self) -> list[dict[str, str]]:
        items = []
        for key, value in self.given.items():
            item = {"ParameterKey": key, "ParameterValue": NO_ECHO_MASK if key in self.no_echo else value}
            if key in self.resolved:
                item["ResolvedValue"] = self.resolved[key]
            items.append(item)
        return items


def _check(name: str, spec: Mapping[str, Any], value: str) -> None:
    kind = str(spec.get("Type", "String"))
    inner = SSM_VALUE.match(kind)
    kind = inner["inner"] if inner else kind
    items = [v.strip() for v in value.split(",")] if is_list_type(kind) else [value]
    constraint = spec.get("ConstraintDescription")

    def fail(message: str) -> ValidationError:
        return ValidationError(
            f"Parameter {name} failed to satisfy constraint: {constraint}" if constraint else message
        )

    for item in items:
        if kind in ("Number", "List<Number>"):
            try:
                number = float(item)
            except ValueError:
                raise fail(f"Parameter '{name}' must be a number") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise fail(f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise fail(f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")
        allowed = spec.get("AllowedValues")
        if allowed is not None and item not in [str(a) for a in allowed]:
            raise fail(f"Parameter '{name}' must be one of AllowedValues")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(str(pattern), item):
            raise fail(f"Parameter '{name}' must match pattern {pattern}")
        if "MinLength" in spec and len(item) < int(spec["MinLength"]):
            raise fail(f"Parameter '{name}' must contain at least {spec['MinLength']} characters")
        if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
            raise fail(f"Parameter '{name}' must contain at most {spec['MaxLength']} characters")


def resolve(
    template: Template,
    given: list[Mapping[str, Any]] | None,
    previous: Mapping[str, str] | None,
    ssm: Callable[[str], str],
) -> ParameterValues:
    """The values of `given` (the API's Parameters list) over `previous` (UsePreviousValue) and the
    template's defaults, checked; `ssm(name)` reads a Parameter Store value."""
    check_declarations(template)
    declared = template.parameters
    values: dict[str, str] = {}
    unknown = []
    for item in given or []:
        key = str(item.get("ParameterKey"))
        if key not in declared:
            unknown.append(key)
        elif item.get("UsePreviousValue"):
            if previous is None or key not in previous:
                raise ValidationError(
                    f"Invalid input for parameter key {key}. Need to specify either usePreviousValue as true "
                    "or a value for the parameter"
                )
            values[key] = previous[key]
        elif "ParameterValue" in item and item["ParameterValue"] is not None:
            values[key] = str(item["ParameterValue"])
    if unknown:
        raise ValidationError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing = []
    result = ParameterValues()
    for name, spec in declared.items():
        spec = spec or {}
        if name not in values:
            if "Default" in spec:
                default = spec["Default"]
                values[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
            else:
                missing.append(name)
                continue
        if spec.get("NoEcho") in (True, "true", "True"):
            result.no_echo.add(name)
    if missing:
        raise ValidationError(f"Parameters: [{', '.join(missing)}] must have values")
    for name, spec in declared.items():
        spec = spec or {}
        text = values[name]
        result.given[name] = text
        kind = str(spec.get("Type", "String"))
        if SSM_VALUE.match(kind):
            text = ssm(text)
            result.resolved[name] = text
        _check(name, spec, text)
        result.typed[name] = [v.strip() for v in text.split(",")] if is_list_type(kind) else text
    return result
