"""`information_schema` (schemata, tables, columns, views) built from the Glue catalog on demand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from awstwin.endpoint.athena import dialect
from awstwin.endpoint.athena.dialect import HiveTypeError, parse_hive_type
from awstwin.endpoint.athena.views import decode_view

TABLES = ("schemata", "tables", "columns", "views")


def _databases(catalog: Any) -> list[str]:
    return sorted(d["Name"] for d in catalog.get_databases().get("DatabaseList") or [])


def _tables(catalog: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for database in _databases(catalog):
        for table in catalog.get_tables(DatabaseName=database).get("TableList") or []:
            yield database, table


def _presto(type_text: str) -> str:
    try:
        return parse_hive_type(type_text).presto()
    except HiveTypeError:
        return type_text


def build(catalog: Any, name: str) -> pa.Table:
    """One information_schema table as Athena shows it, from the catalog as it is now."""
    c = dialect.ENGINE_CATALOG
    if name == "schemata":
        names = ["information_schema", *_databases(catalog)]
        return pa.table({"catalog_name": [c] * len(names), "schema_name": names})
    rows: list[dict[str, Any]] = []
    for database, table in _tables(catalog):
        is_view = table.get("TableType") == "VIRTUAL_VIEW"
        if name == "tables":
            rows.append(
                {
                    "table_catalog": c,
                    "table_schema": database,
                    "table_name": table["Name"],
                    "table_type": "VIEW" if is_view else "BASE TABLE",
                }
            )
        elif name == "views" and is_view:
            view = decode_view(table) or {}
            rows.append(
                {
                    "table_catalog": c,
                    "table_schema": database,
                    "table_name": table["Name"],
                    "view_definition": view.get("originalSql", ""),
                }
            )
        elif name == "columns":
            columns = ((table.get("StorageDescriptor") or {}).get("Columns") or []) + (
                table.get("PartitionKeys") or []
            )
            keys = {k["Name"] for k in table.get("PartitionKeys") or []}
            for position, column in enumerate(columns, start=1):
                rows.append(
                    {
                        "table_catalog": c,
                        "table_schema": database,
                        "table_name": table["Name"],
                        "column_name": column["Name"],
                        "ordinal_position": position,
                        "column_default": None,
                        "is_nullable": "YES",
                        "data_type": _presto(column.get("Type", "string")),
                        "comment": column.get("Comment"),
                        "extra_info": "partition key" if column["Name"] in keys else None,
                    }
                )
    schemas = {
        "tables": ["table_catalog", "table_schema", "table_name", "table_type"],
        "views": ["table_catalog", "table_schema", "table_name", "view_definition"],
        "columns": [
            "table_catalog",
            "table_schema",
            "table_name",
            "column_name",
            "ordinal_position",
            "column_default",
            "is_nullable",
            "data_type",
            "comment",
            "extra_info",
        ],
    }
    fields = schemas[name]
    types = {"ordinal_position": pa.int64()}
    return pa.table({f: pa.array([r.get(f) for r in rows], type=types.get(f, pa.string())) for f in fields})
