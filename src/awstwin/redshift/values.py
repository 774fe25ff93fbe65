"""Checking one field against its column's type the way Redshift's COPY does, with its error codes.

A field that fails becomes a load error with Redshift's code (https://docs.aws.amazon.com/redshift/
latest/dg/r_Load_Error_Reference.html); a field that passes is normalised to what Postgres reads.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation


@dataclass
class TargetColumn:
    """A column of the table a COPY loads, as the warehouse describes it."""

    name: str
    type_name: str  # pg_type.typname: int4, varchar, numeric, ...
    formatted: str  # format_type(): character varying(20), numeric(10,2), ...
    not_null: bool
    length: int | None  # varchar/char length in bytes
    precision: tuple[int, int] | None  # numeric (precision, scale)


class FieldError(Exception):
    def __init__(self, code: int, reason: str, position: int = 0):
        super().__init__(reason)
        self.code, self.reason, self.position = code, reason, position


INT_RANGES = {"int2": (-(2**15), 2**15 - 1), "int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}
INT_NAMES = {"int2": "Short Integer", "int4": "Integer", "int8": "Long Integer"}
BOOLEANS = {
    "t": "true",
    "true": "true",
    "1": "true",
    "y": "true",
    "yes": "true",
    "f": "false",
    "false": "false",
    "0": "false",
    "n": "false",
    "no": "false",
}
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")

# Redshift DATEFORMAT/TIMEFORMAT elements -> strptime.
# https://docs.aws.amazon.com/redshift/latest/dg/r_DATEFORMAT_and_TIMEFORMAT_strings.html
FORMAT_ELEMENTS = [
    ("YYYY", "%Y"),
    ("YY", "%y"),
    ("MONTH", "%B"),
    ("MON", "%b"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH24", "%H"),
    ("HH12", "%I"),
    ("HH", "%H"),
    ("MI", "%M"),
    ("SS", "%S"),
    ("AM", "%p"),
    ("PM", "%p"),
]
AUTO_DATES = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%b %d %Y", "%d %b %Y", "%B %d, %Y")
AUTO_TIMES = ("", " %H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S", "T%H:%M:%S.%f", " %H:%M")


def strptime_format(redshift_format: str) -> str:
    out, index = "", 0
    while index < len(redshift_format):
        for element, code in FORMAT_ELEMENTS:
            if redshift_format[index:].upper().startswith(element):
                out += code
                index += len(element)
                break
        else:
            out += redshift_format[index]
            index += 1
    return out.replace("%S.SS", "%S.%f").replace(".SSSSSS", ".%f")


def _parse_auto(text: str, with_time: bool) -> datetime:
    value = text.strip()
    for date_format in AUTO_DATES:
        for time_format in AUTO_TIMES if with_time else ("",):
            try:
                return datetime.strptime(value, date_format + time_format)
            except ValueError:
                continue
    raise ValueError(value)


_ISO_FORMATS = {None, "AUTO", "YYYY-MM-DD", "YYYY-MM-DD HH:MI:SS", "YYYY-MM-DD HH24:MI:SS"}


def parse_date(text: str, date_format: str | None) -> str:
    if (date_format.upper() if date_format else None) in _ISO_FORMATS and len(text) == 10:
        with contextlib.suppress(ValueError):  # the common case, 20 times faster than strptime
            return date.fromisoformat(text).isoformat()
    try:
        if date_format is None or date_format.upper() == "AUTO":
            return _parse_auto(text, with_time=False).date().isoformat()
        return datetime.strptime(text.strip(), strptime_format(date_format)).date().isoformat()
    except ValueError:
        raise FieldError(1205, f"Invalid Date Format - length must be 10 or more: '{text}'") from None


def parse_timestamp(text: str, time_format: str | None) -> str:
    iso = (time_format.upper() if time_format else None) in _ISO_FORMATS
    if iso and len(text) >= 10 and text[4:5] == "-":
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(text).isoformat(sep=" ")
    try:
        upper = (time_format or "").upper()
        if upper == "EPOCHSECS":
            return datetime.fromtimestamp(float(text), UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if upper == "EPOCHMILLISECS":
            return datetime.fromtimestamp(float(text) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if not time_format or upper == "AUTO":
            return _parse_auto(text, with_time=True).isoformat(sep=" ")
        return datetime.strptime(text.strip(), strptime_format(time_format)).isoformat(sep=" ")
    except (ValueError, OverflowError):
        raise FieldError(1206, f"Invalid timestamp format or value: '{text}'") from None


@dataclass
class FieldRules:
    """The COPY options that change how a field is read."""

    date_format: str | None = None
    time_format: str | None = None
    truncate_columns: bool = False
    typed_source: bool = False  # Parquet/JSON numbers and dates: already typed, ISO text


def check(value: str, column: TargetColumn, rules: FieldRules) -> str:
    """`value` as Postgres should read it for `column`, or FieldError with Redshift's code."""
    kind = column.type_name
    if kind in INT_RANGES:
        if not _INTEGER.match(value):
            if rules.typed_source and re.match(r"^\s*[+-]?\d+\.0*\s*$", value):
                value = value.split(".")[0]
            else:
                position = next((i for i, ch in enumerate(value) if not (ch.isdigit() or ch in "+- ")), 0)
                raise FieldError(
                    1207,
                    f"Invalid digit, Value '{value[position : position + 1]}', Pos {position}, "
                    f"Type: {INT_NAMES[kind]}",
                    position,
                )
        low, high = INT_RANGES[kind]
        if not low <= int(value) <= high:
            raise FieldError(1204, f"Overflow, Value '{value.strip()}', Type: {INT_NAMES[kind]}")
        return value.strip()
    if kind == "numeric":
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise FieldError(1207, f"Invalid digit, Value '{value}', Pos 0, Type: Decimal") from None
        if column.precision and number.is_finite():
            precision, scale = column.precision
            digits = len(str(abs(int(number))).lstrip("0"))
            if digits > precision - scale:
                raise FieldError(1204, f"Overflow (Long) exception, Value '{value}', Type: Decimal")
        return value.strip()
    if kind in ("float4", "float8"):
        try:
            float(value)
        except ValueError:
            raise FieldError(1208, f"Invalid digit, Value '{value}', Pos 0, Type: Double") from None
        return value.strip()
    if kind == "bool":
        found = BOOLEANS.get(value.strip().lower())
        if found is None:
            raise FieldError(1210, f"Invalid bool value: '{value}'")
        return found
    if kind == "date":
        return value.strip() if rules.typed_source else parse_date(value, rules.date_format)
    if kind in ("timestamp", "timestamptz"):
        return value.strip() if rules.typed_source else parse_timestamp(value, rules.time_format)
    if column.length is not None and kind in ("varchar", "bpchar"):
        encoded = value.encode("utf-8")
        if len(encoded) > column.length:
            if not rules.truncate_columns:
                raise FieldError(1204, "String length exceeds DDL length")
            return encoded[: column.length].decode("utf-8", "ignore")
    return value
