"""How a catalog table's files are laid out, read from its StorageDescriptor.

The crawler writes these descriptors, Athena DDL creates them, and every reader (DuckDB in Athena,
Spark in the Glue job runtime) interprets them here, so all agree on what a table means. The known
formats are data (`FORMATS`), not branches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
OPENX_JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
HIVE_JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"


@dataclass(frozen=True)
class FormatSpec:
    """What Glue writes into a table's StorageDescriptor for one classification."""

    classification: str
    input_format: str
    output_format: str
    serde: str


# classification -> the StorageDescriptor the AWS Glue crawler writes for it
FORMATS: dict[str, FormatSpec] = {
    "csv": FormatSpec("csv", TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE_SERDE),
    "csv-quoted": FormatSpec("csv", TEXT_INPUT, TEXT_OUTPUT, OPEN_CSV_SERDE),
    "json": FormatSpec("json", TEXT_INPUT, TEXT_OUTPUT, OPENX_JSON_SERDE),
    "parquet": FormatSpec("parquet", PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE),
}

# serde class -> the file kind a reader must parse
SERDE_KINDS: dict[str, str] = {
    LAZY_SIMPLE_SERDE: "csv",
    OPEN_CSV_SERDE: "csv",
    OPENX_JSON_SERDE: "json",
    HIVE_JSON_SERDE: "json",
    PARQUET_SERDE: "parquet",
}


# LazySimpleSerDe's separators when a table names none: fields, collection items, map keys.
HIVE_DEFAULT_SEPARATORS = ("\x01", "\x02", "\x03")
_JAVA_BYTE = re.compile(r"[+-]?[0-9]+")


def hive_byte(value: str | None, default: str | None) -> str | None:
    """Read a LazySimpleSerDe separator property the way Hive does (`LazySerDeParameters.getByte`).

    A value that parses as a Java byte (-128..127) is that byte: `'1'` is \\x01 (what
    `serialization.format='1'` means), `'9'` a tab, `'44'` a comma; anything else is its first
    character (`','`, `'|'`, `'\\t'` as a real tab); missing or empty is `default`.
    """
    if value is None or value == "":
        return default
    if _JAVA_BYTE.fullmatch(value) and -128 <= int(value) <= 127:
        return chr(int(value) % 256)
    return value[0]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Hive/Glue type name: bigint, double, string, boolean, date, timestamp, decimal(p,s), ...


@dataclass(frozen=True)
class StorageFormat:
    """Everything a reader needs to turn a table's files into rows."""

    kind: str  # csv | json | parquet
    location: str
    columns: list[Column]
    partition_keys: list[Column] = field(default_factory=list)
    serde: str = LAZY_SIMPLE_SERDE
    # The field separator: OpenCSVSerde's separatorChar, or LazySimpleSerDe's field.delim, else its
    # serialization.format, each read as Hive reads it (`hive_byte`); \x01 when neither is set.
    delimiter: str = HIVE_DEFAULT_SEPARATORS[0]
    # LazySimpleSerDe's separators of array items / struct fields, and of map keys from values.
    collection_delimiter: str = HIVE_DEFAULT_SEPARATORS[1]
    mapkey_delimiter: str = HIVE_DEFAULT_SEPARATORS[2]
    # OpenCSVSerde strips this quote character; LazySimpleSerDe keeps quotes as data (None).
    quote_char: str | None = None
    escape_char: str | None = None
    skip_header_lines: int = 0
    null_format: str | None = None
    compression: str | None = None

    @property
    def strips_quotes(self) -> bool:
        return self.quote_char is not None

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> StorageFormat:
        """Read a Glue `Table` (or `TableInput`) dict as AWS returns it."""
        sd = table.get("StorageDescriptor") or {}
        serde_info = sd.get("SerdeInfo") or {}
        serde = serde_info.get("SerializationLibrary") or LAZY_SIMPLE_SERDE
        serde_params = serde_info.get("Parameters") or {}
        params = {**(table.get("Parameters") or {}), **(sd.get("Parameters") or {})}
        kind = SERDE_KINDS.get(serde) or _kind_from_classification(params.get("classification"), sd)
        columns = [Column(c["Name"], c.get("Type", "string")) for c in sd.get("Columns") or []]
        partitions = [Column(c["Name"], c.get("Type", "string")) for c in table.get("PartitionKeys") or []]
        collection, mapkey = HIVE_DEFAULT_SEPARATORS[1:]
        if serde == OPEN_CSV_SERDE:  # opencsv takes the first character of each property
            delimiter = (serde_params.get("separatorChar") or ",")[0]
            quote: str | None = (serde_params.get("quoteChar") or '"')[0]
            escape: str | None = (serde_params.get("escapeChar") or "\\")[0]
        else:
            delimiter = _lazy_field_delimiter(serde_params)
            quote, escape = None, hive_byte(serde_params.get("escape.delim"), None)
            # `colelction.delim` is Hive's own historical misspelling, still honoured by Hive
            collection = hive_byte(
                serde_params.get("collection.delim", serde_params.get("colelction.delim")), collection
            )
            mapkey = hive_byte(serde_params.get("mapkey.delim"), mapkey)
        return cls(
            kind=kind,
            location=sd.get("Location", ""),
            columns=columns,
            partition_keys=partitions,
            serde=serde,
            delimiter=delimiter,
            collection_delimiter=collection or HIVE_DEFAULT_SEPARATORS[1],
            mapkey_delimiter=mapkey or HIVE_DEFAULT_SEPARATORS[2],
            quote_char=quote,
            escape_char=escape,
            skip_header_lines=int(params.get("skip.header.line.count", "0") or 0),
            null_format=serde_params.get("serialization.null.format"),
            compression=params.get("compressionType") if params.get("compressionType") != "none" else None,
        )


def partition_storage(table: dict[str, Any], partition: dict[str, Any]) -> StorageFormat:
    """How one partition's files are laid out: the table's StorageDescriptor overlaid by the
    partition's own (its SerDe, location, parameters; a crawler writes one per partition), read with
    the table's columns, as Hive and Trino read a partition."""
    sd = dict(table.get("StorageDescriptor") or {})
    own = partition.get("StorageDescriptor") or {}
    sd.update({k: v for k, v in own.items() if k != "Columns" and v})
    params = {**(table.get("Parameters") or {}), **(partition.get("Parameters") or {})}
    return StorageFormat.from_table({**table, "StorageDescriptor": sd, "Parameters": params})


def _lazy_field_delimiter(serde_params: dict[str, str]) -> str:
    """Hive: `field.delim` if present, else `serialization.format`, read as a byte; \\x01 if empty."""
    raw = serde_params.get("field.delim", serde_params.get("serialization.format"))
    return hive_byte(raw, HIVE_DEFAULT_SEPARATORS[0]) or HIVE_DEFAULT_SEPARATORS[0]


def _kind_from_classification(classification: str | None, sd: dict[str, Any]) -> str:
    if classification in ("csv", "json", "parquet"):
        return classification
    if "parquet" in (sd.get("InputFormat") or "").lower():
        return "parquet"
    return "csv"
