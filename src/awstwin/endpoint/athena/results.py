"""Query result files in the output location, written and read back the way Athena does.

Files, as Athena names them under `<OutputLocation>/`:
- `<id>.csv`: a SELECT's rows. A header row, then one line per row; every value double-quoted
  (quotes doubled inside), NULL an empty unquoted field; values rendered as Athena renders them
  (`2024-01-02 03:04:05.000`, `1.0E7`, `[1, 2]`, `{a=1}`).
- `<id>.txt`: a DDL or utility statement's output (SHOW, DESCRIBE, MSCK REPAIR): plain text, one
  line per row, fields separated by tabs; GetQueryResults returns each line as one value.
- `<id>.csv.metadata` / `<id>.txt.metadata`: on AWS a binary file that GetQueryResults reads the
  column types from. Here it is JSON with the same purpose: `{"awstwin": "athena-result-metadata",
  "version": 1, "QueryExecutionId", "StatementType", "ColumnInfo": [...], "RowCount",
  "UpdateCount", "Format": "csv"|"txt"}`; GetQueryResults reads `ColumnInfo` from it.
- `<id>-manifest.csv`: the S3 objects a CTAS or INSERT INTO wrote, one URI per line.
GetQueryResults pages through the result file itself (a NextToken is a byte offset), so results
survive a restart of the endpoint exactly as long as the objects do.
"""

from __future__ import annotations

import base64
import json
import mmap
import re
import shutil
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from awstwin.endpoint.athena import dialect
from awstwin.endpoint.athena.dialect import duck_children, duck_type_id, quote_identifier, quote_literal
from awstwin.endpoint.athena.exceptions import InvalidRequestException
from awstwin.endpoint.s3access import S3Access, parse_s3_uri

METADATA_MARK = "athena-result-metadata"


def result_uri(output_location: str, query_id: str, suffix: str) -> str:
    return f"{output_location.rstrip('/')}/{query_id}{suffix}"


# ---------------------------------------------------------------------------------------------------
# Rendering values as Athena writes them
# ---------------------------------------------------------------------------------------------------


def java_scientific(text: str) -> str:
    """A shortest float repr (`1e+16`, `12345678.9`) in Java's `Double.toString` style (`1.0E16`)."""
    sign, digits, exponent = Decimal(text).as_tuple()
    digit_text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    mantissa = digit_text[0] + "." + (digit_text[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{power}"


def _double_sci(value: float) -> str:
    return java_scientific(repr(value))


def _real_sci(value: float) -> str:
    import numpy

    return java_scientific(repr(float(str(numpy.float32(value)))))


def register_renderers(con: Any) -> None:
    """Python helpers for the rare doubles Java prints in scientific notation."""
    con.create_function("athena_double_sci", _double_sci, ["DOUBLE"], "VARCHAR")
    con.create_function("athena_real_sci", _real_sci, ["FLOAT"], "VARCHAR")


def _floating(expr: str, sci: str) -> str:
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL WHEN isnan({expr}) THEN 'NaN' "
        f"WHEN isinf({expr}) THEN CASE WHEN {expr} > 0 THEN 'Infinity' ELSE '-Infinity' END "
        f"WHEN {expr} = 0 OR (abs({expr}) >= 1e-3 AND abs({expr}) < 1e7) THEN CAST({expr} AS VARCHAR) "
        f"ELSE {sci}({expr}) END"
    )


# DuckDB type id -> SQL rendering `{x}` as Athena's text (types not listed: CAST to VARCHAR)
RENDERERS: dict[str, str] = {
    "varchar": "{x}",
    "timestamp": "strftime({x}, '%Y-%m-%d %H:%M:%S.%g')",
    "timestamp_ms": "strftime({x}, '%Y-%m-%d %H:%M:%S.%g')",
    "timestamp_ns": "strftime(CAST({x} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')",
    "timestamp_s": "strftime(CAST({x} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')",
    "timestamp with time zone": "strftime({x}, '%Y-%m-%d %H:%M:%S.%g') || ' UTC'",
    "time": "strftime(DATE '1970-01-01' + {x}, '%H:%M:%S.%g')",
    "blob": "rtrim(regexp_replace(lower(hex({x})), '(..)', '\\1 ', 'g'))",
}


def render_sql(expr: str, duck_type: Any, depth: int = 0) -> str:
    """SQL turning `expr` into the text Athena writes for it (NULL stays NULL)."""
    kind = duck_type_id(duck_type)
    children = duck_children(duck_type)
    var = f"e{depth}"
    if kind == "double":
        return _floating(expr, "athena_double_sci")
    if kind == "float":
        return _floating(expr, "athena_real_sci")
    if kind in ("list", "array"):
        inner = render_sql(var, children[0][1], depth + 1)
        items = f"list_transform({expr}, lambda {var}: coalesce({inner}, 'null'))"
        body = f"'[' || array_to_string({items}, ', ') || ']'"
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE {body} END"
    if kind == "map":
        key = render_sql(f"{var}.key", children[0][1], depth + 1)
        value = render_sql(f"{var}.value", children[1][1], depth + 1)
        pair = f"coalesce({key}, 'null') || '=' || coalesce({value}, 'null')"
        items = f"list_transform(map_entries({expr}), lambda {var}: {pair})"
        body = f"'{{' || array_to_string({items}, ', ') || '}}'"
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE {body} END"
    if kind == "struct":
        parts = []
        for index, (name, child) in enumerate(children):
            label = f"field{index}" if re.fullmatch(r"_\d+|v\d+", name) else name
            field = render_sql(f"struct_extract({expr}, {quote_literal(name)})", child, depth + 1)
            parts.append(f"{quote_literal(label + '=')} || coalesce({field}, 'null')")
        body = " || ', ' || ".join(parts) or "''"
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE '{{' || {body} || '}}' END"
    template = RENDERERS.get(kind, "CAST({x} AS VARCHAR)")
    return template.format(x=expr)


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------


class ResultWriter:
    """Writes result files locally, then puts them in S3 through the endpoint's S3 helper."""

    def __init__(self, s3: S3Access, scratch: Path):
        self.s3 = s3
        self.scratch = scratch

    def _local(self, suffix: str) -> Path:
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch / f"{uuid.uuid4().hex}{suffix}"

    def _publish(self, local: Path, uri: str) -> None:
        bucket, key = parse_s3_uri(uri)
        try:
            self.s3.upload_file(local, bucket, key)
        finally:
            local.unlink(missing_ok=True)

    def write_csv(self, con: Any, relation_sql: str, names: list[str], types: list[Any], uri: str) -> int:
        """Run `relation_sql` (columns c0..cN) into `<id>.csv`; returns the number of data rows."""
        rendered = ", ".join(
            f"{render_sql(f'q.c{i}', t)} AS {quote_identifier(n)}"
            for i, (n, t) in enumerate(zip(names, types, strict=True))
        )
        select = f"SELECT {rendered} FROM ({relation_sql}) AS q" if names else relation_sql
        local = self._local(".csv")
        unique = len(set(names)) == len(names)
        options = f"HEADER {'true' if unique else 'false'}, FORCE_QUOTE *, QUOTE '\"', NULLSTR ''"
        body = local if unique else self._local(".body")
        rows = con.execute(
            f"COPY ({select}) TO {quote_literal(str(body))} (FORMAT csv, {options})"
        ).fetchone()
        if not unique:  # DuckDB renames duplicate columns in its header; Athena keeps them
            with local.open("wb") as out:
                out.write((",".join(_quoted(n) for n in names) + "\n").encode())
                with body.open("rb") as rest:
                    shutil.copyfileobj(rest, out)
            body.unlink(missing_ok=True)
        self._publish(local, uri)
        return int(rows[0]) if rows else 0

    def write_text(self, lines: list[str], uri: str) -> None:
        local = self._local(".txt")
        local.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        self._publish(local, uri)

    def write_metadata(self, uri: str, document: dict[str, Any]) -> None:
        bucket, key = parse_s3_uri(uri)
        body = {"awstwin": METADATA_MARK, "version": 1, **document}
        self.s3.put_bytes(bucket, key, json.dumps(body, indent=1).encode(), "application/json")

    def write_manifest(self, uri: str, files: list[str]) -> None:
        bucket, key = parse_s3_uri(uri)
        self.s3.put_bytes(bucket, key, "".join(f + "\n" for f in files).encode(), "text/csv")


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def scratch_dir(state_dir: Path) -> Path:
    path = state_dir / "tmp" / "athena"
    path.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=path))


# ---------------------------------------------------------------------------------------------------
# Reading pages back (GetQueryResults)
# ---------------------------------------------------------------------------------------------------

_CSV_FIELD = re.compile(rb'"((?:[^"]|"")*)"')


def encode_token(offset: int, row: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset, "row": row}).encode()).decode()


def decode_token(token: str | None) -> tuple[int, int]:
    if not token:
        return 0, 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["offset"]), int(data["row"])
    except (ValueError, KeyError, TypeError):
        raise InvalidRequestException(
            f"NextToken {token!r} is not valid for this query; call GetQueryResults without it to start over"
        ) from None


def _read_csv_rows(data: bytes | mmap.mmap, offset: int, limit: int) -> tuple[list[list[str | None]], int]:
    rows: list[list[str | None]] = []
    size = len(data)
    pos = offset
    while pos < size and len(rows) < limit:
        row: list[str | None] = []
        while True:
            if data[pos : pos + 1] == b'"':
                match = _CSV_FIELD.match(data, pos)
                if match is None:
                    raise ValueError(f"unterminated quoted field at byte {pos}")
                row.append(match.group(1).replace(b'""', b'"').decode("utf-8"))
                pos = match.end()
            else:
                row.append(None)
            separator = data[pos : pos + 1]
            pos += 1
            if separator != b",":
                break
        rows.append(row)
    return rows, pos


def _read_text_rows(data: bytes | mmap.mmap, offset: int, limit: int) -> tuple[list[list[str | None]], int]:
    rows: list[list[str | None]] = []
    pos = offset
    size = len(data)
    while pos < size and len(rows) < limit:
        end = data.find(b"\n", pos)
        end = size if end < 0 else end
        rows.append([bytes(data[pos:end]).decode("utf-8")])
        pos = end + 1
    return rows, pos


def read_page(
    s3: S3Access, uri: str, kind: str, token: str | None, max_results: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `Rows` from a result file, and the token of the next page (None at the end)."""
    offset, row = decode_token(token)
    bucket, key = parse_s3_uri(uri)
    try:
        path = s3.local_file(bucket, key)
        size = path.stat().st_size
    except (OSError, Exception) as exc:  # a missing object: deleted by the user
        raise InvalidRequestException(
            f"The query result {uri} cannot be read ({type(exc).__name__}); it was deleted or moved. "
            "Run the query again to write it"
        ) from None
    if size == 0 or offset >= size:
        return [], None
    reader = _read_csv_rows if kind == "csv" else _read_text_rows
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        rows, end = reader(data, offset, max_results)
    page = [{"Data": [{} if v is None else {"VarCharValue": v} for v in values]} for values in rows]
    next_token = encode_token(end, row + len(rows)) if end < size else None
    return page, next_token


def read_metadata(s3: S3Access, uri: str) -> dict[str, Any] | None:
    bucket, key = parse_s3_uri(uri)
    try:
        document = json.loads(s3.get_bytes(bucket, key))
    except Exception:
        return None
    return document if isinstance(document, dict) and document.get("awstwin") == METADATA_MARK else None


def read_manifest(s3: S3Access, uri: str) -> list[str]:
    bucket, key = parse_s3_uri(uri)
    return [line for line in s3.get_bytes(bucket, key).decode().splitlines() if line]


__all__ = ["ResultWriter", "dialect", "read_page", "result_uri"]
