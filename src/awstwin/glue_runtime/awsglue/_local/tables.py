"""A Data Catalog table as a DataFrame, read the way the table's SerDe says its files are laid out.

`awstwin.endpoint.glue.catalog.formats.StorageFormat` interprets the table (the same reading Athena
uses). Here that meaning becomes Spark reads:
- LazySimpleSerDe CSV: each line split on the delimiter; quotes are data; `\\N` is null; an empty
  field is an empty string (a null for non-string columns, where it does not cast);
- OpenCSVSerde CSV: quoted fields with the quote character stripped; every field is text;
- JSON and Parquet: the catalog's columns picked by name (case-insensitive);
- partitions: each partition's own location, with its values as columns; `push_down_predicate`
  (Spark SQL) picks partitions before any file is read.
Columns come out in the catalog's types; a value that does not cast is null, as in Glue.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, IntegerType, MapType, StringType, StructField, StructType

from awsglue._local import s3paths
from awsglue._local.choice import failing_columns, is_choice, make_choice, members, typed_or_choice
from awsglue._local.records import conform
from awsglue._local.types import cast, legacy_casts, spark_type_name
from awstwin.endpoint.glue.catalog.formats import Column, StorageFormat


class TableReadError(Exception):
    """A catalog table this runtime cannot read as described."""


def table_schema(columns: list[Column]) -> StructType:
    """The catalog columns as a Spark schema (unknown types as strings)."""
    fields = []
    for column in columns:
        type_name = spark_type_name(column.type) or "string"
        fields.append(StructField(column.name, _parse_type(type_name), True))
    return StructType(fields)


def _parse_type(type_name: str) -> Any:
    from pyspark.sql.types import _parse_datatype_string

    try:
        return _parse_datatype_string(type_name)
    except Exception:
        return StringType()


def empty_frame(spark: SparkSession, columns: list[Column]) -> DataFrame:
    return spark.createDataFrame([], table_schema(columns))


def read_table(
    spark: SparkSession,
    table: dict[str, Any],
    partitions: list[dict[str, Any]] | None = None,
    push_down_predicate: str = "",
    select: s3paths.FileSelect | None = None,
) -> DataFrame:
    """All rows of `table` (a Glue `Table` dict); `partitions` are its Glue `Partition` dicts; `select`
    picks the files to read (a job bookmark)."""
    fmt = StorageFormat.from_table(table)
    if not fmt.partition_keys:
        return read_location(spark, fmt, fmt.location, select)
    chosen = select_partitions(spark, fmt.partition_keys, partitions or [], push_down_predicate)
    frames = []
    for partition in chosen:
        part_fmt = _partition_format(table, partition)
        frame = read_location(spark, part_fmt, part_fmt.location or fmt.location, select)
        with legacy_casts(spark):
            for key, value in zip(fmt.partition_keys, partition["Values"], strict=False):
                frame = frame.withColumn(key.name, cast(F.lit(value), key.type))
        frames.append(frame)
    if not frames:
        return empty_frame(spark, fmt.columns + fmt.partition_keys)
    frames = align_choices(frames)
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def align_choices(frames: list[DataFrame]) -> list[DataFrame]:
    """A column that is a choice in one partition's frame is a choice in all of them (with the plain
    values as its typed member), so the partitions union into one frame."""
    choice_members: dict[str, list[str]] = {}
    for frame in frames:
        for field in frame.schema.fields:
            if is_choice(field):
                choice_members.setdefault(field.name, members(field))
    if not choice_members:
        return frames
    aligned = []
    for frame in frames:
        columns = []
        for field in frame.schema.fields:
            if field.name in choice_members and not is_choice(field):
                typed, *_ = choice_members[field.name]
                values = {
                    m: (F.col(f"`{field.name}`") if m == typed else F.lit(None).cast("string"))
                    for m in choice_members[field.name]
                }
                columns.append(make_choice(field.name, values))
            else:
                columns.append(F.col(f"`{field.name}`"))
        aligned.append(frame.select(*columns))
    return aligned


def _partition_format(table: dict[str, Any], partition: dict[str, Any]) -> StorageFormat:
    """A partition is read with its own StorageDescriptor, but the table's columns."""
    sd = dict(table.get("StorageDescriptor") or {})
    own = partition.get("StorageDescriptor") or {}
    sd.update({k: v for k, v in own.items() if k != "Columns" and v})
    return StorageFormat.from_table({**table, "StorageDescriptor": sd, "PartitionKeys": []})


def select_partitions(
    spark: SparkSession, keys: list[Column], partitions: list[dict[str, Any]], predicate: str
) -> list[dict[str, Any]]:
    """The partitions whose values satisfy `predicate` (Spark SQL over the partition keys)."""
    if not predicate or not partitions:
        return partitions
    schema = StructType(
        [StructField(k.name, StringType()) for k in keys] + [StructField("__i", IntegerType())]
    )
    rows = [tuple(p["Values"]) + (i,) for i, p in enumerate(partitions)]
    values = spark.createDataFrame(rows, schema)
    with legacy_casts(spark):
        typed = values.select(*[cast(F.col(k.name), k.type).alias(k.name) for k in keys], "__i")
        try:
            kept = typed.filter(F.expr(predicate)).select("__i").collect()
        except Exception as exc:
            names = ", ".join(k.name for k in keys)
            raise TableReadError(
                f"push_down_predicate {predicate!r} is not a Spark SQL condition over the partition "
                f"keys ({names}): {exc}"
            ) from exc
    return [partitions[row["__i"]] for row in sorted(kept, key=lambda r: r["__i"])]


def read_location(
    spark: SparkSession, fmt: StorageFormat, location: str, select: s3paths.FileSelect | None = None
) -> DataFrame:
    """The rows of the files under one table or partition location."""
    target = s3paths.read_target([location], recurse=True, select=select)
    if not target.paths:
        return empty_frame(spark, fmt.columns)
    readers = {"csv": _read_csv, "json": _read_json, "parquet": _read_parquet}
    if fmt.kind not in readers:
        raise TableReadError(f"cannot read {fmt.kind} files at {location}: only csv, json and parquet")
    return readers[fmt.kind](spark, fmt, target)


def _reader(spark: SparkSession, target: s3paths.ReadTarget) -> Any:
    return spark.read.option("recursiveFileLookup", str(target.recursive).lower())


def _header(fmt: StorageFormat) -> str:
    if fmt.skip_header_lines > 1:
        raise TableReadError(
            f"skip.header.line.count={fmt.skip_header_lines} at {fmt.location}: "
            "the local runtime skips at most one header line per file"
        )
    return "true" if fmt.skip_header_lines == 1 else "false"


def _typed(spark: SparkSession, frame: DataFrame, fields: dict[str, Any], columns: list[Column]) -> DataFrame:
    """Select `columns` from `fields` (name -> Column expression) in catalog types.

    A text value that does not cast to its column's type makes that column a choice of the type and
    string, as a DynamicFrame reads it (AWS's medicare sample: `provider id` is
    `choice<long,string>` because two records hold text), so `resolveChoice` has something to settle.
    Nested catalog types are matched to the file's fields by name, never by position.
    """
    current = {
        f.name: f.dataType for f in frame.select(*[fields[c.name].alias(c.name) for c in columns]).schema
    }
    with legacy_casts(spark):
        checks = {
            c.name: _fails(fields[c.name], c.type)
            for c in columns
            if isinstance(current[c.name], StringType)
            and spark_type_name(c.type) not in (None, "string")
            and _is_primitive(c.type)
        }
        choices = failing_columns(frame, checks)
        selected = []
        for c in columns:
            wanted = _parse_type(spark_type_name(c.type) or "string")
            if not _is_primitive(c.type) and isinstance(wanted, (StructType, ArrayType, MapType)):
                selected.append(conform(fields[c.name], current[c.name], wanted).alias(c.name))
            else:
                selected.append(typed_or_choice(fields[c.name], c.type, c.name, c.name in choices))
        return frame.select(*selected)


def _is_primitive(glue_type: str) -> bool:
    return not glue_type.strip().lower().startswith(("struct", "array", "map"))


def _fails(raw: Any, glue_type: str) -> Any:
    return raw.isNotNull() & (F.trim(raw) != "") & cast(raw, glue_type).isNull()


def _read_csv(spark: SparkSession, fmt: StorageFormat, target: s3paths.ReadTarget) -> DataFrame:
    if fmt.strips_quotes:
        return _read_open_csv(spark, fmt, target)
    return _read_lazy_simple(spark, fmt, target)


def _read_lazy_simple(spark: SparkSession, fmt: StorageFormat, target: s3paths.ReadTarget) -> DataFrame:
    """LazySimpleSerDe: whole lines (CRLF-safe), split on the delimiter; quotes stay data."""
    sentinel = "\u0001" if fmt.delimiter != "\u0001" else "\u0002"
    lines = (
        _reader(spark, target)
        .options(sep=sentinel, quote="", header=_header(fmt), encoding="UTF-8")
        .schema("value string")
        .csv(target.paths)
    )
    delimiter = _java_literal(fmt.delimiter)
    pattern = f"(?<!{_java_literal(fmt.escape_char)}){delimiter}" if fmt.escape_char else delimiter
    parts = F.split(F.col("value"), pattern, -1)
    null_format = fmt.null_format if fmt.null_format is not None else "\\N"
    fields = {}
    for i, column in enumerate(fmt.columns):
        raw = F.get(parts, i)
        if fmt.escape_char:
            raw = F.regexp_replace(raw, _java_literal(fmt.escape_char) + "(.)", "$1")
        fields[column.name] = F.when(raw == F.lit(null_format), F.lit(None)).otherwise(raw)
    return _typed(spark, lines, fields, fmt.columns)


_REGEX_META = set(".$|()[]{}^?*+\\")


def _java_literal(text: str) -> str:
    """`text` as a literal in a Java regular expression (Spark's split and regexp_replace).

    A single plain character stays bare: Java splits on it without the regex engine (3x faster).
    """
    if len(text) == 1 and text not in _REGEX_META:
        return text
    return "\\Q" + text.replace("\\E", "\\E\\\\E\\Q") + "\\E"


def _read_open_csv(spark: SparkSession, fmt: StorageFormat, target: s3paths.ReadTarget) -> DataFrame:
    """OpenCSVSerde: quoted fields, quote character stripped, every field text (empty is '')."""
    names = [f"c{i}" for i in range(len(fmt.columns))]
    rows = (
        _reader(spark, target)
        .options(
            sep=fmt.delimiter,
            quote=fmt.quote_char or '"',
            escape=fmt.escape_char or "\\",
            header=_header(fmt),
            mode="PERMISSIVE",
            encoding="UTF-8",
        )
        .schema(StructType([StructField(n, StringType()) for n in names]))
        .csv(target.paths)
    )
    fields = {c.name: F.coalesce(F.col(n), F.lit("")) for c, n in zip(fmt.columns, names, strict=True)}
    return _typed(spark, rows, fields, fmt.columns)


def _by_name(frame: DataFrame, columns: list[Column]) -> dict[str, Any]:
    """Catalog column -> the file's column of that name, ignoring case (null when absent)."""
    present = {name.lower(): name for name in frame.columns}
    return {
        c.name: F.col(f"`{present[c.name.lower()]}`") if c.name.lower() in present else F.lit(None)
        for c in columns
    }


def _read_json(spark: SparkSession, fmt: StorageFormat, target: s3paths.ReadTarget) -> DataFrame:
    frame = _reader(spark, target).json(target.paths)
    return _typed(spark, frame, _by_name(frame, fmt.columns), fmt.columns)


def _read_parquet(spark: SparkSession, fmt: StorageFormat, target: s3paths.ReadTarget) -> DataFrame:
    frame = _reader(spark, target).parquet(*target.paths)
    return _typed(spark, frame, _by_name(frame, fmt.columns), fmt.columns)


def write_table(
    spark: SparkSession, frame: DataFrame, table: dict[str, Any], register_partitions: bool
) -> list[list[str]]:
    """Add `frame`'s rows to `table`'s location in its format; return the partition values written.

    The frame's fields are matched to the table's columns by name (case-insensitive) and cast to
    their types; the table's partition keys become folders `key=value/`.
    """
    from awsglue._local.formats import write_files

    fmt = StorageFormat.from_table(table)
    wanted = fmt.columns + fmt.partition_keys
    present = {name.lower(): name for name in frame.columns}
    missing = [c.name for c in wanted if c.name.lower() not in present]
    if missing:
        raise TableReadError(
            f"cannot write to table {table.get('DatabaseName')}.{table.get('Name')}: the frame lacks "
            f"columns {missing} (it has {', '.join(frame.columns)})"
        )
    with legacy_casts(spark):
        typed = frame.select(
            *[cast(F.col(f"`{present[c.name.lower()]}`"), c.type).alias(c.name) for c in wanted]
        )
    keys = [k.name for k in fmt.partition_keys]
    options: dict[str, Any] = {}
    if fmt.kind == "csv":
        options = {
            "separator": fmt.delimiter,
            "writeHeader": fmt.skip_header_lines >= 1,
            "quoteChar": fmt.quote_char if fmt.strips_quotes else "-1",
        }
    kind = fmt.kind if fmt.kind in ("csv", "json") else "parquet"
    write_files(typed, fmt.location, kind, options, keys)
    if not keys:
        return []
    values = [[str(v) for v in row] for row in typed.select(*keys).distinct().collect()]
    if register_partitions:
        _register_partitions(table, fmt, keys, values)
    return values


def _register_partitions(
    table: dict[str, Any], fmt: StorageFormat, keys: list[str], values: list[list[str]]
) -> None:
    from awsglue._local import clients

    existing = {tuple(p["Values"]) for p in clients.get_partitions(table["DatabaseName"], table["Name"])}
    sd = table.get("StorageDescriptor") or {}
    inputs = []
    for row in values:
        if tuple(row) in existing:
            continue
        folder = "/".join(f"{k}={v}" for k, v in zip(keys, row, strict=True))
        inputs.append(
            {"Values": row, "StorageDescriptor": {**sd, "Location": f"{fmt.location.rstrip('/')}/{folder}/"}}
        )
    for start in range(0, len(inputs), 100):
        clients.client("glue").batch_create_partition(
            DatabaseName=table["DatabaseName"],
            TableName=table["Name"],
            PartitionInputList=inputs[start : start + 100],
        )
