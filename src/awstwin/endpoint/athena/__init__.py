"""Amazon Athena, locally: queries in Athena's (Trino) SQL run on DuckDB over the Glue catalog.

- `models.py`       the backend: query executions and their lifecycle (worker threads), the API
- `executions.py`   one execution's record, wire shape and persistence (one file per execution)
- `workgroups.py`   workgroups (`primary` always), result locations, tags
- `catalogs.py`     data catalogs, databases and table metadata (Athena's view of Glue)
- `saved.py`        named queries, prepared statements, `?` parameters
- `engine.py`       runs a statement: catalog tables become DuckDB views over their S3 files
- `translate.py`    Athena SQL -> DuckDB through sqlglot: tables, output names, partition pruning
- `sources.py`      a catalog table (SerDe, format, partitions) as a DuckDB relation
- `dialect.py`      every Athena/DuckDB difference as data: types, functions, errors, statements
- `ddl.py`          Hive DDL that reads or changes the Glue catalog (CREATE/DROP, ALTER, MSCK, SHOW)
- `writes.py`       CTAS and INSERT INTO: table files written to S3 and registered in the catalog
- `views.py`        Athena views as Glue stores them (Presto view encoding)
- `results.py`      the result `.csv`/`.txt`, `.metadata` and manifest files, and reading them back
- `information_schema.py`, `exceptions.py`
"""

from __future__ import annotations

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.protocol.json_protocol import JsonService


def build(ctx: EndpointContext) -> JsonService:
    from awstwin.endpoint.athena.models import AthenaBackend

    backend = AthenaBackend(ctx)
    ctx.backends["athena"] = backend
    return JsonService("athena", [backend], validation_error_code="InvalidRequestException")
