"""Catalog tables as DuckDB views, for another service that reads tables the way Athena does.

Glue Data Quality's evaluation and recommendation runs read their table's files with Athena's SerDe,
partition and type semantics. The endpoint hands them this object (`server.py`), so Glue's code
never imports Athena's (Athena already reads Glue's catalog). Partition predicates (Glue's
`pushDownPredicate` / `catalogPartitionPredicate`, Spark SQL over the partition keys) pick the
partitions before any file is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlglot

from awstwin.endpoint.athena import sources
from awstwin.endpoint.athena.dialect import quote_identifier, quote_literal
from awstwin.endpoint.athena.engine import QueryEngine
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.dataquality.tables import TableReadError  # the run's ErrorString


class TableRelations:
    def __init__(self, engine: QueryEngine):
        self.engine = engine

    def connect(self) -> Any:
        """A DuckDB connection set up as Athena's (spill folder, UTC, SerDe-safe casts)."""
        return self.engine.connect()

    def register(
        self, con: Any, database: str, name: str, view: str, partition_predicates: Sequence[str] = ()
    ) -> None:
        """Create the view `view` on `con` over the rows of table `database.name`."""
        catalog = self.engine.catalog
        try:
            table = catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            raise TableReadError(
                f"EntityNotFoundException: Table {name} not found in database {database}"
            ) from None
        keep = _partition_filter(con, database, table, list(partition_predicates))
        source = sources.resolve(catalog, self.engine.s3, database, name, table, keep)
        con.execute(f"CREATE OR REPLACE VIEW {quote_identifier(view)} AS {sources.relation_sql(source, con)}")


def _partition_filter(
    con: Any, database: str, table: dict[str, Any], predicates: list[str]
) -> Callable[[list[str]], bool] | None:
    if not predicates:
        return None
    if not table.get("PartitionKeys"):
        raise TableReadError(f"Table {table['Name']} has no partition keys for a partition predicate to pick")
    probe = sources.TableSource(database, table["Name"], table, sources.StorageFormat.from_table(table))
    keys = probe.partition_keys
    try:
        conditions = [sqlglot.transpile(p, read="spark", write="duckdb")[0] for p in predicates]
    except sqlglot.errors.ParseError as exc:
        raise TableReadError(f"partition predicate is not Spark SQL: {str(exc).splitlines()[0]}") from None
    where = " AND ".join(f"({c})" for c in conditions)

    def keep(values: list[str]) -> bool:
        row = ", ".join(
            f"TRY_CAST({quote_literal(v)} AS {hive.duckdb()}) AS {quote_identifier(k)}"
            for (k, hive), v in zip(keys, values, strict=False)
        )
        try:
            return bool(
                con.execute(f"SELECT count(*) FROM (SELECT {row}) AS p WHERE {where}").fetchall()[0][0]
            )
        except Exception as exc:
            raise TableReadError(f"partition predicate {' AND '.join(predicates)!r} failed: {exc}") from None

    return keep
