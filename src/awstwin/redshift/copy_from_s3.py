"""`COPY table FROM 's3://...'`: the front reads S3 and feeds the rows to `COPY ... FROM STDIN`.

The statement runs in the client's session, so the load is part of its transaction and all or nothing.
The front first asks the warehouse (same session) for the target's columns, then reads each file
(CSV, pipe-delimited text, Parquet, JSON 'auto' / 'auto ignorecase' / jsonpaths; GZIP, BZIP2, ZSTD),
checks every field against its column as Redshift does and sends the good rows as CSV. Rejected
rows are written to stl_load_errors on a connection of its own (so they stay after the rollback);
more than MAXERROR of them (default 0) fail the COPY with Redshift's message.
COPY reference: https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from awstwin.redshift import s3io, wire
from awstwin.redshift.context import SessionState
from awstwin.redshift.copy_fast import fast_csv
from awstwin.redshift.options import read_options
from awstwin.redshift.plan import Action, LoadFailed, Plan, Step
from awstwin.redshift.translate import Statement, TranslateError, quote_literal
from awstwin.redshift.values import FieldError, FieldRules, TargetColumn, check

CHUNK_BYTES = 1 << 20
LOAD_FAILED = "Load into table '{table}' failed.  Check 'stl_load_errors' system table for details."


@dataclass
class CopyCommand:
    table: str  # as written
    columns: list[str] | None
    source: str
    options: dict[str, object]

    @property
    def table_name(self) -> str:
        return self.table.split(".")[-1].strip('"')


def parse_copy(statement: Statement) -> CopyCommand | None:
    """A COPY from S3, or None for any other COPY (FROM STDIN, TO ...): those go to Postgres as written."""
    index = 1
    while index < len(statement.tokens) and statement.word(index) not in ("(", "FROM", "TO"):
        index += 1
    if index == 1:
        return None
    table = statement.text(1, index - 1)
    columns = None
    if statement.word(index) == "(":
        close = statement.matching(index)
        columns = [statement.text(i, i) for i in range(index + 1, close) if statement.word(i) != ","]
        index = close + 1
    if statement.word(index) != "FROM" or index + 1 >= len(statement.tokens):
        return None
    source = statement.tokens[index + 1]
    if not source.text.lower().startswith(("s3://", "s3a://")):
        return None
    return CopyCommand(table, columns, source.text, read_options(statement, index + 2))


def plan_copy(statement: Statement, state: SessionState) -> Plan | None:
    command = parse_copy(statement)
    if command is None:
        return None
    options = command.options
    for unsupported in ("FIXEDWIDTH", "AVRO", "ORC", "SHAPEFILE", "LZOP", "NOLOAD"):
        if unsupported in options:
            raise TranslateError(f"COPY option {unsupported} is not supported by the local Redshift front")
    target = TargetCapture()
    names = ", ".join(command.columns) if command.columns else None
    describe = (
        "SELECT a.attname, t.typname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atttypmod, "
        f"{quote_literal(command.table)}::regclass::oid "
        f"FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = "
        f"{quote_literal(command.table)}::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    )
    feed = CopyFeed(command, target, state)
    load = f"COPY {command.table} ({names}) FROM STDIN WITH (FORMAT csv)" if names else None
    return Plan(
        [
            Step(describe, visible=False, action=target),
            Step(load or f"COPY {command.table} FROM STDIN WITH (FORMAT csv)", action=feed),
        ]
    )


class TargetCapture(Action):
    """Collects the target table's columns (the hidden step before the COPY)."""

    captures_rows = True

    def __init__(self) -> None:
        self.columns: list[TargetColumn] = []
        self.table_oid = 0

    def on_row(self, values: list[bytes | None]) -> None:
        name, typname, formatted, not_null, typmod, oid = [(v or b"").decode() for v in values]
        if any(column.name == name for column in self.columns):  # the step ran again: a new answer
            self.columns = []
        length = int(typmod) - 4 if typname in ("varchar", "bpchar") and int(typmod) > 4 else None
        precision = None
        if typname == "numeric" and int(typmod) > 4:
            raw = int(typmod) - 4
            precision = (raw >> 16, raw & 0xFFFF)
        self.columns.append(TargetColumn(name, typname, formatted, not_null == "t", length, precision))
        self.table_oid = int(oid)


@dataclass
class Record:
    filename: str
    line_number: int
    raw_line: str
    fields: list[str | None]


@dataclass
class Checked:
    """A whole file, checked and converted at once (copy_fast): CSV for Postgres and its row count."""

    csv: bytes
    rows: int


@dataclass
class LoadError:
    record: Record
    column: TargetColumn | None
    code: int
    reason: str
    value: str = ""
    position: int = 0


@dataclass
class CopyFeed(Action):
    command: CopyCommand
    target: TargetCapture
    state: SessionState
    feeds_copy = True
    errors: list[LoadError] = field(default_factory=list)
    loaded: int = 0
    failure: LoadFailed | None = None
    query_id: int = 0
    started: datetime = field(default_factory=datetime.utcnow)

    # ---- the feed -------------------------------------------------------------------------------

    def copy_chunks(self) -> Iterator[bytes]:
        options = self.command.options
        columns = self._columns()
        rules = FieldRules(
            date_format=_text(options.get("DATEFORMAT")),
            time_format=_text(options.get("TIMEFORMAT")),
            truncate_columns="TRUNCATECOLUMNS" in options,
            typed_source="PARQUET" in options or "JSON" in options,
        )
        max_errors = int(str(options.get("MAXERROR", "0")))
        self.query_id = self.state.front.next_query_id(self.state.database)
        buffer = io.StringIO()
        try:
            for record in self._records(columns):
                if isinstance(record, Checked):  # a whole file that passed every check at once
                    if buffer.tell():
                        yield buffer.getvalue().encode()
                        buffer = io.StringIO()
                    for start in range(0, len(record.csv), CHUNK_BYTES):
                        yield record.csv[start : start + CHUNK_BYTES]
                    self.loaded += record.rows
                    continue
                row = self._row(record, columns, rules)
                if row is None:
                    if len(self.errors) > max_errors:
                        self._fail()
                    continue
                buffer.write(",".join(_csv_field(value) for value in row) + "\n")
                self.loaded += 1
                if buffer.tell() >= CHUNK_BYTES:
                    yield buffer.getvalue().encode()
                    buffer = io.StringIO()
        except s3io.S3Error as error:
            self.failure = LoadFailed(str(error), "XX000")
            raise self.failure from error
        finally:
            self._log_errors()
        if buffer.tell():
            yield buffer.getvalue().encode()

    def _columns(self) -> list[TargetColumn]:
        columns = self.target.columns
        if self.command.columns:
            wanted = [
                name.strip('"') if name.startswith('"') else name.lower() for name in self.command.columns
            ]
            by_name = {column.name: column for column in columns}
            columns = [by_name[name] for name in wanted if name in by_name]
        return columns

    def _row(self, record: Record, columns: list[TargetColumn], rules: FieldRules) -> list[str | None] | None:
        fields = record.fields
        if len(fields) < len(columns) and "FILLRECORD" in self.command.options:
            fields = fields + [None] * (len(columns) - len(fields))
        if len(fields) > len(columns):
            return self._reject(
                LoadError(record, columns[-1] if columns else None, 1202, "Extra column(s) found")
            )
        if len(fields) < len(columns):
            return self._reject(LoadError(record, columns[len(fields)], 1214, "Delimiter not found"))
        row: list[str | None] = []
        for value, column in zip(fields, columns, strict=True):
            value = self._nullify(value, column)
            if value is None:
                if column.not_null:
                    return self._reject(LoadError(record, column, 1213, "Missing data for not-null field"))
                row.append(None)
                continue
            try:
                row.append(check(value, column, rules))
            except FieldError as error:
                return self._reject(
                    LoadError(record, column, error.code, error.reason, value, error.position)
                )
        return row

    def _nullify(self, value: str | None, column: TargetColumn) -> str | None:
        options = self.command.options
        if value is None or ("NULL" in options and value == options["NULL"]):
            return None
        is_text = column.type_name in ("varchar", "bpchar", "text")
        if value == "" and (not is_text or "EMPTYASNULL" in options):
            return None
        if is_text and "BLANKSASNULL" in options and value.strip() == "":
            return None
        if "TRIMBLANKS" in options and is_text:
            value = value.rstrip()
        return value

    def _reject(self, error: LoadError) -> None:
        self.errors.append(error)
        return None

    def _fail(self) -> None:
        self.failure = LoadFailed(LOAD_FAILED.format(table=self.command.table_name), "XX000", self._detail())
        raise self.failure

    def _detail(self) -> str:
        if not self.errors:
            return ""
        first = self.errors[0]
        line = "-" * 47
        return (
            f"\n  {line}\n  error:  {first.reason}\n  code:      {first.code}\n"
            f"  context:   {first.value or first.record.raw_line[:100]}\n  query:     {self.query_id}\n"
            f"  location:  {first.record.filename}:{first.record.line_number}\n  {line}\n"
        )

    def _log_errors(self) -> None:
        if not self.errors:
            return
        rows = []
        for error in self.errors:
            column = error.column
            rows.append(
                {
                    "userid": self.state.user_id,
                    "slice": 0,
                    "tbl": self.target.table_oid,
                    "starttime": self.started,
                    "session": self.state.backend_pid,
                    "query": self.query_id,
                    "filename": error.record.filename,
                    "line_number": error.record.line_number,
                    "colname": column.name if column else "",
                    "type": column.type_name if column else "",
                    "col_length": str(column.length or (column.precision or ("",))[0]) if column else "",
                    "position": error.position,
                    "raw_line": _printable(error.record.raw_line),
                    "raw_field_value": _printable(error.value),
                    "err_code": error.code,
                    "err_reason": error.reason,
                    "is_partial": 0,
                    "start_offset": 0,
                    "copy_job_id": 0,
                    "table_name": self.command.table,
                }
            )
        self.state.front.record_load_errors(self.state.database, rows)

    # ---- the session's view ---------------------------------------------------------------------

    def on_complete(self, tag: str) -> tuple[str, list[bytes]]:
        self.state.last_copy_count = self.loaded
        self.state.last_copy_id = self.query_id
        table = self.command.table_name
        notices = [
            wire.error_response(
                f"Load into table '{table}' completed, {self.loaded} record(s) loaded successfully.",
                "00000",
                "INFO",
            )
        ]
        if self.errors:
            notices.append(
                wire.error_response(
                    f"Load into table '{table}' completed, {len(self.errors)} record(s) could "
                    "not be loaded.  Check 'stl_load_errors' system table for details.",
                    "00000",
                    "INFO",
                )
            )
        return tag, notices

    def on_error(self, fields: dict[str, str]) -> dict[str, str]:
        if self.failure is not None:
            fields = {**fields, "M": self.failure.message, "C": self.failure.code, "D": self.failure.detail}
            fields.pop("W", None)
        return fields

    # ---- reading the files ----------------------------------------------------------------------

    def _records(self, columns: list[TargetColumn]) -> Iterator[Record | Checked]:
        options = self.command.options
        s3 = self.state.front.s3(_text(options.get("REGION")), _credentials(options))
        compression = next((name for name in s3io.COMPRESSIONS if name in options), None)
        for url in self._files(s3):
            data = s3io.read(s3, url, compression)
            if "PARQUET" in options:
                yield from parquet_records(str(url), data, len(columns))
            elif "JSON" in options:
                yield from json_records(str(url), data, columns, options, s3)
            else:
                checked = fast_csv(data, columns, options)
                if checked is not None:
                    yield Checked(*checked)
                else:
                    yield from text_records(str(url), data, options)

    def _files(self, s3) -> list[s3io.S3Url]:
        url = s3io.S3Url.parse(self.command.source)
        if "MANIFEST" in self.command.options:
            manifest = json.loads(s3io.read(s3, url))
            files = []
            for entry in manifest.get("entries", []):
                entry_url = s3io.S3Url.parse(entry["url"])
                if s3io.list_keys(s3, entry_url) or not entry.get("mandatory", False):
                    files += [item for item in s3io.list_keys(s3, entry_url) if item.key == entry_url.key]
                else:
                    raise s3io.S3Error(f"Manifest file is missing mandatory file: {entry_url}")
            return files
        files = s3io.list_keys(s3, url)
        if not files:
            raise s3io.S3Error(f"The specified S3 prefix '{url.key}' does not exist")
        return files


def _text(value: object) -> str | None:
    return None if value is None or value is True else str(value)


def _credentials(options: dict[str, object]) -> dict[str, str] | None:
    if "ACCESS_KEY_ID" in options:
        found = {
            "aws_access_key_id": str(options["ACCESS_KEY_ID"]),
            "aws_secret_access_key": str(options.get("SECRET_ACCESS_KEY", "")),
        }
        if "SESSION_TOKEN" in options:
            found["aws_session_token"] = str(options["SESSION_TOKEN"])
        return found
    if "CREDENTIALS" in options:
        parts = dict(part.split("=", 1) for part in str(options["CREDENTIALS"]).split(";") if "=" in part)
        if "aws_access_key_id" in parts:
            keys = ("aws_access_key_id", "aws_secret_access_key", "token")
            names = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
            return {name: parts[key] for key, name in zip(keys, names, strict=True) if key in parts}
    return None


def _csv_field(value: str | None) -> str:
    if value is None:
        return ""
    return '"' + value.replace('"', '""') + '"'


def _printable(text: str) -> str:
    """Multibyte characters become periods, as stl_load_errors shows them."""
    return re.sub(r"[^\x00-\x7f]", ".", text or "").replace("\0", "")


# ---- formats --------------------------------------------------------------------------------------


def text_records(filename: str, data: bytes, options: dict[str, object]) -> Iterator[Record]:
    """CSV (FORMAT CSV: quotes) or Redshift's default text format (pipe-delimited, no quoting).

    The CSV reader runs over the list of lines (C speed); its line count after each record tells
    which lines the record took, so a rejected record is reported with its own line(s).
    """
    text = data.decode("utf-8", "replace")
    is_csv = "CSV" in options
    delimiter = str(options.get("DELIMITER", "," if is_csv else "|"))
    skip = int(str(options.get("IGNOREHEADER", "0")))
    lines = text.splitlines(keepends=True)
    if is_csv:
        quote = str(options.get("QUOTE", '"'))
        reader = csv.reader(lines, delimiter=delimiter, quotechar=quote, strict=False)
        taken = 0
        for fields in reader:
            first, taken = taken, reader.line_num
            if first < skip:
                continue
            raw = "".join(lines[first:taken]).rstrip("\r\n")
            if not fields and ("IGNOREBLANKLINES" in options or raw == ""):
                continue
            yield Record(filename, first + 1, raw, list(fields))
        return
    for number, line in enumerate(lines, start=1):
        raw = line.rstrip("\r\n")
        if number <= skip or (raw == "" or ("IGNOREBLANKLINES" in options and not raw.strip())):
            continue
        yield Record(filename, number, raw, _split_text(raw, delimiter, options))


def _split_text(line: str, delimiter: str, options: dict[str, object]) -> list[str | None]:
    line = line.rstrip("\r\n")
    fields: list[str | None] = list(line.split(delimiter))
    null = str(options.get("NULL", "\\N"))
    if "REMOVEQUOTES" in options:
        fields = [f[1:-1] if f and len(f) > 1 and f[0] == f[-1] == '"' else f for f in fields]
    return [None if value == null else value for value in fields]


def parquet_records(filename: str, data: bytes, width: int) -> Iterator[Record]:
    """Parquet columns are matched to the table's by position, as Redshift does."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(data))
    texts = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            # Arrow's %S already carries the fraction at the column's unit (no %f in Arrow).
            column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_boolean(column.type):
            column = pc.if_else(column, "true", "false")
        texts.append(column.cast(pa.string()).to_pylist())
    for number, values in enumerate(zip(*texts, strict=True), start=1):
        yield Record(filename, number, "|".join("" if v is None else v for v in values), list(values))
    if table.num_rows and table.num_columns != width:
        return


def json_records(
    filename: str, data: bytes, columns: list[TargetColumn], options: dict[str, object], s3
) -> Iterator[Record]:  # noqa: E501
    """JSON objects, one after another; 'auto' matches keys to column names, a jsonpaths file by order."""
    how = str(options.get("JSON", "auto"))
    text = data.decode("utf-8", "replace")
    paths = None
    if how.lower().startswith("s3://"):
        paths = json.loads(s3io.read(s3, s3io.S3Url.parse(how)))["jsonpaths"]
    ignore_case = how.lower() == "auto ignorecase"
    decoder = json.JSONDecoder()
    at, line = 0, 1
    while True:
        while at < len(text) and text[at].isspace():
            line += text[at] == "\n"
            at += 1
        if at >= len(text):
            return
        start = at
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as error:
            raw = text[start : start + 1024]
            yield Record(filename, line, raw, ["\0invalid json: " + error.msg])
            return
        line += text.count("\n", start, at)
        raw = text[start:at]
        if not isinstance(value, dict):
            yield Record(filename, line, raw, [])
            continue
        if paths is not None:
            fields = [_json_text(_json_path(value, path)) for path in paths]
        else:
            source = {key.lower(): item for key, item in value.items()} if ignore_case else value
            fields = [_json_text(source.get(column.name)) for column in columns]
        yield Record(filename, line, raw, fields)


_PATH_PART = re.compile(r"\.([A-Za-z_][\w]*)|\['([^']*)'\]|\[\"([^\"]*)\"\]|\[(\d+)\]")


def _json_path(value: object, path: str) -> object:
    """`$.a.b`, `$['a']['b']`, `$.a[0]`: the JSONPath subset Redshift's jsonpaths files use."""
    if not path.startswith("$"):
        raise TranslateError(f"jsonpaths expression {path!r} does not start with $")
    for match in _PATH_PART.finditer(path[1:]):
        key, quoted, double, position = match.groups()
        if position is not None:
            value = value[int(position)] if isinstance(value, list) and int(position) < len(value) else None
        else:
            name = key or quoted or double
            value = value.get(name) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
