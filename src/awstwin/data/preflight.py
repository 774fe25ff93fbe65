"""Preflight of the run's input CSV: refuse a file the pipeline cannot load before anything starts.

A bad file used to start the whole stack, upload, and fail a minute later inside Athena or Spark with
a message about a CAST or "CSV Error on Line 2". These checks read the file once, in well under a
second for the real dataset, and refuse with one or two lines that name the file, the line and the
column, what is wrong and what to do:

- text, not binary (NUL bytes, a zip/xlsx, gzip or UTF-16 signature), in UTF-8 or `encoding`
  (`DATA_ENCODING`); an undecodable byte is named with its line and column and the setting to try;
- a header with the dataset's 20 columns (awstwin.data.schema): any order, case and surrounding
  spaces ignored, none twice; fields separated by commas (another separator is detected and named);
- at least one data row; no field over `MAX_FIELD_CHARS`, no record over `MAX_RECORD_CHARS`, no
  quote left open.

What the pipeline can load but drops or changes is a warning, for the run's summary and report:
extra columns (not loaded), rows with more or fewer fields than the header, a byte-order mark, and
a file that is not UTF-8 (`needs_copy`: the upload is a UTF-8 copy, `write_upload_copy`; crawlers,
Spark and Athena read UTF-8). Stdlib only, like the schema module.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from awstwin.data import schema

DEFAULT_ENCODING = "utf-8"
MAX_FIELD_CHARS = 64 * 1024  # no value of the dataset is longer than a few characters
MAX_RECORD_CHARS = 128 * 1024
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
SIGNATURES = (  # leading bytes of formats that are not CSV text, and what the file probably is
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one): export the sheet as CSV"),
    (b"\x1f\x8b", "gzip-compressed: unpack it first (gunzip)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file: export the sheet as CSV"),
    (b"%PDF", "a PDF: export the data as CSV"),
)
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class PreflightRefused(ValueError):
    """The input cannot be loaded; the message names the file, line, column and what to do."""


@dataclass(frozen=True)
class Preflight:
    """A file that passed: how to read it, how many rows it has, and what the run should know."""

    path: Path
    encoding: str  # as given (the file is read with it)
    delimiter: str
    header: tuple[str, ...]  # as in the file
    rows: int  # data records that are not blank
    warnings: tuple[str, ...] = ()
    needs_copy: bool = False  # another encoding or a byte-order mark: upload a clean UTF-8 copy
    extra_columns: tuple[str, ...] = field(default=())


def _where(path: Path, line: int | None = None, column: int | None = None, name: str | None = None) -> str:
    place = f"{path.name}"
    if line is not None:
        place += f", line {line}"
    if column is not None:
        place += f", column {column}" + (f" ({name})" if name else "")
    return place


def _refuse(
    path: Path,
    what: str,
    hint: str,
    line: int | None = None,
    column: int | None = None,
    name: str | None = None,
) -> PreflightRefused:
    return PreflightRefused(f"{_where(path, line, column, name)}: {what}\n  {hint} ({path})")


def _line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of a byte offset (characters decoded leniently)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _check_binary(path: Path, data: bytes) -> None:
    for signature, what in SIGNATURES:
        if data.startswith(signature):
            raise _refuse(
                path, f"this is not CSV text: it is {what.split(':')[0]}", what.split(": ", 1)[1], 1, 1
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _line_and_column(data, nul)
        raise _refuse(
            path,
            "a NUL byte: this is binary data, not CSV text",
            "give the CSV export of the dataset (DATA=path.csv)",
            line,
            column,
        )


def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, list[str], bool]:
    """(text, warnings, needs_copy): the file's text without a byte-order mark."""
    if data.startswith(UTF16_BOMS) and not encoding.lower().replace("-", "").startswith("utf16"):
        raise _refuse(
            path, "the file is UTF-16 text", "save it as UTF-8, or run with DATA_ENCODING=utf-16", 1, 1
        )
    _check_binary(path, data)
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise PreflightRefused(
            f"DATA_ENCODING={encoding} is not an encoding Python knows: use e.g. utf-8, latin-1, cp1252"
        ) from None
    warnings: list[str] = []
    try:
        text = data.decode(codec.name)
    except UnicodeDecodeError as exc:
        line, column = _line_and_column(data, exc.start)
        byte = data[exc.start : exc.start + 1].hex().upper()
        if codec.name == "utf-8":
            hint = "if the file is in another encoding, say which: DATA_ENCODING=latin-1 (or cp1252, ...)"
        else:
            hint = f"check DATA_ENCODING={encoding}: the file is not in that encoding"
        raise _refuse(path, f"byte 0x{byte} is not valid {encoding}", hint, line, column) from None
    needs_copy = codec.name != "utf-8"
    if needs_copy:
        warnings.append(f"read as {encoding} (DATA_ENCODING) and uploaded as UTF-8")
    if text.startswith("\ufeff"):
        text = text[1:]
        needs_copy = True
        warnings.append("a byte-order mark (BOM) at the start was dropped from the upload")
    return text, warnings, needs_copy


def _first_line(text: str) -> str:
    end = text.find("\n")
    return (text if end < 0 else text[:end]).rstrip("\r")


def _fields(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _delimiter(path: Path, header_line: str) -> str:
    """',' unless another separator splits the header into the dataset's columns and ',' does not."""
    counts = {d: len(_fields(header_line, d)) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if best != "," and counts[best] > counts[","]:
        separator = "\\t" if best == "\t" else best
        raise _refuse(
            path,
            f"the header's fields are separated by {DELIMITERS[best]} ('{separator}'), not commas",
            "save the file as comma-separated CSV (e.g. Save As > CSV with ',' as the field delimiter)",
            1,
        )
    return ","


def _check_header(path: Path, header: list[str]) -> tuple[list[str], list[str]]:
    """(warnings, extra column names); refuses a header without the dataset's columns."""
    expected = {c.name.casefold(): c.name for c in schema.COLUMNS}
    seen: dict[str, int] = {}
    warnings: list[str] = []
    extra: list[str] = []
    for index, raw in enumerate(header, start=1):
        name = raw.strip()
        key = name.casefold()
        if key in seen and key in expected:
            raise _refuse(
                path,
                f"{expected[key]} is in the header twice (columns {seen[key]} and {index})",
                "keep one column of each name",
                1,
                index,
                name,
            )
        seen.setdefault(key, index)
        if key not in expected:
            extra.append(name)
            label = f"column {index} ({name})" if name else f"column {index} (no name)"
            warnings.append(f"line 1, {label} is not a column of the dataset: it is not loaded")
    missing = [name for key, name in expected.items() if key not in seen]
    if missing:
        has = len(header)
        raise _refuse(
            path,
            f"the header lacks {', '.join(missing)} (it has {has} column{'s' if has != 1 else ''})",
            f"the first line must name the dataset's {len(schema.COLUMNS)} columns, in any order: "
            f"{schema.HEADER}",
            1,
        )
    return warnings, extra


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _scan_rows(path: Path, text: str, delimiter: str, header: list[str]) -> tuple[int, list[str]]:
    """(data rows, warnings): every record read as Spark and the crawler read it."""
    width = len(header)
    rows = 0
    wider: list[int] = []
    narrower: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    next(reader, None)
    start = reader.line_num + 1
    # The csv module's own limit is lifted so that an oversize field is named here, with its line.
    with _field_limit(len(text) + 1):
        try:
            for record in reader:
                line, start = start, reader.line_num + 1
                if reader.line_num > line:
                    raise _refuse(
                        path,
                        f"a quoted value runs over {reader.line_num - line + 1} lines; Spark, the crawler "
                        "and Athena read one record per line",
                        "close the quote, or remove the line breaks inside it",
                        line,
                    )
                if not record or not any(value.strip() for value in record):
                    continue
                rows += 1
                _check_sizes(path, record, header, line)
                if len(record) > width:
                    wider.append(line)
                elif len(record) < width:
                    narrower.append(line)
        except csv.Error as exc:
            raise _refuse(
                path,
                f"a record that cannot be read as CSV ({exc}): probably a quote left open",
                "close the quote, or remove it",
                start,
            ) from None
    warnings = []
    if wider:
        warnings.append(
            f"{len(wider)} row(s) have more fields than the header's {width} (first: line {wider[0]}): "
            "the values past the last column are not loaded"
        )
    if narrower:
        warnings.append(
            f"{len(narrower)} row(s) have fewer fields than the header's {width} (first: line "
            f"{narrower[0]}): their missing values are empty (a required one sends the row to quarantine)"
        )
    return rows, warnings


def _check_sizes(path: Path, record: list[str], header: list[str], line: int) -> None:
    total = 0
    for index, value in enumerate(record, start=1):
        total += len(value) + 1
        if len(value) > MAX_FIELD_CHARS:
            name = header[index - 1].strip() if index <= len(header) else None
            raise _refuse(
                path,
                f"a value of {len(value):,} characters (at most {MAX_FIELD_CHARS:,}); a quote left open "
                "joins many lines into one value",
                "close the quote, or shorten the value",
                line,
                index,
                name,
            )
    if total > MAX_RECORD_CHARS:
        raise _refuse(
            path,
            f"a record of {total:,} characters (at most {MAX_RECORD_CHARS:,})",
            "check the line for a quote left open or a missing line break",
            line,
        )


def check_file(path: Path, encoding: str | None = None) -> Preflight:
    """Read `path` once and refuse it (PreflightRefused) when the pipeline cannot load it."""
    encoding = encoding or DEFAULT_ENCODING
    if not path.is_file():
        raise PreflightRefused(f"{path}: no such file (give a CSV path with DATA=, or leave DATA unset)")
    data = path.read_bytes()
    if not data.strip():
        raise _refuse(
            path,
            "the file is empty",
            f"give the dataset's CSV: a header line ({schema.HEADER[:40]}...) and one line per student",
        )
    text, warnings, needs_copy = _decode(path, data, encoding)
    header_line = _first_line(text)
    if len(header_line) > MAX_RECORD_CHARS:
        raise _refuse(path, f"the first line has {len(header_line):,} characters", "is this a CSV file?", 1)
    delimiter = _delimiter(path, header_line)
    header = _fields(header_line, delimiter)
    header_warnings, extra = _check_header(path, header)
    rows, row_warnings = _scan_rows(path, text, delimiter, header)
    if rows == 0:
        raise _refuse(
            path, "no data rows after the header", "add one line per student below the header line", 2
        )
    return Preflight(
        path=path,
        encoding=encoding,
        delimiter=delimiter,
        header=tuple(header),
        rows=rows,
        warnings=tuple(warnings + header_warnings + row_warnings),
        needs_copy=needs_copy,
        extra_columns=tuple(extra),
    )


def write_upload_copy(checked: Preflight, target: Path) -> Path:
    """The file as UTF-8 without a byte-order mark (line endings and every value unchanged)."""
    text = checked.path.read_bytes().decode(codecs.lookup(checked.encoding).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.removeprefix("\ufeff").encode("utf-8"))
    return target
