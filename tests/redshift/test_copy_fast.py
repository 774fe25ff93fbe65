"""COPY's Arrow path gives what the row-by-row path gives, and steps aside whenever a row would fail."""

from __future__ import annotations

import csv
import io

import pytest

from awstwin.redshift.copy_fast import fast_csv
from awstwin.redshift.copy_from_s3 import CopyCommand, CopyFeed, TargetCapture, text_records
from awstwin.redshift.values import FieldRules, TargetColumn

COLUMNS = [
    TargetColumn("id", "int4", "integer", True, None, None),
    TargetColumn("name", "varchar", "character varying(5)", False, 5, None),
    TargetColumn("score", "numeric", "numeric(5,2)", False, None, (5, 2)),
    TargetColumn("day", "date", "date", False, None, None),
    TargetColumn("ok", "bool", "boolean", False, None, None),
    TargetColumn("at", "timestamp", "timestamp without time zone", False, None, None),
]
GOOD = (
    b"id,name,score,day,ok,at\n"
    b"1,ann,1.5,2024-01-02,t,2024-01-02 10:00:00\n"
    b'2,"",,,,\n'
    b'3,"b,c",-2,2024-02-29,NO,2024-01-02\n'
)


def row_by_row(data: bytes, options: dict[str, object]) -> list[list[str]]:
    feed = CopyFeed(CopyCommand("t", None, "s3://b/k", options), TargetCapture(), None)  # type: ignore[arg-type]
    rows = [feed._row(record, COLUMNS, FieldRules()) for record in text_records("f", data, options)]
    assert all(row is not None for row in rows)
    return [["" if v is None else v for v in row] for row in rows]  # type: ignore[union-attr]


def parsed(text: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.decode())))


@pytest.mark.parametrize(
    "options", [{"CSV": True, "IGNOREHEADER": "1"}, {"CSV": True, "IGNOREHEADER": "1", "EMPTYASNULL": True}]
)
def test_the_arrow_path_agrees_with_the_row_by_row_path(options):
    found = fast_csv(GOOD, COLUMNS, options)
    assert found is not None and found[1] == 3
    fast_rows = parsed(found[0])
    assert [row[0] for row in fast_rows] == ["1", "2", "3"]
    slow = row_by_row(GOOD, options)
    assert [row[1] for row in fast_rows] == [row[1] for row in slow]  # names: "" stays "" unless EMPTYASNULL
    null_written = found[0].decode().splitlines()[1]
    assert null_written.startswith('"2",') and null_written.endswith(",,,,")  # NULLs are unquoted empties


@pytest.mark.parametrize(
    "bad_line",
    [
        b"4,toolongname,1,2024-01-01,t,2024-01-01",  # VARCHAR(5) exceeded
        b"4,a,1234.5,2024-01-01,t,2024-01-01",  # NUMERIC(5,2) overflow
        b"x4,a,1,2024-01-01,t,2024-01-01",  # invalid digit
        b"4,a,1,2024-02-30,t,2024-01-01",  # no such date
        b"4,a,1,2024-01-01,maybe,2024-01-01",  # not a boolean
        b",a,1,2024-01-01,t,2024-01-01",  # NULL in a NOT NULL column
        b"4,a,1,2024-01-01,t",  # a field short
        b"99999999999,a,1,2024-01-01,t,2024-01-01",  # beyond INTEGER
    ],
)
def test_any_failing_field_sends_the_file_row_by_row(bad_line):
    assert fast_csv(GOOD + bad_line + b"\n", COLUMNS, {"CSV": True, "IGNOREHEADER": "1"}) is None
