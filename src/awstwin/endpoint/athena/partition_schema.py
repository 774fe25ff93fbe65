"""Athena's check of a partition's schema against its table's: HIVE_PARTITION_SCHEMA_MISMATCH.

https://docs.aws.amazon.com/athena/latest/ug/updates-and-partitions.html: a table and its partitions
may have different schemas (the Glue crawler writes each partition's own); at the start of a query
Athena checks every partition it reads. For CSV, JSON and Avro the check is by column index; for
Parquet and ORC it is by name, and a type that differs is CAST, so they never fail it. A partition
type that cannot be read as the table's type fails the query with Trino's message.

Which types can be read as which (partition type -> table types) is `COERCIBLE`, the table in
https://docs.aws.amazon.com/athena/latest/ug/updates-changing-column-type.html, plus what Trino's
Hive connector also accepts: varchar/char/string among themselves, decimal to decimal, and nested
types whose parts can be.
"""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.athena.dialect import HiveType, HiveTypeError, parse_hive_type
from awstwin.endpoint.athena.exceptions import QueryFailed

# Formats Athena checks by column index (the others are read by name).
INDEX_CHECKED = ("csv", "json", "avro")

# Partition type -> the table types it can be read as (besides itself).
COERCIBLE: dict[str, tuple[str, ...]] = {
    "string": ("tinyint", "smallint", "int", "bigint"),
    "tinyint": ("smallint", "int", "bigint"),
    "smallint": ("int", "bigint"),
    "int": ("bigint",),
    "float": ("double",),
}
TEXT_TYPES = ("string", "varchar", "char")
ALIASES = {"integer": "int", "real": "float", "byte": "tinyint", "short": "smallint", "long": "bigint"}

MISMATCH_ERROR_TYPE = 1004


def _name(hive: HiveType) -> str:
    return ALIASES.get(hive.name, hive.name)


def coercible(partition: HiveType, table: HiveType) -> bool:
    """Whether values a partition declares as `partition` can be read as the table's `table`."""
    if partition == table:
        return True
    source, target = _name(partition), _name(table)
    if source in TEXT_TYPES and target in TEXT_TYPES:
        return True
    if source == "decimal" and target == "decimal":
        return True
    if not partition.is_scalar or not table.is_scalar:
        if source != target:
            return False
        if source == "struct":  # by position; fields only one side has are null / dropped
            pairs = zip(partition.fields, table.fields, strict=False)
            return all(coercible(p, t) for (_, p), (_, t) in pairs)
        return all(coercible(p, t) for p, t in zip(partition.children, table.children, strict=True))
    return source == target or target in COERCIBLE.get(source, ())


def partition_name(keys: list[str], values: list[str]) -> str:
    """Hive's partition name, as Trino's message shows it: `year=2024/month=01`."""
    return "/".join(f"{k}={v}" for k, v in zip(keys, values, strict=False))


def check(kind: str, table_name: str, table: dict[str, Any], partition: dict[str, Any]) -> None:
    """Raise Athena's HIVE_PARTITION_SCHEMA_MISMATCH when `partition` cannot be read as `table`.

    `kind` is the table's file kind (csv, json, parquet); `table_name` is `database.table`.
    """
    if kind not in INDEX_CHECKED:
        return
    own = (partition.get("StorageDescriptor") or {}).get("Columns")
    if not own:
        return  # no schema of its own: the table's is used
    declared = (table.get("StorageDescriptor") or {}).get("Columns") or []
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    for table_column, partition_column in zip(declared, own, strict=False):
        try:
            table_type = parse_hive_type(table_column.get("Type", "string"))
            partition_type = parse_hive_type(partition_column.get("Type", "string"))
        except HiveTypeError:
            continue  # an unreadable type is reported when the table's columns are read
        if not coercible(partition_type, table_type):
            raise QueryFailed(
                "HIVE_PARTITION_SCHEMA_MISMATCH",
                "There is a mismatch between the table and partition schemas. The types are incompatible "
                f"and cannot be coerced. The column '{table_column['Name']}' in table '{table_name}' is "
                f"declared as type '{table_type.hive()}', but partition "
                f"'{partition_name(keys, list(partition.get('Values') or []))}' declared column "
                f"'{partition_column['Name']}' as type '{partition_type.hive()}'.",
                MISMATCH_ERROR_TYPE,
            )
