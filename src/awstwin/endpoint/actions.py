"""The table of supported actions of the services the endpoint serves, for the README, from the code.

    python -m awstwin.endpoint.actions > actions.md

One row per operation the endpoint implements (the `@handler` registry that the dispatchers read too,
`operations.py`), with what it does locally: the first paragraph of the handler's docstring. The
table is the code's own account, so it cannot drift from it; a test checks that every implemented
operation has such a line. Other services (IAM, STS, CloudWatch Logs,
Secrets Manager, ...) are moto's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from awstwin.endpoint.operations import Registry
from awstwin.endpoint.protocol.models import service_model

SERVICES = (
    (
        "glue",
        "AWS Glue",
        "Data Catalog, crawlers that crawl, jobs that run their scripts, Data Quality that evaluates DQDL",
    ),
    ("athena", "Amazon Athena", "Athena SQL on DuckDB over the Glue catalog"),
    ("s3", "Amazon S3", "objects as plain files under the state directory"),
    ("cloudformation", "AWS CloudFormation", "stacks whose resources the endpoint's own services create"),
    (
        "redshift-serverless",
        "Amazon Redshift Serverless",
        "namespaces and workgroups served by the local warehouse, temporary credentials",
    ),
    (
        "redshift-data",
        "Amazon Redshift Data API",
        "statements that run on the warehouse through the Redshift front",
    ),
)


def summary(handler: Callable[..., Any]) -> str:
    """The first paragraph of a handler's docstring, on one line ('' when it has none)."""
    doc = inspect.getdoc(handler) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def registries() -> dict[str, Registry]:
    """service -> its registry of `@handler` operations, read from the backend classes (no endpoint)."""
    from awstwin.endpoint import athena, cloudformation, glue, redshift
    from awstwin.endpoint.s3.operations import S3Operations

    classes = {
        "glue": glue.backend_classes(),
        "athena": athena.backend_classes(),
        "s3": (S3Operations,),
        "cloudformation": cloudformation.backend_classes(),
    }
    classes.update(redshift.backend_classes())
    return {name: Registry.of(name, service_model(name), owners) for name, owners in classes.items()}


def implemented() -> dict[str, dict[str, Callable[..., Any]]]:
    """service -> {operation: handler} for every service the endpoint serves, as the dispatchers do."""
    return {
        name: {op: registry.operations[op].function for op in registry.names()}
        for name, registry in registries().items()
    }


def markdown(services: dict[str, dict[str, Callable[..., Any]]] | None = None) -> str:
    services = services if services is not None else implemented()
    lines: list[str] = []
    for key, title, what in SERVICES:
        operations = services.get(key, {})
        lines += [f"### {title} ({len(operations)} actions: {what})", "", "| Action | What it does locally |"]
        lines.append("|---|---|")
        for name in sorted(operations):
            text = summary(operations[name]).replace("|", "\\|")
            lines.append(f"| `{name}` | {text} |")
        lines.append("")
    lines.append(
        "Any other action of these services answers HTTP 501 (`NotImplementedError`; S3: `NotImplemented`) "
        "naming it, and changes nothing. IAM, STS, CloudWatch Logs (with FilterLogEvents paged by AWS's "
        "resumable token), Secrets Manager and every other service are served by moto."
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    print(markdown(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
