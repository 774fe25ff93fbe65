"""Template operations: GetTemplate, GetTemplateSummary and ValidateTemplate."""

from __future__ import annotations

import json
from typing import Any

from awstwin.endpoint.cloudformation.exceptions import ChangeSetNotFound, ValidationError
from awstwin.endpoint.cloudformation.models import CloudFormationState, unsupported
from awstwin.endpoint.cloudformation.parameters import check_declarations
from awstwin.endpoint.cloudformation.template import Template
from awstwin.endpoint.operations import handler


def _no_echo(spec: dict[str, Any]) -> bool:
    return spec.get("NoEcho") in (True, "true", "True")


def _default(spec: dict[str, Any]) -> str | None:
    default = spec.get("Default")
    if default is None:
        return None
    return ",".join(map(str, default)) if isinstance(default, list) else str(default)


class TemplateApi:
    state: CloudFormationState

    @handler("GetTemplate")
    def get_template(
        self, StackName: str | None = None, ChangeSetName: str | None = None, TemplateStage: str | None = None
    ) -> dict[str, Any]:
        """The template body a stack (or one of its change sets) was deployed with, as it was given."""
        if not StackName and not (ChangeSetName or "").startswith("arn:"):
            raise ValidationError("StackName must be specified")
        if ChangeSetName:
            stacks = [self.state.find(StackName)] if StackName else list(self.state.stacks.values())
            for stack in stacks:
                for change_set in stack.change_sets.values():
                    if ChangeSetName in (change_set.name, change_set.change_set_id):
                        return {
                            "TemplateBody": change_set.template_body,
                            "StagesAvailable": ["Original", "Processed"],
                        }
            raise ChangeSetNotFound(ChangeSetName)
        stack = self.state.find(str(StackName))
        return {"TemplateBody": stack.template_body, "StagesAvailable": ["Original", "Processed"]}

    @handler("GetTemplateSummary")
    def get_template_summary(
        self,
        TemplateBody: str | None = None,
        TemplateURL: str | None = None,
        StackName: str | None = None,
        StackSetName: str | None = None,
        CallAs: str | None = None,
        TemplateSummaryConfig: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A template's parameters (types, defaults, allowed values), resource types, capabilities needed."""
        unsupported(StackSetName=StackSetName)
        if StackName:
            template = Template.read(self.state.find(StackName).template_body)
        else:
            template = self.state.template(TemplateBody, TemplateURL)
        check_declarations(template)
        capabilities, reason = template.required_capabilities()
        parameters = []
        for key, spec in template.parameters.items():
            spec = spec or {}
            item: dict[str, Any] = {
                "ParameterKey": key,
                "DefaultValue": _default(spec),
                "ParameterType": str(spec.get("Type", "String")),
                "NoEcho": _no_echo(spec),
                "Description": spec.get("Description"),
            }
            if "AllowedValues" in spec:
                item["ParameterConstraints"] = {"AllowedValues": [str(v) for v in spec["AllowedValues"]]}
            parameters.append(item)
        metadata = template.document.get("Metadata")
        return {
            "Parameters": parameters,
            "Description": template.description,
            "Capabilities": capabilities or None,
            "CapabilitiesReason": reason or None,
            "ResourceTypes": sorted({str(r["Type"]) for r in template.resources.values()}),
            "Version": str(template.document.get("AWSTemplateFormatVersion", "2010-09-09")),
            "Metadata": json.dumps(metadata) if metadata is not None else None,
            "DeclaredTransforms": template.transforms or None,
        }

    @handler("ValidateTemplate")
    def validate_template(
        self, TemplateBody: str | None = None, TemplateURL: str | None = None
    ) -> dict[str, Any]:
        """Checks a template as CloudFormation does before creating anything (sections, references,
        parameter types, cycles) and lists its parameters and the capabilities it needs."""
        template = self.state.template(TemplateBody, TemplateURL)
        check_declarations(template)
        capabilities, reason = template.required_capabilities()
        return {
            "Parameters": [
                {
                    "ParameterKey": key,
                    "DefaultValue": _default(spec or {}),
                    "NoEcho": _no_echo(spec or {}),
                    "Description": (spec or {}).get("Description"),
                }
                for key, spec in template.parameters.items()
            ],
            "Description": template.description,
            "Capabilities": capabilities or None,
            "CapabilitiesReason": reason or None,
            "DeclaredTransforms": template.transforms or None,
        }
