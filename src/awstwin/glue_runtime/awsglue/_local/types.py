"""Glue and Hive type names as Spark types, and casts that behave like Glue's.

Glue 5 runs Spark 3.5, where a value that does not cast becomes null. Spark 4 raises instead
(ANSI mode), so every cast here is built with ANSI off for the duration of the call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import Column, SparkSession
from pyspark.sql.types import DataType

# Glue/Hive type name -> the Spark SQL type name it means (names not listed pass through unchanged).
TYPE_NAMES: dict[str, str] = {
    "string": "string",
    "varchar": "string",
    "char": "string",
    "int": "int",
    "integer": "int",
    "long": "bigint",
    "bigint": "bigint",
    "short": "smallint",
    "smallint": "smallint",
    "byte": "tinyint",
    "tinyint": "tinyint",
    "double": "double",
    "float": "float",
    "real": "float",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "decimal": "decimal(10,2)",  # Glue's DecimalType() default
    "binary": "binary",
}
# Types that are not values: leave such columns as they are.
NO_CAST = {"choice", "null", "void", "unknown"}
_SIZED_TEXT = re.compile(r"^(var)?char\s*\(\s*\d+\s*\)$")


def spark_type_name(glue_type: str) -> str | None:
    """`long` -> `bigint`, `varchar(20)` -> `string`, `decimal(9,2)` unchanged; None for `choice`."""
    name = glue_type.strip().lower()
    if name in NO_CAST:
        return None
    if _SIZED_TEXT.match(name):
        return "string"
    if name in TYPE_NAMES:
        return TYPE_NAMES[name]
    # Complex types: map the element type names inside (array<long> -> array<bigint>).
    return re.sub(
        r"\b(long|short|byte|integer|varchar\(\d+\)|char\(\d+\)|varchar|real|bool)\b",
        lambda m: spark_type_name(m.group(1)) or m.group(1),
        name,
    )


@contextmanager
def legacy_casts(spark: SparkSession) -> Iterator[None]:
    """Build casts with Spark 3.5's non-ANSI semantics, whatever the session says."""
    previous = spark.conf.get("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        yield
    finally:
        spark.conf.set("spark.sql.ansi.enabled", previous)


def cast(column: Column, glue_type: str) -> Column:
    """`column` as `glue_type` (call inside `legacy_casts`)."""
    target = spark_type_name(glue_type)
    return column if target is None else column.cast(target)


def same_type(current: DataType, glue_type: str) -> bool:
    target = spark_type_name(glue_type)
    return target is None or current.simpleString() == target


# Spark type name -> the name Glue's DynamicFrame schema gives it (printSchema, choice members).
GLUE_NAMES: dict[str, str] = {
    "bigint": "long",
    "int": "int",
    "smallint": "short",
    "tinyint": "byte",
    "string": "string",
    "double": "double",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
    "binary": "binary",
    "void": "null",
}


def glue_type_name(data_type: DataType) -> str:
    """`LongType()` -> `long`, `DecimalType(10,2)` -> `decimal`, `StructType` -> `struct`."""
    simple = data_type.simpleString()
    if simple.startswith("decimal"):
        return "decimal"
    for prefix in ("struct", "array", "map"):
        if simple.startswith(prefix):
            return prefix
    return GLUE_NAMES.get(simple, simple)
