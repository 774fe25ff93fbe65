"""How a Data Quality run reads its tables: through the endpoint's `TableRelations` (Athena's reading
of a catalog table's files: SerDe, partitions, types), handed in by the endpoint so Glue's code does
not import Athena's. A DataSource's `GlueTable.AdditionalOptions` may narrow the partitions read
(`pushDownPredicate`, `catalogPartitionPredicate`: Spark SQL over the partition keys), as Glue
documents for Data Quality.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

PREDICATE_OPTIONS = ("pushDownPredicate", "catalogPartitionPredicate")


class TableReadError(Exception):
    """The run's table cannot be read (`Relations.register` raises it); the message becomes the run's
    ErrorString."""


class Reading(Protocol):
    """One run's DuckDB connection (`con`): tables are registered, then `lock` walls it in to their
    files and creates their views; `close` ends it."""

    con: Any

    def register(
        self, database: str, name: str, view: str, partition_predicates: Sequence[str] = ()
    ) -> None: ...

    def lock(self) -> None: ...

    def close(self) -> None: ...


class Relations(Protocol):
    """What `awstwin.endpoint.athena.relations.TableRelations` offers a Data Quality run."""

    def connect(self) -> Reading: ...


def glue_table(source: dict[str, Any]) -> dict[str, Any]:
    table = source.get("GlueTable") or source.get("DataQualityGlueTable")
    if not table:
        raise TableReadError("DataSource needs a GlueTable (DatabaseName, TableName)")
    return table


def connect(relations: Relations | None) -> Reading:
    if relations is None:
        raise TableReadError(
            "Glue Data Quality reads tables through the endpoint's Athena engine; none is set"
        )
    return relations.connect()


def register(reading: Reading, source: dict[str, Any], view: str) -> None:
    """Register the view `view` over the rows of a DataSource's table (made by `reading.lock()`)."""
    table = glue_table(source)
    options = table.get("AdditionalOptions") or {}
    predicates = [options[k] for k in PREDICATE_OPTIONS if options.get(k)]
    reading.register(table.get("DatabaseName", ""), table.get("TableName", ""), view, predicates)
