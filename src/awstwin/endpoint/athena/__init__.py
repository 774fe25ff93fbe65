"""Amazon Athena, locally: queries in Athena's (Trino) SQL run on DuckDB over the Glue catalog.

- `models.py`       the backend: query executions and their lifecycle (worker threads), the API
- `executions.py`   one execution's record, wire shape and persistence (one file per execution)
- `workgroups.py`   workgroups (`primary` always), result locations, tags
- `catalogs.py`     data catalogs, databases and table metadata (Athena's view of Glue)
- `saved.py`        named queries, prepared statements, `?` parameters
- `engine.py`       runs a statement: catalog tables become DuckDB views over their S3 files
- `translate.py`    Athena SQL -> DuckDB through sqlglot: tables, output names, partition pruning
- `language.py`     the Athena language only: every call checked against `functions.py` (Trino's list)
- `sandbox.py`      each query's DuckDB locked to the files it reads (no other file, URL, extension)
- `warm.py`         the next query's DuckDB opened ahead, a used one closed, off the query's path
- `locations.py`    table, CTAS and UNLOAD locations are S3 locations
- `sources.py`      a catalog table (SerDe, format, partitions) as a DuckDB relation
- `relations.py`    the same for Glue Data Quality's runs (handed to Glue by the endpoint)
- `dialect.py`      every Athena/DuckDB difference as data: types, functions, errors, statements
- `ddl/`            Hive DDL that reads or changes the Glue catalog (CREATE/DROP, ALTER, MSCK, SHOW)
- `writes.py`       CTAS and INSERT INTO: table files written to S3 and registered in the catalog
- `views.py`        Athena views as Glue stores them (Presto view encoding)
- `results.py`      the result `.csv`/`.txt`, `.metadata` and manifest files, and reading them back
- `information_schema.py`, `exceptions.py`
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.operations import Registry
from awstwin.endpoint.protocol.models import service_model
from awstwin.endpoint.protocol.service import ServiceApp

if TYPE_CHECKING:
    from awstwin.endpoint.athena.models import AthenaBackend
    from awstwin.endpoint.athena.relations import TableRelations
    from awstwin.endpoint.glue.catalog.models import CatalogBackend

# Athena answers a request that does not fit its model with this code (besides SerializationException).
INVALID_INPUT = "InvalidRequestException"


@dataclass
class Athena:
    backend: AthenaBackend
    app: ServiceApp
    relations: TableRelations  # catalog tables as DuckDB views, for Glue Data Quality


def backend_classes() -> tuple[type, ...]:
    """The classes whose `@handler` methods are Athena's operations (the actions table reads them)."""
    from awstwin.endpoint.athena.models import AthenaBackend

    return (AthenaBackend,)


def build(ctx: EndpointContext, catalog: CatalogBackend) -> Athena:
    """Athena over `catalog`, the endpoint's Glue Data Catalog (AwsDataCatalog)."""
    from awstwin.endpoint.athena.models import AthenaBackend
    from awstwin.endpoint.athena.relations import TableRelations

    backend = AthenaBackend(ctx, catalog)
    registry = Registry.of("athena", service_model("athena"), [backend])
    app = ServiceApp(registry, [backend], invalid_input_code=INVALID_INPUT)
    return Athena(backend, app, TableRelations(backend.engine))
