"""The table of supported Glue, Athena and S3 actions for the README, generated from the code.

    python -m awstwin.endpoint.actions > actions.md

One row per operation the endpoint implements (`JsonService.implemented_operations()` for Glue and
Athena, the S3 handlers the S3 app dispatches to), with what it does locally: the first paragraph of
the handler's docstring. The table is the code's own account, so it cannot drift from it; a test
checks that every implemented operation has such a line. Other services (IAM, STS, CloudWatch Logs,
Secrets Manager, ...) are moto's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

SERVICES = (
    ("glue", "AWS Glue", "Data Catalog, crawlers that crawl, jobs that run their scripts"),
    ("athena", "Amazon Athena", "Athena SQL on DuckDB over the Glue catalog"),
    ("s3", "Amazon S3", "objects as plain files under the state directory"),
)


def summary(handler: Callable[..., Any]) -> str:
    """The first paragraph of a handler's docstring, on one line ('' when it has none)."""
    doc = inspect.getdoc(handler) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def s3_handlers() -> dict[str, Callable[..., Any]]:
    """S3 operation name -> handler, for every operation botocore's model names that has one."""
    from botocore import xform_name

    from awstwin.endpoint.s3 import protocol
    from awstwin.endpoint.s3.operations import S3Operations

    model = protocol.s3_model()
    handlers = {}
    for name in model.operation_names:
        method = getattr(S3Operations, xform_name(name), None)
        if callable(method) and not model.operation_model(name).deprecated:
            handlers[name] = method
    return handlers


def implemented() -> dict[str, dict[str, Callable[..., Any]]]:
    """service -> {operation: handler} for Glue, Athena (as the endpoint wires them) and S3."""
    from awstwin.core.config import EndpointSettings
    from awstwin.endpoint.server import Endpoint

    endpoint = Endpoint(EndpointSettings(port=0, state_dir=None))  # a throwaway state folder
    try:
        services = {
            name: {op: endpoint.apps[name]._method(op) for op in endpoint.apps[name].implemented_operations()}
            for name in ("glue", "athena")
        }
    finally:
        endpoint.close()
    services["s3"] = s3_handlers()
    return services


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
