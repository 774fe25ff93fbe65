"""COPY's common case at Arrow speed: a delimited file whose every field passes its column's checks.

pyarrow reads the file as strings and checks each column at once (the same rules as `values.check`:
integer and number shapes and ranges, booleans, ISO dates and timestamps, VARCHAR byte lengths, NOT
NULL). When any field fails, or the options ask for what only the row-by-row reader does, it answers
None and the caller reads the file row by row, which names each rejected line for stl_load_errors.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from awstwin.redshift.values import INT_RANGES, TargetColumn

ROW_BY_ROW_OPTIONS = {
    "REMOVEQUOTES",
    "FILLRECORD",
    "TRIMBLANKS",
    "ACCEPTINVCHARS",
    "ESCAPE",
    "IGNOREBLANKLINES",
}
_INTEGER = r"^\s*[+-]?\d+\s*$"
_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
_FLOAT = r"^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity)|nan)\s*$"
_BOOLEANS = ["t", "true", "1", "y", "yes", "f", "false", "0", "n", "no"]
_ISO = {None, "AUTO", "YYYY-MM-DD", "YYYY-MM-DD HH:MI:SS", "YYYY-MM-DD HH24:MI:SS"}


def fast_csv(
    data: bytes, columns: list[TargetColumn], options: dict[str, object]
) -> tuple[bytes, int] | None:
    """(CSV for Postgres' COPY, rows) when every row of `data` loads as it is; else None."""
    if ROW_BY_ROW_OPTIONS & options.keys() or not columns:
        return None
    for name in ("DATEFORMAT", "TIMEFORMAT"):
        value = options.get(name)
        if (str(value).upper() if isinstance(value, str) else None) not in _ISO:
            return None
    is_csv = "CSV" in options
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=[f"c{i}" for i in range(len(columns))],
                skip_rows=int(str(options.get("IGNOREHEADER", "0"))),
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=str(options.get("DELIMITER", "," if is_csv else "|")),
                quote_char=str(options.get("QUOTE", '"')) if is_csv else False,
                newlines_in_values=is_csv,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(columns))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):  # a line with too many or too few fields, ...
        return None
    arrays = []
    for column, values in zip(columns, table.columns, strict=True):
        checked = _column(values.combine_chunks(), column, options, is_csv)
        if checked is None:
            return None
        arrays.append(checked)
    out = io.BytesIO()
    result = pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
    pacsv.write_csv(result, out, pacsv.WriteOptions(include_header=False))
    return out.getvalue(), table.num_rows


def _column(
    values: pa.Array, column: TargetColumn, options: dict[str, object], is_csv: bool
) -> pa.Array | None:
    """The column with NULLs applied, or None when a value would be rejected."""
    kind = column.type_name
    is_text = kind in ("varchar", "bpchar", "text")
    nulls = pc.equal(values, "") if (not is_text or "EMPTYASNULL" in options) else None
    null_text = options.get("NULL", None if is_csv else "\\N")
    if isinstance(null_text, str):
        matched = pc.equal(values, null_text)
        nulls = matched if nulls is None else pc.or_(nulls, matched)
    if is_text and "BLANKSASNULL" in options:
        blank = pc.equal(pc.utf8_trim_whitespace(values), "")
        nulls = blank if nulls is None else pc.or_(nulls, blank)
    if nulls is not None:
        values = pc.if_else(nulls, pa.scalar(None, pa.string()), values)
    if column.not_null and values.null_count:
        return None
    present = values.drop_null()
    try:
        return values if _valid(present, column) else None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError):
        return None


def _all(mask: pa.Array) -> bool:
    return len(mask) == 0 or pc.all(mask).as_py() is not False


def _valid(present: pa.Array, column: TargetColumn) -> bool:
    kind = column.type_name
    if kind in INT_RANGES:
        if not _all(pc.match_substring_regex(present, _INTEGER)):
            return False
        if not len(present):
            return True
        numbers = pc.cast(pc.utf8_trim_whitespace(present), pa.int64())
        low, high = INT_RANGES[kind]
        return pc.min(numbers).as_py() >= low and pc.max(numbers).as_py() <= high
    if kind == "numeric":
        return _all(pc.match_substring_regex(present, _NUMBER)) and (
            column.precision is None or _fits(present, column.precision)
        )
    if kind in ("float4", "float8"):
        return _all(pc.match_substring_regex(present, _FLOAT, ignore_case=True))
    if kind == "bool":
        return _all(pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(present)), pa.array(_BOOLEANS)))
    if kind == "date":
        pc.cast(present, pa.date32())  # raises on anything but a real ISO date
        return _all(pc.equal(pc.utf8_length(present), 10))
    if kind in ("timestamp", "timestamptz"):
        pc.cast(present, pa.timestamp("us"))  # Arrow's ISO 8601 parser: raises on any other shape
        return True
    if column.length is not None and kind in ("varchar", "bpchar") and len(present):
        return pc.max(pc.binary_length(present)).as_py() <= column.length
    return True


def _fits(present: pa.Array, precision: tuple[int, int]) -> bool:
    """At most precision - scale digits before the point (an exponent goes row by row)."""
    whole = precision[0] - precision[1]
    return _all(pc.match_substring_regex(present, rf"^\s*[+-]?0*\d{{0,{whole}}}(\.\d*)?\s*$"))
