"""Amazon Athena, locally: queries in Athena's (Trino) SQL run on DuckDB over the Glue catalog.

- `models.py`   query executions, workgroups and their lifecycle
- `dialect.py`  Athena SQL -> DuckDB through sqlglot; Athena's type names
- `engine.py`   runs a query: catalog tables become DuckDB views over the S3 objects
- `ddl.py`      DDL that changes the Glue catalog (CREATE/DROP DATABASE/TABLE, MSCK REPAIR, CTAS)
- `results.py`  the result CSV and `.csv.metadata` written to the output location
"""

from __future__ import annotations

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.protocol.json_protocol import JsonService


def build(ctx: EndpointContext) -> JsonService:
    from awstwin.endpoint.athena.models import AthenaBackend

    backend = AthenaBackend(ctx)
    ctx.backends["athena"] = backend
    return JsonService("athena", [backend], validation_error_code="InvalidRequestException")
