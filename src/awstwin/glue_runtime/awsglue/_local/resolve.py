"""resolveChoice's actions on one field, and the shape test a join uses to merge same-named fields."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from awsglue._local import choice
from awsglue._local import fields as paths
from awsglue._local.types import cast, legacy_casts


def same_shape(one: Any, other: Any) -> bool:
    """Structs (or arrays of them) with the same field names, perhaps in another order."""
    from pyspark.sql.types import ArrayType

    if isinstance(one, ArrayType) and isinstance(other, ArrayType):
        return same_shape(one.elementType, other.elementType)
    if isinstance(one, StructType) and isinstance(other, StructType):
        return sorted(one.fieldNames()) == sorted(other.fieldNames())
    return False


def resolve_one(df: DataFrame, path: str, kind: str, argument: str) -> DataFrame:
    """One resolveChoice action on a top-level field (a choice or not)."""
    parts = paths.split_path(path)
    found = paths.resolve(df, parts)
    if found is None:
        return df
    if len(parts) != 1:
        if kind in ("cast", "project"):
            top = parts[0]
            with legacy_casts(df.sparkSession):
                return df.withColumn(
                    top,
                    F.col(f"`{top}`").withField(
                        ".".join(f"`{p}`" for p in parts[1:]), cast(found[0], argument)
                    ),
                )
        raise ValueError(f"resolveChoice: {kind} on the nested field {path!r} is not supported locally")
    name = paths.actual_name(df, parts[0]) or parts[0]
    field = df.schema[name]
    column = F.col(f"`{name}`")
    with legacy_casts(df.sparkSession):
        if choice.is_choice(field):
            if kind == "cast":
                return df.withColumn(name, choice.resolve_cast(column, field, argument))
            if kind == "project":
                return df.withColumn(name, choice.resolve_project(column, field, argument))
            if kind == "make_struct":
                return df.withColumn(name, choice.make_struct(column, field))
            others = [F.col(f"`{c}`") for c in df.columns]
            position = df.columns.index(name)
            return df.select(*others[:position], *choice.make_cols(column, field), *others[position + 1 :])
        if kind in ("cast", "project"):
            return df.withColumn(name, cast(column, argument))
    return df  # make_cols / make_struct leave a field that is not a choice as it is
