"""A DynamicFrame's schema printed the way Glue's `printSchema()` prints it.

Glue's tree names types by Glue's names (`long`, not `bigint`), shows a choice field with its member
types, and prints array elements as `element` (see the schemas printed in
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-legislators.html).
"""

from __future__ import annotations

from pyspark.sql.types import ArrayType, DataType, MapType, StructField, StructType

from awsglue._local.choice import is_choice, members
from awsglue._local.types import glue_type_name

INDENT = "|    "


def tree(schema: StructType) -> str:
    lines = ["root"]
    for field in schema.fields:
        _field(field, 0, lines)
    return "\n".join(lines) + "\n"


def _field(field: StructField, depth: int, lines: list[str]) -> None:
    prefix = INDENT * depth + "|-- "
    if is_choice(field):
        lines.append(f"{prefix}{field.name}: choice")
        lines.extend(f"{INDENT * (depth + 1)}|-- {m}" for m in members(field))
        return
    lines.append(f"{prefix}{field.name}: {glue_type_name(field.dataType)}")
    _children(field.dataType, depth + 1, lines)


def _children(data_type: DataType, depth: int, lines: list[str]) -> None:
    if isinstance(data_type, StructType):
        for child in data_type.fields:
            _field(child, depth, lines)
    elif isinstance(data_type, ArrayType):
        _field(StructField("element", data_type.elementType), depth, lines)
    elif isinstance(data_type, MapType):
        _field(StructField("keyType", data_type.keyType), depth, lines)
        _field(StructField("valueType", data_type.valueType), depth, lines)
