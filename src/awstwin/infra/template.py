"""The checkout's CloudFormation template (infra/pipeline.yaml) read from its file, by the same reader
the endpoint's CloudFormation uses, and the parameter values it is deployed with."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from awstwin.endpoint.cloudformation.exceptions import TemplateError
from awstwin.endpoint.cloudformation.template import Template


def read_template(path: Path) -> Template:
    """The template at `path`, checked as CloudFormation checks it; errors name the file."""
    try:
        return Template.read(path.read_text())
    except TemplateError as exc:
        raise TemplateError(f"{path}: {exc.message}") from None


def load_template(path: Path) -> dict[str, Any]:
    """The parsed document of the template at `path`."""
    return dict(read_template(path).document)


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
