"""A catalog table as a DuckDB view, read the way Athena reads its files (SerDe, partitions, types).

An evaluation run's `DataSource.GlueTable.AdditionalOptions` may narrow the partitions it reads, as
Glue documents for Data Quality (`pushDownPredicate`, `catalogPartitionPredicate`: Spark SQL over the
partition keys): https://docs.aws.amazon.com/glue/latest/dg/data-quality-gs-studio-notebooks.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from awstwin.dataquality.checks import RuleError, quote, spark_sql
from awstwin.dataquality.conditions import sql_literal
from awstwin.endpoint.athena import sources
from awstwin.endpoint.glue.exceptions import EntityNotFoundException

PREDICATE_OPTIONS = ("pushDownPredicate", "catalogPartitionPredicate")


class TableReadError(Exception):
    """The run's table cannot be read; the message becomes the run's ErrorString."""


def register(con: Any, catalog: Any, s3: Any, glue_table: dict[str, Any], view: str) -> None:
    """Create the view `view` over the rows of `glue_table` (a DataSource's GlueTable)."""
    database, name = glue_table.get("DatabaseName", ""), glue_table.get("TableName", "")
    try:
        table = catalog.get_table(DatabaseName=database, Name=name)["Table"]
    except EntityNotFoundException:
        raise TableReadError(
            f"EntityNotFoundException: Table {name} not found in database {database}"
        ) from None
    options = glue_table.get("AdditionalOptions") or {}
    keep = _partition_filter(con, table, [options[k] for k in PREDICATE_OPTIONS if options.get(k)])
    source = sources.resolve(catalog, s3, database, name, table, keep)
    con.execute(f"CREATE OR REPLACE VIEW {quote(view)} AS {sources.relation_sql(source, con)}")


def _partition_filter(
    con: Any, table: dict[str, Any], predicates: list[str]
) -> Callable[[list[str]], bool] | None:
    if not predicates:
        return None
    if not table.get("PartitionKeys"):
        raise TableReadError(
            f"Table {table.get('Name')} has no partition keys, so a partition predicate cannot apply to it"
        )
    probe = sources.TableSource(
        table.get("DatabaseName", ""), table["Name"], table, sources.StorageFormat.from_table(table)
    )
    keys = probe.partition_keys
    try:
        conditions = [spark_sql(p, f"partition predicate {p!r}") for p in predicates]
    except RuleError as exc:
        raise TableReadError(str(exc)) from None

    def keep(values: list[str]) -> bool:
        row = ", ".join(
            f"TRY_CAST({sql_literal(v)} AS {hive.duckdb()}) AS {quote(k)}"
            for (k, hive), v in zip(keys, values, strict=False)
        )
        where = " AND ".join(f"({c})" for c in conditions)
        try:
            return bool(
                con.execute(f"SELECT count(*) FROM (SELECT {row}) AS p WHERE {where}").fetchall()[0][0]
            )
        except Exception as exc:
            raise TableReadError(f"partition predicate {' AND '.join(predicates)!r} failed: {exc}") from None

    return keep
