"""Relationalize: a nested frame -> flat tables, one for the root and one per array.

As documented for `DynamicFrame.relationalize` and shown in AWS's legislators walk-through
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-legislators.html):
- structs are unnested into columns named by their dotted path (`address.city`);
- each array column of a table becomes a long key in that table and a table of its own named
  `<root>_<path>` with columns `id` (that key), `index` (the element's position) and the element:
  `<path>.val` for a scalar, `<path>.val.<field>` for a struct; arrays inside elements recurse;
- a null array has a null key; an empty one a key with no rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, LongType, StructField, StructType

ROW_ID = "__awstwin_row_id"


@dataclass
class _Array:
    path: str  # dotted name of the array column in its table
    values: Column  # the array itself
    key: Column  # the key that ties its rows to the owning record


def relationalize(df: DataFrame, root: str) -> dict[str, DataFrame]:
    """The root table first, then one table per array, in the order the arrays appear."""
    tables: dict[str, DataFrame] = {}
    _table(df, root, "", tables, root)
    return tables


def _has_array(data_type: DataType) -> bool:
    if isinstance(data_type, ArrayType):
        return True
    if isinstance(data_type, StructType):
        return any(_has_array(f.dataType) for f in data_type.fields)
    return False


def _with_row_ids(df: DataFrame) -> DataFrame:
    """`df` with a 1-based row number: the keys its arrays' tables are joined on."""
    schema = StructType([*df.schema.fields, StructField(ROW_ID, LongType(), False)])
    rows = df.rdd.zipWithIndex().map(lambda pair: (*pair[0], pair[1] + 1))
    return df.sparkSession.createDataFrame(rows, schema).persist(StorageLevel.MEMORY_AND_DISK)


def _table(df: DataFrame, name: str, prefix: str, tables: dict[str, DataFrame], root: str) -> None:
    """Flatten `df` into table `name`; `prefix` names its nested columns (`contact_details.val`)."""
    if _has_array(df.schema):
        df = _with_row_ids(df)
    key = F.col(ROW_ID) if ROW_ID in df.columns else None
    columns: list[Column] = []
    arrays: list[_Array] = []
    for field in df.schema.fields:
        if field.name == ROW_ID:
            continue
        display = field.name if not prefix or field.name in ("id", "index") else f"{prefix}{field.name}"
        if prefix and field.name == "val":
            display = prefix.rstrip(".")
        _walk(F.col(f"`{field.name}`"), field.dataType, display, key, columns, arrays)
    tables[name] = df.select(*columns)
    for array in arrays:
        child = df.select(array.key.alias("id"), F.posexplode(array.values).alias("index", "val"))
        _table(child, f"{root}_{array.path}", f"{array.path}.val.", tables, root)


def _walk(
    column: Column,
    data_type: DataType,
    display: str,
    key: Column | None,
    columns: list[Column],
    arrays: list[_Array],
) -> None:
    if isinstance(data_type, StructType):
        for child in data_type.fields:
            _walk(
                column.getField(child.name), child.dataType, f"{display}.{child.name}", key, columns, arrays
            )
        return
    if isinstance(data_type, ArrayType):
        assert key is not None  # a table with arrays always has row ids
        columns.append(F.when(column.isNotNull(), key).alias(display))
        arrays.append(_Array(display, column, key))
        return
    columns.append(column.alias(display))
