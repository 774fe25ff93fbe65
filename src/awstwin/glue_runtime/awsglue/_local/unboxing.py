"""`unbox`: a string field holding JSON or CSV text -> a struct in its place.

Glue's options (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html#aws-glue-api-crawler-pyspark-extensions-dynamic-frame-unbox):
`separator`, `escaper`, `skipFirst`, `withSchema` (a StructType's JSON), `withHeader`. Without a
schema, JSON is typed from its values (Spark's JSON inference over every record) and CSV fields are
strings named `col0`, `col1`, ...
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructType

from awsglue._local import fields as paths
from awsglue._local.formats import FormatError, flag


def unbox(df: DataFrame, path: str, fmt: str, options: dict[str, Any]) -> DataFrame:
    parts = paths.split_path(path)
    found = paths.resolve(df, parts, case_sensitive=False)
    if found is None:
        raise paths.FieldError(f"unbox: no field {path!r} in the frame ({', '.join(df.columns)})")
    column, data_type = found
    if not isinstance(data_type, StringType):
        raise paths.FieldError(f"unbox: field {path!r} is {data_type.simpleString()}, not a string to parse")
    schema = _given_schema(options)
    kind = (fmt or "").lower()
    if kind == "json":
        parsed = F.from_json(column, schema or _inferred_json_schema(df, column))
    elif kind == "csv":
        parsed = _csv_struct(df, column, options, schema)
    else:
        raise FormatError(f"unbox: format {fmt!r} is not supported locally; use 'json' or 'csv'")
    return _replace(df, parts, parsed)


def _given_schema(options: dict[str, Any]) -> StructType | None:
    given = options.get("withSchema")
    if not given:
        return None
    return StructType.fromJson(json.loads(given) if isinstance(given, str) else given)


def _inferred_json_schema(df: DataFrame, column: Any) -> StructType:
    texts = df.select(column.alias("t")).where(F.col("t").isNotNull()).rdd.map(lambda r: r[0])
    if texts.isEmpty():
        return StructType()
    return df.sparkSession.read.json(texts).schema


def _csv_struct(df: DataFrame, column: Any, options: dict[str, Any], schema: StructType | None) -> Any:
    separator = options.get("separator", ",")
    escaper = options.get("escaper")
    pattern = _literal(separator)
    if escaper:
        pattern = f"(?<!{_literal(escaper)}){pattern}"
    pieces = F.split(column, pattern, -1)
    if flag(options.get("skipFirst")):
        pieces = F.slice(pieces, 2, F.size(pieces))
    names = schema.fieldNames() if schema else None
    count = len(names) if names else (df.select(F.max(F.size(pieces))).first()[0] or 0)
    members = []
    for i in range(count):
        value = F.get(pieces, i)
        if escaper:
            value = F.regexp_replace(value, _literal(escaper) + "(.)", "$1")
        target = schema.fields[i].dataType if schema else StringType()
        members.append(value.cast(target).alias(names[i] if names else f"col{i}"))
    return F.struct(*members)


def _literal(text: str) -> str:
    return "\\Q" + text.replace("\\E", "\\E\\\\E\\Q") + "\\E"


def _replace(df: DataFrame, parts: list[str], value: Any) -> DataFrame:
    top = paths.actual_name(df, parts[0]) or parts[0]
    if len(parts) == 1:
        return df.withColumn(top, value)
    inner = ".".join(f"`{p}`" for p in parts[1:])
    return df.withColumn(top, F.col(f"`{top}`").withField(inner, value))
