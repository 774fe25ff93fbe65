"""Where the crawler infers a file's format and column types (Glue's built-in classifiers, locally).

Like Glue, a classifier reads a BOUNDED sample of each file (`SAMPLE_BYTES` from the start; a
Parquet file's footer only), never the whole file, and answers a `FileSchema`:

- Parquet: magic bytes `PAR1`; the schema and row count from the footer (ranged reads of the
  object's end only, parsed by pyarrow), mapped to Hive types by `ARROW_TO_HIVE`.
- JSON: every record in the sample is a JSON object (JSON lines, or concatenated documents); types
  merged across records (`merge_types`), nested objects -> `struct<...>`, lists -> `array<...>`. A
  null or an empty list says nothing about a type (`None` until other records tell), so `[]` in one
  record never overrides the `array<struct<...>>` another record shows; with no evidence at all the
  type is `string` (`array<string>` for lists that are always empty).
- CSV: the delimiter among `DELIMITERS` that splits the sample into a consistent number (>= 2) of
  columns. Values are trimmed before typing (Glue's default). Scalar types are `bigint`, `double`,
  `boolean`, `string`; an empty value says nothing about a column's type, so it never demotes a
  bigint column; a column that is empty throughout is `string`.
  Header rule (Glue's documented one): the first row is a header when every value in it is a
  non-empty string (not a number or boolean) shorter than 150 characters and at least one column
  of the data rows below is NOT a string; otherwise the first row is data and the columns are named
  col0, col1, ... (so a file whose columns are all strings gets no header, as on AWS).
  When fields are quoted ("...") the table uses OpenCSVSerde with that quoteChar; the columns are
  still typed from their (unquoted) values, as Glue's built-in classifier types them: Athena's
  OpenCSVSerDe parses BOOLEAN, BIGINT, INT and DOUBLE from the text
  (https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html, "Considerations for non-string
  data"), and fails on an empty value in such a column, as on AWS.
- gzip files are classified from their decompressed sample (compressionType gzip).
Column names are lowercased, as the AWS crawler writes them into the catalog.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SAMPLE_BYTES = 1024 * 1024  # what Glue reads of a text file to classify it
DELIMITERS = (",", "\t", "|", ";", "\x01")
HEADER_MAX_CHARS = 150
QUOTE = '"'

# Scalar types, from most to least specific; merging two gives the later one (bigint+double=double).
NUMERIC_ORDER = ("bigint", "double")

_BIGINT = re.compile(r"^[+-]?\d+$")
_DOUBLE = re.compile(r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$")
_INT64 = (-(2**63), 2**63 - 1)


class Unclassifiable(Exception):
    """No built-in classifier recognises the file (Glue logs and skips it)."""


# A type is a Hive type string for scalars, or ("struct", [(name, type), ...]) / ("array", type).
HiveType = Any


@dataclass
class FileSchema:
    """What one file looks like to the crawler."""

    classification: str  # csv | json | parquet
    columns: list[tuple[str, HiveType]]
    size: int
    record_count: int  # exact when the sample was the whole file (or Parquet), else estimated
    average_record_size: int
    delimiter: str | None = None
    header: bool = False
    quoted: bool = False
    compression: str = "none"
    json_paths: list[str] = field(default_factory=list)
    quote_char: str = QUOTE

    @property
    def format_key(self) -> str:
        """The reader settings of this file (its SerDe): a partition's StorageDescriptor says them."""
        if self.classification == "csv":
            return f"csv|{self.delimiter!r}|{self.quoted}|{self.quote_char}|{self.header}|{self.compression}"
        return f"{self.classification}|{self.compression}"

    @property
    def data_key(self) -> str:
        """What Glue's "data compatibility" compares: format, compression (and the CSV delimiter).

        Quoting and headers are not part of it: partitions that differ there still form one table,
        each partition keeping its own SerDe
        (https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html).
        """
        if self.classification == "csv":
            return f"csv|{self.delimiter!r}|{self.compression}"
        return f"{self.classification}|{self.compression}"

    def hive_columns(self) -> list[tuple[str, str]]:
        return [(name, render(kind)) for name, kind in self.columns]


# -- types ---------------------------------------------------------------------------------------
def render(kind: HiveType | None) -> str:
    """A type as Glue writes it: `bigint`, `array<string>`, `struct<a:bigint,b:string>`; a type no
    value showed (only nulls, empty lists) is `string`."""
    if kind is None:
        return "string"
    if isinstance(kind, tuple) and kind[0] == "struct":
        return "struct<" + ",".join(f"{n}:{render(t)}" for n, t in kind[1]) + ">"
    if isinstance(kind, tuple) and kind[0] == "array":
        return f"array<{render(kind[1])}>"
    return str(kind)


def merge_types(a: HiveType | None, b: HiveType | None) -> HiveType | None:
    """The narrowest type that holds values of both (None = no evidence yet)."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0]:
        if a[0] == "array":
            return ("array", merge_types(a[1], b[1]))
        return ("struct", merge_fields(a[1], b[1]))
    if a in NUMERIC_ORDER and b in NUMERIC_ORDER:
        return "double"
    return "string"


def merge_fields(a: list[tuple[str, HiveType]], b: list[tuple[str, HiveType]]) -> list[tuple[str, HiveType]]:
    """Columns of `a` in order with types merged, then the new columns of `b` in their order."""
    merged = dict(a)
    for name, kind in b:
        merged[name] = merge_types(merged.get(name), kind)
    return list(merged.items())


def scalar_type(text: str) -> str | None:
    """The Hive type of one CSV value; None for an empty value (it says nothing)."""
    value = text.strip()
    if value == "":
        return None
    if _BIGINT.match(value):
        return "bigint" if _INT64[0] <= int(value) <= _INT64[1] else "double"
    if _DOUBLE.match(value):
        return "double"
    if value.lower() in ("true", "false"):
        return "boolean"
    return "string"


def column_names(raw: list[str]) -> list[str]:
    """Lowercased, unique, never empty (Glue names a blank header column col<i>)."""
    names: list[str] = []
    for index, name in enumerate(raw):
        base = name.strip().lower() or f"col{index}"
        candidate, n = base, 1
        while candidate in names:
            candidate, n = f"{base}_{n}", n + 1
        names.append(candidate)
    return names


# -- reading a bounded sample -------------------------------------------------------------------
def _decompress(head: bytes) -> bytes:
    """The decompressed start of a gzip stream, tolerating a truncated sample."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return decoder.decompress(head, SAMPLE_BYTES)
    except zlib.error:
        return gzip.decompress(head)[:SAMPLE_BYTES]


def _sample_text(data: bytes, truncated: bool) -> str:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if truncated and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # drop the partial last line
    return text


# -- CSV -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CsvOptions:
    """A custom CSV classifier's settings (CreateClassifier CsvClassifier); the defaults are the
    built-in classifier's behaviour."""

    delimiter: str | None = None  # None: detect among DELIMITERS
    quote: str = QUOTE
    contains_header: str = "UNKNOWN"  # UNKNOWN (Glue's rule) | PRESENT | ABSENT
    header: tuple[str, ...] = ()  # explicit column names
    trim: bool = True  # DisableValueTrimming=false
    allow_single_column: bool = False
    serde: str | None = None  # OpenCSVSerDe | LazySimpleSerDe | None (detect)

    @classmethod
    def from_classifier(cls, spec: dict[str, Any]) -> CsvOptions:
        return cls(
            delimiter=spec.get("Delimiter") or None,
            quote=spec.get("QuoteSymbol") or QUOTE,
            contains_header=spec.get("ContainsHeader") or "UNKNOWN",
            header=tuple(spec.get("Header") or ()),
            trim=not spec.get("DisableValueTrimming", False),
            allow_single_column=bool(spec.get("AllowSingleColumn", False)),
            serde=spec.get("Serde") if spec.get("Serde") in ("OpenCSVSerDe", "LazySimpleSerDe") else None,
        )


BUILT_IN_CSV = CsvOptions()


def _rows(text: str, delimiter: str, quote: str, quoted: bool) -> list[list[str]]:
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quote, quoting=quoting)
    return [row for row in reader if row and any(cell.strip() for cell in row)]


def _pick_delimiter(text: str, quote: str, min_width: int) -> str:
    """The delimiter that splits the most lines into the same number (>= 2) of columns."""
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    candidates = []
    for rank, delimiter in enumerate(DELIMITERS):
        counts = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter, quotechar=quote))
        if not counts:
            continue
        width, hits = counts.most_common(1)[0]
        consistency = hits / len(lines)
        if width >= min_width and consistency >= 0.9:
            candidates.append((consistency, width, -rank, delimiter))
    if not candidates:
        raise Unclassifiable("no delimiter (comma, tab, pipe, semicolon, ^A) splits it into >= 2 columns")
    return max(candidates)[3]


def _is_quoted(text: str, delimiter: str, quote: str) -> bool:
    pattern = re.compile(rf"(^|{re.escape(delimiter)})\s*{re.escape(quote)}", re.MULTILINE)
    return bool(pattern.search(text[:65536]))


def _column_types(rows: list[list[str]], width: int, trim: bool) -> list[str | None]:
    types: list[str | None] = [None] * width
    for row in rows:
        for index in range(min(width, len(row))):
            value = row[index]
            kind = scalar_type(value)
            if not trim and kind not in (None, "string") and value != value.strip():
                kind = "string"  # DisableValueTrimming: " 12" is text
            types[index] = merge_types(types[index], kind)
    return types


def _has_header(first: list[str], data_types: list[str | None]) -> bool:
    """Glue's rule; see the module docstring."""
    if not first:
        return False
    for index, value in enumerate(first):
        text = value.strip()
        if scalar_type(text) != "string":
            return False
        if index < len(first) - 1 and len(text) >= HEADER_MAX_CHARS:
            return False
    return any(kind not in (None, "string") for kind in data_types)


def classify_csv(
    text: str, size: int, sample_bytes: int, whole: bool, options: CsvOptions = BUILT_IN_CSV
) -> FileSchema:
    min_width = 1 if options.allow_single_column else 2
    delimiter = options.delimiter or _pick_delimiter(text, options.quote, min_width)
    quoted = (
        _is_quoted(text, delimiter, options.quote)
        if options.serde is None
        else options.serde == "OpenCSVSerDe"
    )
    rows = _rows(text, delimiter, options.quote, quoted)
    if not rows or (len(rows) < 2 and not whole):
        raise Unclassifiable("fewer than two rows in the sample")
    width = Counter(len(r) for r in rows).most_common(1)[0][0]
    if width < min_width:
        raise Unclassifiable(f"only {width} column(s) with delimiter {delimiter!r}")
    data_types = _column_types(rows[1:], width, options.trim)
    header = {"PRESENT": True, "ABSENT": False}.get(options.contains_header)
    if header is None:
        header = _has_header(rows[0], data_types)
    if not header:
        data_types = _column_types(rows, width, options.trim)
    if options.header:
        names = column_names(list(options.header[:width]) + [""] * (width - len(options.header)))
    elif header:
        names = column_names(rows[0][:width] + [""] * (width - len(rows[0])))
    else:
        names = [f"col{i}" for i in range(width)]
    kinds = [kind or "string" for kind in data_types]
    records = len(rows) - (1 if header else 0)
    average = max(1, sample_bytes // max(1, len(rows)))
    estimate = (
        records if whole else max(records, round(size * len(rows) / sample_bytes) - (1 if header else 0))
    )
    return FileSchema(
        classification="csv",
        columns=list(zip(names, kinds, strict=True)),
        size=size,
        record_count=estimate,
        average_record_size=average,
        delimiter=delimiter,
        header=header,
        quoted=quoted,
        quote_char=options.quote,
    )


# -- JSON ----------------------------------------------------------------------------------------
def json_type(value: Any) -> HiveType | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint" if _INT64[0] <= value <= _INT64[1] else "double"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        element: HiveType | None = None
        for item in value:
            element = merge_types(element, json_type(item))
        return ("array", element)
    if isinstance(value, dict):
        return ("struct", [(k, json_type(v)) for k, v in value.items()])
    return "string"


def _json_records(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    records: list[dict[str, Any]] = []
    position, end = 0, len(text)
    while True:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            if records and "\n" not in text[position:].rstrip():
                break  # the sample cut the last record
            raise Unclassifiable("not JSON records") from None
        if not isinstance(value, dict):
            raise Unclassifiable("JSON, but its records are not objects")
        records.append(value)
    if not records:
        raise Unclassifiable("no JSON records")
    return records


def classify_json(text: str, size: int, sample_bytes: int, whole: bool) -> FileSchema:
    records = _json_records(text)
    fields: list[tuple[str, HiveType]] = []
    for record in records:
        fields = merge_fields(fields, [(k.lower(), json_type(v)) for k, v in record.items()])
    columns = list(fields)  # None parts stay None until `render`: other files may still tell
    average = max(1, sample_bytes // len(records))
    return FileSchema(
        classification="json",
        columns=columns,
        size=size,
        record_count=len(records) if whole else max(len(records), round(size * len(records) / sample_bytes)),
        average_record_size=average,
        json_paths=sorted(name for name, _ in columns),
    )


# -- Parquet -------------------------------------------------------------------------------------
def arrow_to_hive(arrow_type: Any) -> str:
    """A pyarrow type as the Hive type Glue's Parquet classifier writes."""
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(arrow_type):
        return arrow_to_hive(arrow_type.value_type)
    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_int8(arrow_type):
        return "tinyint"
    if t.is_int16(arrow_type):
        return "smallint"
    if t.is_int32(arrow_type) or t.is_uint8(arrow_type) or t.is_uint16(arrow_type):
        return "int"
    if t.is_integer(arrow_type):
        return "bigint"
    if t.is_float16(arrow_type) or t.is_float32(arrow_type):
        return "float"
    if t.is_float64(arrow_type):
        return "double"
    if t.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if t.is_string(arrow_type) or t.is_large_string(arrow_type):
        return "string"
    if t.is_binary(arrow_type) or t.is_large_binary(arrow_type) or t.is_fixed_size_binary(arrow_type):
        return "binary"
    if t.is_date(arrow_type):
        return "date"
    if t.is_timestamp(arrow_type):
        return "timestamp"
    if t.is_list(arrow_type) or t.is_large_list(arrow_type) or t.is_fixed_size_list(arrow_type):
        return f"array<{arrow_to_hive(arrow_type.value_type)}>"
    if t.is_map(arrow_type):
        return f"map<{arrow_to_hive(arrow_type.key_type)},{arrow_to_hive(arrow_type.item_type)}>"
    if t.is_struct(arrow_type):
        fields = [arrow_type.field(i) for i in range(arrow_type.num_fields)]
        return "struct<" + ",".join(f"{f.name}:{arrow_to_hive(f.type)}" for f in fields) + ">"
    return "string"


PARQUET_MAGIC = b"PAR1"
PARQUET_TAIL_GUESS = 64 * 1024  # one read usually holds the whole footer


def parquet_footer(read_tail: Callable[[int], bytes], size: int) -> bytes:
    """The file's footer as a tiny Parquet file of its own (`PAR1` + metadata + length + `PAR1`).

    Reads only the end of the object (one ranged read, two for footers over 64 KiB), as Glue does:
    the schema and row count are in the footer; the column offsets in it are never followed.
    """
    tail = read_tail(min(size, PARQUET_TAIL_GUESS))
    if len(tail) < 12 or tail[-4:] != PARQUET_MAGIC:
        raise Unclassifiable("not a Parquet file: it does not end with PAR1 (truncated, or encrypted)")
    needed = int.from_bytes(tail[-8:-4], "little") + 8
    if needed + 4 > size:
        raise Unclassifiable(f"Parquet footer length {needed - 8} does not fit a {size}-byte file")
    if needed > len(tail):
        tail = read_tail(needed)
    return PARQUET_MAGIC + tail[-needed:]


def classify_parquet(read_tail: Callable[[int], bytes], size: int) -> FileSchema:
    import pyarrow as pa
    import pyarrow.parquet as pq

    footer = parquet_footer(read_tail, size)
    try:
        parquet = pq.ParquetFile(pa.BufferReader(footer))
    except Exception as exc:
        raise Unclassifiable(f"Parquet footer unreadable: {exc}") from None
    schema = parquet.schema_arrow
    rows = parquet.metadata.num_rows
    names = column_names([f.name for f in schema])
    return FileSchema(
        classification="parquet",
        columns=[(name, arrow_to_hive(f.type)) for name, f in zip(names, schema, strict=True)],
        size=size,
        record_count=rows,
        average_record_size=max(1, size // rows) if rows else 0,
    )


# -- entry point ---------------------------------------------------------------------------------
def classify(
    head: bytes,
    size: int,
    read_tail: Callable[[int], bytes],
    sample_bytes: int = SAMPLE_BYTES,
    custom_csv: list[CsvOptions] | None = None,
) -> FileSchema:
    """Classify one object from `head` (its first `sample_bytes`); `read_tail(n)` (the object's last
    `n` bytes) is only called for Parquet, whose footer sits at the end of the file. Custom CSV
    classifiers (the crawler's `Classifiers`) are tried first, in order, as Glue does; then the
    built-in ones."""
    if head[:4] == PARQUET_MAGIC:
        return classify_parquet(read_tail, size)
    compression = "none"
    whole = size <= len(head)
    if head[:2] == b"\x1f\x8b":
        compression = "gzip"
        head = _decompress(head)
        whole = whole and len(head) < sample_bytes
    if not head.strip():
        raise Unclassifiable("empty file")
    text = _sample_text(head, truncated=not whole)
    stripped = text.lstrip()
    schema: FileSchema | None = None
    for options in custom_csv or []:
        try:
            schema = classify_csv(text, size, len(head), whole, options)
            break
        except Unclassifiable:
            continue
    if schema is None and stripped.startswith("{"):
        try:
            schema = classify_json(text, size, len(head), whole)
        except Unclassifiable:
            schema = None
    if schema is None:
        schema = classify_csv(text, size, len(head), whole)
    schema.compression = compression
    return schema
