"""Glue's choice types on Spark: a field whose values have more than one type.

A DynamicFrame is schema-on-read: when a field is a long in some records and a string in others,
Glue types it `choice<long,string>` until `resolveChoice` settles it. Spark's DataFrame has no such
type, so locally a choice field is a struct with one member per type, named by Glue's type names
(`{"long": 12, "string": null}` or `{"long": null, "string": "n/a"}`: exactly one member is set),
marked as a choice in the field's metadata. That struct is also what Glue's `make_struct` and
`toDF()` give, so nothing else needs translating.

Resolutions (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html#aws-glue-api-crawler-pyspark-extensions-dynamic-frame-resolveChoice):
`cast:T` casts every member to T (a value that does not cast is null); `project:T` keeps only the
values that already are T; `make_cols` splits the field into `name_<type>` columns; `make_struct`
keeps the struct.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StructField, StructType

from awsglue._local.types import cast, glue_type_name, spark_type_name

CHOICE_KEY = "awsglue.choice"


def is_choice(field: StructField) -> bool:
    return isinstance(field.dataType, StructType) and bool((field.metadata or {}).get(CHOICE_KEY))


def members(field: StructField) -> list[str]:
    """The Glue type names a choice field can hold, in order."""
    return [f.name for f in field.dataType.fields] if is_choice(field) else []


def choice_fields(df: DataFrame) -> dict[str, StructField]:
    """Top-level choice fields by name."""
    return {f.name: f for f in df.schema.fields if is_choice(f)}


def make_choice(name: str, values: dict[str, Column]) -> Column:
    """A choice column from {glue type name: the value when the record holds that type, else null}."""
    struct = F.struct(*[value.alias(type_name) for type_name, value in values.items()])
    return struct.alias(name, metadata={CHOICE_KEY: True})


def typed_or_choice(raw: Column, catalog_type: str, name: str, is_choice_column: bool) -> Column:
    """A text value read for a column of `catalog_type`: the typed value, or (when some records do not
    cast) a choice of that type and string. Call inside `types.legacy_casts`."""
    typed = cast(raw, catalog_type)
    if not is_choice_column:
        return typed.alias(name)
    fails = raw.isNotNull() & (F.trim(raw.cast("string")) != "") & typed.isNull()
    type_name = glue_type_name(_parse(spark_type_name(catalog_type) or "string"))
    return make_choice(
        name,
        {type_name: typed, "string": F.when(fails, raw.cast("string"))},
    )


def failing_columns(df: DataFrame, checks: dict[str, Column]) -> set[str]:
    """Names whose check (a boolean column: this record's value does not cast) is true anywhere."""
    if not checks:
        return set()
    row = df.agg(
        *[F.max(F.when(check, 1).otherwise(0)).alias(f"c{i}") for i, check in enumerate(checks.values())]
    ).first()
    return {name for i, name in enumerate(checks) if row is not None and row[f"c{i}"] == 1}


def resolve_cast(column: Column, field: StructField, target: str) -> Column:
    """cast:T on a choice: each member cast to T; the one that is set wins."""
    return F.coalesce(*[cast(column.getField(m), target) for m in members(field)])


def resolve_project(column: Column, field: StructField, target: str) -> Column:
    """project:T on a choice: the values that are T already; the other records become null."""
    wanted = glue_type_name(_parse(spark_type_name(target) or target))
    if wanted in members(field):
        return column.getField(wanted)
    return F.lit(None).cast(spark_type_name(target) or "string")


def make_cols(column: Column, field: StructField) -> list[Column]:
    """make_cols: `name_long`, `name_string`, ... one column per member."""
    return [column.getField(m).alias(f"{field.name}_{m}") for m in members(field)]


def make_struct(column: Column, field: StructField) -> Column:
    """make_struct: the members as an ordinary struct (no longer a choice)."""
    return column.alias(field.name, metadata={})


def _parse(type_name: str) -> DataType:
    from pyspark.sql.types import StringType, _parse_datatype_string

    try:
        return _parse_datatype_string(type_name)
    except Exception:
        return StringType()
