"""A Glue catalog table as a DuckDB relation over its S3 files, read the way Athena reads them.

The table's StorageDescriptor (through `StorageFormat.from_table`) says how to parse the files;
partitions come from the catalog (each partition's files carry its values as constant columns, and
are parsed with the partition's own StorageDescriptor when it has one, after Athena's schema check,
`partition_schema.check`); columns are typed per the catalog. Text SerDes parse every field from
text with the rules in `dialect.py`, so a value that does not parse is NULL (LazySimpleSerDe) or HIVE_BAD_DATA
(OpenCSVSerDe), never a DuckDB sniffing guess.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from awstwin.endpoint.athena import dialect, partition_schema
from awstwin.endpoint.athena.dialect import HiveType, parse_hive_type, quote_identifier, quote_literal
from awstwin.endpoint.athena.exceptions import QueryFailed
from awstwin.endpoint.athena.locations import is_foreign_location
from awstwin.endpoint.glue.catalog.formats import OPEN_CSV_SERDE, StorageFormat, partition_storage
from awstwin.endpoint.s3access import S3Access, parse_s3_uri

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
FILE_COLUMN = "__awstwin_file"
NO_NULL = "\x00awstwin-no-null\x00"  # a null string no CSV field can equal (OpenCSVSerDe has none)
DOUBLE_QUOTE, BACKSLASH = '"', "\\"
_counter = itertools.count()


@dataclass(frozen=True)
class DataFile:
    path: Path
    size: int
    uri: str
    values: tuple[str, ...] = ()  # partition values, in partition-key order
    fmt: StorageFormat | None = None  # the partition's own layout, when it differs from the table's


@dataclass
class TableSource:
    """One catalog table resolved to files: everything needed to create its DuckDB view."""

    database: str
    name: str
    table: dict[str, Any]
    fmt: StorageFormat
    files: list[DataFile] = field(default_factory=list)

    @property
    def scanned_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def columns(self) -> list[tuple[str, HiveType]]:
        return [(c.name.lower(), _column_type(c.type, self)) for c in self.fmt.columns]

    @property
    def partition_keys(self) -> list[tuple[str, HiveType]]:
        return [(c.name.lower(), _column_type(c.type, self)) for c in self.fmt.partition_keys]


def _column_type(text: str, source: TableSource) -> HiveType:
    try:
        return parse_hive_type(text)
    except ValueError as exc:
        raise QueryFailed(
            "HIVE_INVALID_METADATA",
            f"Table '{dialect.ENGINE_CATALOG}.{source.database}.{source.name}' has a column type Athena "
            f"cannot read: {exc}; fix the table's columns in the Glue catalog",
            1004,
        ) from None


# ---------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------


def _is_hidden(relative_key: str) -> bool:
    """Hadoop's input filter: any path part starting with `_` or `.` is not data (`_SUCCESS`, ...)."""
    return any(part.startswith(("_", ".")) for part in relative_key.split("/") if part)


def table_prefix(key: str) -> str:
    """A table or partition location's key prefix as Athena reads it: empty path parts dropped.

    https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html: `s3://bucket/folder//folder/`
    "is a valid Amazon S3 path, [but] Athena does not allow it and changes it to
    s3://bucketname/folder/folder/, removing the extra /" (the Airflow provider's example DAG writes
    `LOCATION 's3://bucket//table'` over objects under `table/`).
    """
    return "/".join(part for part in key.split("/") if part)


def list_data_files(
    s3: S3Access, location: str, values: tuple[str, ...] = (), fmt: StorageFormat | None = None
) -> list[DataFile]:
    """Every data object under `location` (a folder, recursively), as local files."""
    if not location:
        return []
    if is_foreign_location(location):
        raise QueryFailed(
            "HIVE_INVALID_METADATA", f"Invalid location {location}. Only S3 locations are allowed", 1004
        )
    bucket, prefix = parse_s3_uri(location)
    prefix = table_prefix(prefix)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if not s3.bucket_exists(bucket):
        return []
    files = []
    for obj in s3.list_objects(bucket, prefix):
        relative = obj.key[len(prefix) :]
        if not relative or obj.key.endswith("/") or obj.key.endswith("_$folder$") or _is_hidden(relative):
            continue
        if obj.size == 0:
            continue
        files.append(DataFile(s3.local_file(bucket, obj.key), obj.size, obj.uri, values, fmt))
    return files


def partition_location(table_location: str, keys: list[str], values: list[str]) -> str:
    """Hive's default folder for a partition: `<table location>/k1=v1/k2=v2/`."""
    base = table_location.rstrip("/")
    return base + "/" + "/".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)) + "/"


def parse_partition_path(relative: str, keys: list[str]) -> list[str] | None:
    """`k1=v1/k2=v2/file` -> [v1, v2] when the folders name the keys in order (MSCK REPAIR's rule)."""
    parts = relative.split("/")[:-1]
    if len(parts) < len(keys):
        return None
    values = []
    for key, part in zip(keys, parts, strict=False):
        name, sep, value = part.partition("=")
        if not sep or name.lower() != key.lower():
            return None
        values.append(unquote(value))
    return values


def resolve(
    catalog: Any,
    s3: S3Access,
    database: str,
    name: str,
    table: dict[str, Any],
    keep_partition: Callable[[list[str]], bool] | None = None,
) -> TableSource:
    """The table's files (for a partitioned table, of the partitions `keep_partition` accepts)."""
    source = TableSource(database, name, table, StorageFormat.from_table(table))
    if not table.get("PartitionKeys"):
        source.files = list_data_files(s3, source.fmt.location)
        return source
    keys = [k["Name"] for k in table["PartitionKeys"]]
    for partition in all_partitions(catalog, database, name):
        values = list(partition.get("Values") or [])
        if keep_partition is not None and not keep_partition(values):
            continue
        own = partition_storage(table, partition)
        partition_schema.check(own.kind, f"{database}.{name}", table, partition)
        location = (partition.get("StorageDescriptor") or {}).get("Location") or partition_location(
            source.fmt.location, keys, values
        )
        layout = None if _same_layout(own, source.fmt) else own
        source.files.extend(list_data_files(s3, location, tuple(values), layout))
    return source


def _same_layout(a: StorageFormat, b: StorageFormat) -> bool:
    """Whether files of both are parsed alike (location and partition keys aside)."""
    return dataclasses.replace(a, location="", partition_keys=[]) == dataclasses.replace(
        b, location="", partition_keys=[]
    )


def all_partitions(catalog: Any, database: str, name: str) -> list[dict[str, Any]]:
    """Every partition of a table (in-process, a paged operation returns its whole list)."""
    return list(catalog.get_partitions(DatabaseName=database, TableName=name).get("Partitions") or [])


# ---------------------------------------------------------------------------------------------------
# Relations
# ---------------------------------------------------------------------------------------------------


def relation_sql(source: TableSource, con: Any) -> str:
    """A SELECT over the source's files with the table's columns, typed (registers helper tables).

    Partitions whose own StorageDescriptor lays their files out differently (another SerDe, quote,
    delimiter) are read with it, each group in its own SELECT, all of them UNION ALL."""
    layouts: list[StorageFormat] = [source.fmt]
    groups: list[list[DataFile]] = [[]]
    for item in source.files:
        fmt = item.fmt or source.fmt
        index = next((i for i, known in enumerate(layouts) if _same_layout(known, fmt)), None)
        if index is None:
            layouts.append(fmt)
            groups.append([])
            index = len(layouts) - 1
        groups[index].append(item)
    if len(layouts) == 1:
        return _group_sql(source, con)
    parts = [
        _group_sql(dataclasses.replace(source, fmt=_with_columns(fmt, source.fmt), files=files), con)
        for fmt, files in zip(layouts, groups, strict=True)
        if files
    ]
    return " UNION ALL ".join(f"({part})" for part in parts)


def _with_columns(fmt: StorageFormat, table: StorageFormat) -> StorageFormat:
    return dataclasses.replace(fmt, columns=table.columns, partition_keys=table.partition_keys)


def _group_sql(source: TableSource, con: Any) -> str:
    columns = source.columns
    partition_keys = source.partition_keys
    if not source.files:
        typed = [f"CAST(NULL AS {t.duckdb()}) AS {quote_identifier(n)}" for n, t in columns + partition_keys]
        return f"SELECT {', '.join(typed) or 'NULL AS _empty'} WHERE false"
    readers = {"csv": _csv_relation, "json": _json_relation, "parquet": _parquet_relation}
    reader = readers.get(source.fmt.kind)
    if reader is None:
        raise QueryFailed(
            "HIVE_UNSUPPORTED_FORMAT",
            f"Table '{source.database}.{source.name}' is stored as {source.fmt.kind}, which the local Athena "
            "cannot read; use CSV, JSON or Parquet",
            1201,
        )
    select, from_clause = reader(source, con)
    if partition_keys:
        mapping = _register_partitions(source, con)
        select += [
            f"{_typed_partition('p.' + quote_identifier(k), t)} AS {quote_identifier(k)}"
            for k, t in partition_keys
        ]
        from_clause += f" JOIN {mapping} AS p ON r.{FILE_COLUMN} = p.{FILE_COLUMN}"
    return f"SELECT {', '.join(select)} FROM {from_clause}"


def _files_literal(source: TableSource) -> str:
    return "[" + ", ".join(quote_literal(str(f.path)) for f in source.files) + "]"


def _register_partitions(source: TableSource, con: Any) -> str:
    import pyarrow as pa

    keys = [k for k, _ in source.partition_keys]
    data: dict[str, list[str | None]] = {FILE_COLUMN: [str(f.path) for f in source.files]}
    for index, key in enumerate(keys):
        data[key] = [f.values[index] if index < len(f.values) else None for f in source.files]
    name = f"__awstwin_partitions_{next(_counter)}"
    con.register(name, pa.table(data))
    return name


def _typed_partition(expr: str, hive: HiveType) -> str:
    value = f"nullif({expr}, {quote_literal(HIVE_DEFAULT_PARTITION)})"
    target = hive.duckdb()
    return value if target == "VARCHAR" else f"TRY_CAST({value} AS {target})"


def _csv_relation(source: TableSource, con: Any) -> tuple[list[str], str]:
    fmt = source.fmt  # separators as Hive reads them, the same answer Spark's reader gets
    open_csv = fmt.serde == OPEN_CSV_SERDE
    if open_csv:
        delimiter = fmt.delimiter
        quote = fmt.quote_char or DOUBLE_QUOTE
        # opencsv reads a doubled quote inside quotes as one quote whatever the escape character;
        # DuckDB has one escape character, so the doubled quote (far more common) wins over `\`
        escape = quote if (fmt.escape_char or BACKSLASH) == BACKSLASH else fmt.escape_char
        options = [f"quote={quote_literal(quote)}", f"escape={quote_literal(escape)}"]
        null = NO_NULL
    else:
        delimiter = fmt.delimiter
        options = ["quote=''", "escape=''"]
        null = fmt.null_format if fmt.null_format is not None else dialect.HIVE_DEFAULT_NULL
    columns = source.columns
    width = max(len(columns), 1)
    spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    reader = (
        f"read_csv({_files_literal(source)}, delim={quote_literal(delimiter)}, {', '.join(options)}, "
        f"header=false, skip={fmt.skip_header_lines}, columns={spec}, auto_detect=false, "
        f"null_padding=true, strict_mode=false, nullstr={quote_literal(null)}, "
        f"filename={quote_literal(FILE_COLUMN)}) AS r"
    )
    table_params = source.table.get("Parameters") or {}
    null_for_invalid = str(table_params.get("use.null.for.invalid.data", "")).lower() == "true"
    collection, mapkey = fmt.collection_delimiter, fmt.mapkey_delimiter
    select = []
    for index, (name, hive) in enumerate(columns):
        raw_expr = f"r.c{index}"
        if open_csv:
            expr = _open_csv_value(raw_expr, hive, index + 1, null_for_invalid)
        else:
            expr = _lazy_value(raw_expr, hive, [collection, mapkey])
        select.append(f"{expr} AS {quote_identifier(name)}")
    return select, reader


def _lazy_value(raw: str, hive: HiveType, delimiters: list[str]) -> str:
    """LazySimpleSerDe: text -> typed value; nested types split on the next-level delimiters."""
    if hive.is_scalar:
        return dialect.LAZY_TEXT_PARSERS[_parser_key(hive)].format(v=raw, t=hive.duckdb())
    if not delimiters:
        return f"CAST(NULL AS {hive.duckdb()})"
    here, deeper = delimiters[0], delimiters[1:]
    depth = 4 - len(delimiters)
    var = f"x{depth}"
    if hive.name == "array":
        inner = _lazy_value(var, hive.children[0], deeper)
        return f"list_transform(string_split({raw}, {quote_literal(here)}), lambda {var}: {inner})"
    if hive.name == "map":
        if not deeper:
            return f"CAST(NULL AS {hive.duckdb()})"
        key = _lazy_value(f"split_part({var}, {quote_literal(deeper[0])}, 1)", hive.children[0], deeper[1:])
        value = _lazy_value(f"split_part({var}, {quote_literal(deeper[0])}, 2)", hive.children[1], deeper[1:])
        pair = f"struct_pack(key := {key}, value := {value})"
        entries = f"list_transform(string_split({raw}, {quote_literal(here)}), lambda {var}: {pair})"
        return f"CAST(map_from_entries({entries}) AS {hive.duckdb()})"
    parts = ", ".join(
        f"{quote_identifier(n)} := {_lazy_value(_nth(raw, here, i + 1), t, deeper)}"
        for i, (n, t) in enumerate(hive.fields)
    )
    return f"struct_pack({parts})"


def _nth(raw: str, delimiter: str, index: int) -> str:
    return f"string_split({raw}, {quote_literal(delimiter)})[{index}]"


def _open_csv_value(raw: str, hive: HiveType, index: int, null_for_invalid: bool) -> str:
    if not hive.is_scalar:
        return f"CAST(NULL AS {hive.duckdb()})"
    parsed = dialect.OPEN_CSV_PARSERS[_parser_key(hive)].format(v=raw, t=hive.duckdb())
    if hive.duckdb() == "VARCHAR" or null_for_invalid:
        return parsed
    bad = dialect.OPEN_CSV_BAD_DATA.format(v=raw, index=index)
    return f"CASE WHEN ({parsed}) IS NOT NULL THEN ({parsed}) ELSE {bad} END"


def _parser_key(hive: HiveType) -> str:
    base = hive.duckdb()
    return "DECIMAL" if base.startswith("DECIMAL") else base


def _json_relation(source: TableSource, con: Any) -> tuple[list[str], str]:
    serde_params = ((source.table.get("StorageDescriptor") or {}).get("SerdeInfo") or {}).get(
        "Parameters"
    ) or {}
    ignore_malformed = str(serde_params.get("ignore.malformed.json", "")).lower() == "true"
    case_insensitive = str(serde_params.get("case.insensitive", "true")).lower() != "false"
    reader = (
        f"read_ndjson_objects({_files_literal(source)}, filename={quote_literal(FILE_COLUMN)}"
        f"{', ignore_errors=true' if ignore_malformed else ''}) AS r"
    )
    select = []
    for name, hive in source.columns:
        key = serde_params.get(f"mapping.{name}", name)
        exact = f"json_extract(r.json, {quote_literal('$.' + json.dumps(key))})"
        value = exact
        if case_insensitive:  # the first key whose lower case matches, when the exact key is absent
            found = f"list_filter(json_keys(r.json), lambda k: lower(k) = {quote_literal(key.lower())})[1]"
            value = f"COALESCE({exact}, json_extract(r.json, '$.\"' || {found} || '\"'))"
        target = hive.duckdb()
        if hive.is_scalar:
            text = f"CASE WHEN json_type({value}) = 'NULL' THEN NULL ELSE ({value}) ->> '$' END"
            expr = text if target == "VARCHAR" else f"TRY_CAST({text} AS {target})"
        else:
            expr = f"TRY_CAST({value} AS {target})"
        select.append(f"{expr} AS {quote_identifier(name)}")
    return select, reader


def _parquet_relation(source: TableSource, con: Any) -> tuple[list[str], str]:
    files = _files_literal(source)
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({files}, union_by_name=true)").fetchall()
    available = {row[0].lower(): (row[0], row[1]) for row in described}
    reader = f"read_parquet({files}, union_by_name=true, filename={quote_literal(FILE_COLUMN)}) AS r"
    select = []
    for name, hive in source.columns:
        target = hive.duckdb()
        found = available.get(name)
        if found is None:
            expr = f"CAST(NULL AS {target})"
        else:
            column = f"r.{quote_identifier(found[0])}"
            expr = (
                column
                if found[1].replace('"', "") == target.replace('"', "")
                else f"TRY_CAST({column} AS {target})"
            )
        select.append(f"{expr} AS {quote_identifier(name)}")
    return select, reader
