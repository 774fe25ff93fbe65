"""`from_options` on S3: Glue's format names and format_options, as Spark reads and writes.

Glue's documented defaults are kept: CSV has no header unless `withHeader`, columns are then named
`col0, col1, ...`; writing CSV writes a header unless `writeHeader` is false; S3 writes add files
(they never replace what is there; each write's files are named as Glue names them, see
`naming.py`); `recurse` reads sub-folders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from awsglue._local import naming, s3paths

READ_FORMATS = ("csv", "json", "parquet", "glueparquet", "orc")
WRITE_FORMATS = ("csv", "json", "parquet", "glueparquet", "orc")


class FormatError(Exception):
    """A format or option this runtime does not support, named with what it does support."""


def flag(value: Any, default: bool = False) -> bool:
    """Glue accepts booleans or their strings ("true", "True")."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def s3_paths(connection_options: dict[str, Any]) -> list[str]:
    paths = connection_options.get("paths") or connection_options.get("path")
    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        raise FormatError("connection_options needs 'paths': a list of s3:// locations to read")
    return list(paths)


def _csv_read_options(format_options: dict[str, Any]) -> dict[str, str]:
    quote = format_options.get("quoteChar", '"')
    return {
        "header": str(flag(format_options.get("withHeader"))).lower(),
        "sep": format_options.get("separator", ","),
        "quote": "" if quote in ("-1", -1) else quote,
        "escape": format_options.get("escaper") or "\\",
        "multiLine": str(flag(format_options.get("multiLine", format_options.get("multiline")))).lower(),
    }


def read(
    spark: SparkSession,
    connection_options: dict[str, Any],
    fmt: str,
    format_options: dict[str, Any],
    select: s3paths.FileSelect | None = None,
) -> DataFrame:
    """Rows of the files under `connection_options['paths']` in format `fmt` (those `select` keeps)."""
    fmt = (fmt or "").lower()
    if fmt not in READ_FORMATS:
        raise FormatError(f"format {fmt!r} cannot be read locally; use one of {', '.join(READ_FORMATS)}")
    target = s3paths.read_target(
        s3_paths(connection_options), flag(connection_options.get("recurse")), select
    )
    if not target.paths:
        return spark.createDataFrame([], "value string").select()  # Glue: an empty frame, no columns
    reader = spark.read.option("recursiveFileLookup", str(target.recursive).lower())
    if fmt == "csv":
        frame = reader.options(**_csv_read_options(format_options)).csv(target.paths)
        if not flag(format_options.get("withHeader")):
            frame = frame.toDF(*[f"col{i}" for i in range(len(frame.columns))])
        return frame
    if fmt == "json":
        if format_options.get("jsonPath"):
            raise FormatError("format_options jsonPath is not supported locally; read the file and select")
        multi = flag(format_options.get("multiLine", format_options.get("multiline")))
        return reader.option("multiLine", str(multi).lower()).json(target.paths)
    if fmt == "orc":
        return reader.orc(target.paths)
    return reader.parquet(*target.paths)


def write(
    frame: DataFrame,
    connection_options: dict[str, Any],
    fmt: str,
    format_options: dict[str, Any],
) -> None:
    """Add `frame`'s rows as new files under `connection_options['path']`."""
    fmt = (fmt or "").lower()
    if fmt not in WRITE_FORMATS:
        raise FormatError(f"format {fmt!r} cannot be written locally; use one of {', '.join(WRITE_FORMATS)}")
    path = connection_options.get("path")
    if not path:
        raise FormatError("connection_options needs 'path': the s3:// location to write to")
    write_files(frame, path, fmt, format_options, connection_options.get("partitionKeys") or [])


def write_files(
    frame: DataFrame, path: str, fmt: str, format_options: dict[str, Any], partition_keys: list[str]
) -> None:
    missing = [k for k in partition_keys if k not in frame.columns]
    if missing:
        raise FormatError(
            f"partitionKeys {missing} are not columns of the frame ({', '.join(frame.columns)})"
        )
    with s3paths.write_folder(path) as folder, naming.glue_named_output(Path(folder), fmt) as staging:
        writer = frame.write.mode("overwrite")
        if partition_keys:
            writer = writer.partitionBy(*partition_keys)
        if fmt == "csv":
            quote = format_options.get("quoteChar", '"')
            writer.options(
                header=str(flag(format_options.get("writeHeader"), default=True)).lower(),
                sep=format_options.get("separator", ","),
                quote="" if quote in ("-1", -1) else quote,
                escape=format_options.get("escaper") or "\\",
            ).csv(str(staging))
        elif fmt == "json":
            writer.json(str(staging))
        elif fmt == "orc":
            writer.orc(str(staging))
        else:
            writer.option("compression", format_options.get("compression", "snappy")).parquet(str(staging))
