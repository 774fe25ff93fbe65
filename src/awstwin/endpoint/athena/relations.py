"""Catalog tables as DuckDB views, for another service that reads tables the way Athena does.

Glue Data Quality's evaluation and recommendation runs read their table's files with Athena's SerDe,
partition and type semantics. The endpoint hands them this object (`server.py`), so Glue's code
never imports Athena's (Athena already reads Glue's catalog). Partition predicates (Glue's
`pushDownPredicate` / `catalogPartitionPredicate`, Spark SQL over the partition keys) pick the
partitions before any file is read. Each run's connection is walled in as Athena's queries are
(`sandbox.py`): it reads only the files of the tables it registered, and writes only to its scratch.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from awstwin.endpoint.athena import sandbox, sources
from awstwin.endpoint.athena.dialect import quote_identifier, quote_literal
from awstwin.endpoint.athena.engine import QueryEngine
from awstwin.endpoint.athena.results import scratch_dir
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.dataquality.tables import TableReadError  # the run's ErrorString


class TableRelations:
    def __init__(self, engine: QueryEngine):
        self.engine = engine

    def connect(self) -> TableReading:
        """A DuckDB connection set up as Athena's (spill folder, UTC, SerDe-safe casts), walled in as
        Athena's queries are (`sandbox.py`) once `TableReading.lock` is called."""
        return TableReading(self.engine)


class TableReading:
    """One run's DuckDB: tables registered first, then `lock` walls the connection in to their files
    and its own scratch folder (a CustomSql rule is SQL a caller wrote) and creates the views."""

    def __init__(self, engine: QueryEngine):
        self.engine = engine
        self.scratch = scratch_dir(engine.state_dir)
        self.con = engine.connect(self.scratch)
        self._files: set[Path] = set()
        self._views: list[tuple[str, sources.TableSource]] = []
        self._locked = False

    def register(self, database: str, name: str, view: str, partition_predicates: Sequence[str] = ()) -> None:
        """Resolve table `database.name` (its files, pruned by the predicates); `lock` makes the view."""
        if self._locked:
            raise RuntimeError("a locked table reading was asked to read another table")
        catalog = self.engine.catalog
        try:
            table = catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            raise TableReadError(
                f"EntityNotFoundException: Table {name} not found in database {database}"
            ) from None
        keep = _partition_filter(self.con, database, table, list(partition_predicates))
        source = sources.resolve(catalog, self.engine.s3, database, name, table, keep)
        self._files.update(f.path for f in source.files)
        self._views.append((view, source))

    def lock(self) -> None:
        """From now on the connection reads only the registered tables' files; their views exist."""
        sandbox.lock(self.con, [self.scratch], self._files)
        self._locked = True
        for view, source in self._views:
            self.con.execute(
                f"CREATE OR REPLACE VIEW {quote_identifier(view)} AS {sources.relation_sql(source, self.con)}"
            )

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


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
