"""Glue field paths (`a.b`, `` `name.with.dots` ``) over Spark columns, nested structs included."""

from __future__ import annotations

import sys

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StructType


class FieldError(Exception):
    """A field path that names nothing in the frame."""


def split_path(path: str) -> list[str]:
    """`a.b` -> ['a', 'b']; backticks quote a name that contains dots: `` `a.b`.c `` -> ['a.b', 'c']."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in path:
        if ch == "`":
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _find(names: list[str], wanted: str, case_sensitive: bool) -> str | None:
    if wanted in names:
        return wanted
    if case_sensitive:
        return None
    lowered = {n.lower(): n for n in names}
    return lowered.get(wanted.lower())


def resolve(
    frame: DataFrame, path: list[str], case_sensitive: bool = False
) -> tuple[Column, DataType] | None:
    """The column at `path` and its type, or None when the frame has no such field."""
    schema: DataType = frame.schema
    column: Column | None = None
    for part in path:
        if not isinstance(schema, StructType):
            return None
        name = _find(schema.fieldNames(), part, case_sensitive)
        if name is None:
            return None
        column = F.col(f"`{name}`") if column is None else column.getField(name)
        schema = schema[name].dataType
    return (column, schema) if column is not None else None


def actual_name(frame: DataFrame, name: str, case_sensitive: bool = False) -> str | None:
    return _find(frame.columns, name, case_sensitive)


def build_columns(entries: list[tuple[list[str], Column]]) -> list[Column]:
    """Target paths and values -> top-level columns, nesting `a.b` targets into struct `a`."""
    order: list[str] = []
    groups: dict[str, list[tuple[list[str], Column]]] = {}
    for path, value in entries:
        head = path[0]
        if head not in groups:
            order.append(head)
            groups[head] = []
        groups[head].append((path[1:], value))
    columns = []
    for head in order:
        members = groups[head]
        leaves = [value for rest, value in members if not rest]
        if leaves and len(members) == 1:
            columns.append(leaves[0].alias(head))
        elif leaves:
            raise FieldError(f"target {head!r} is mapped both as a value and as a struct")
        else:
            columns.append(F.struct(*build_columns([(rest, value) for rest, value in members])).alias(head))
    return columns


def drop_path(frame: DataFrame, path: list[str], case_sensitive: bool = True) -> DataFrame:
    """The frame without the field at `path` (a top-level column or a field inside a struct)."""
    top = actual_name(frame, path[0], case_sensitive)
    if top is None:
        return frame
    if len(path) == 1:
        return frame.drop(top)
    if resolve(frame, path, case_sensitive) is None:
        return frame
    return frame.withColumn(top, F.col(f"`{top}`").dropFields(".".join(f"`{p}`" for p in path[1:])))


def rename_path(frame: DataFrame, old: list[str], new: list[str]) -> DataFrame:
    """Rename the field at `old` to `new` (same parent struct, or top level to top level)."""
    found = resolve(frame, old, case_sensitive=True)
    if found is None:
        # Records are self-describing: a record without the field is left as it is, so a field that no
        # record has renames nothing (as on Glue). Say so, since it is usually a typo.
        print(
            f"WARN DynamicFrame: rename_field: no field {'.'.join(old)!r} in the frame "
            f"({', '.join(frame.columns)}); nothing renamed",
            file=sys.stderr,
        )
        return frame
    if len(old) == 1 and len(new) == 1:
        return frame.withColumnRenamed(old[0], new[0])
    if old[:-1] != new[:-1]:
        raise FieldError(f"rename_field: {'.'.join(old)!r} and {'.'.join(new)!r} must share a parent struct")
    column, _ = found
    parent = ".".join(f"`{p}`" for p in old[1:-1])
    top = old[0]
    updated = F.col(f"`{top}`")
    if parent:
        updated = updated.withField(f"{parent}.`{new[-1]}`", column).dropFields(f"{parent}.`{old[-1]}`")
    else:
        updated = updated.withField(f"`{new[-1]}`", column).dropFields(f"`{old[-1]}`")
    return frame.withColumn(top, updated)
