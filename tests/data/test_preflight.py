"""The input preflight on bad files made from the real one: each is refused with the file, the line
and the column, what is wrong and what to do; what the pipeline can load but changes is a warning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import REAL_DATASET

from awstwin.data import generator, preflight, schema

HEADER = schema.HEADER


@pytest.fixture(scope="module")
def real_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The real file's text (CRLF), or a generated one of the same shape when it is absent."""
    if REAL_DATASET.is_file():
        return REAL_DATASET.read_bytes().decode("utf-8")
    path = tmp_path_factory.mktemp("generated") / "students.csv"
    generator.generate(path, rows=6607, seed=42, crlf=True)
    return path.read_bytes().decode()


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _refusal(path: Path, encoding: str | None = None) -> str:
    with pytest.raises(preflight.PreflightRefused) as refused:
        preflight.check_file(path, encoding)
    message = str(refused.value)
    assert path.name in message and len(message.splitlines()) <= 2, message
    return message


def test_the_real_file_passes_with_no_warning(real_text: str, tmp_path: Path) -> None:
    checked = preflight.check_file(_write(tmp_path, "students.csv", real_text))
    assert checked.rows == len(_lines(real_text)) - 1 == 6607
    assert checked.warnings == () and not checked.needs_copy and checked.delimiter == ","


def test_an_empty_file(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "empty.csv", b""))
    assert "the file is empty" in message and "header line" in message


def test_a_header_without_rows(real_text: str, tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "header.csv", _lines(real_text)[0]))
    assert "line 2: no data rows after the header" in message and "one line per student" in message


def test_a_megabyte_of_random_bytes(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "random.csv", os.urandom(1 << 20)))
    assert "this is binary data, not CSV text" in message or "this is not CSV text" in message
    assert ", line " in message and ", column " in message


def test_a_zip_or_xlsx(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "students.xlsx", b"PK\x03\x04" + bytes(100)))
    assert "line 1, column 1: this is not CSV text: it is a zip archive" in message
    assert "export the sheet as CSV" in message


def test_semicolons_are_named(real_text: str, tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "semicolons.csv", real_text.replace(",", ";")))
    assert "line 1: the header's fields are separated by semicolons (';'), not commas" in message
    assert "comma-separated" in message


def test_tabs_are_named(real_text: str, tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "tabs.csv", real_text.replace(",", "\t")))
    assert "separated by tabs ('\\t')" in message


def test_a_missing_column(real_text: str, tmp_path: Path) -> None:
    index = schema.COLUMN_NAMES.index("Gender")
    rows = []
    for line in _lines(real_text):
        fields = line.rstrip("\r\n").split(",")
        rows.append(",".join(fields[:index] + fields[index + 1 :]) + "\r\n")
    message = _refusal(_write(tmp_path, "no_gender.csv", "".join(rows)))
    assert "line 1: the header lacks Gender (it has 19 columns)" in message
    assert HEADER in message  # what the first line must name


def test_a_column_named_twice(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    lines[0] = lines[0].replace("Gender", "gender")
    lines[0] = lines[0].rstrip("\r\n") + ",Gender \r\n"
    lines[1:] = [line.rstrip("\r\n") + ",x\r\n" for line in lines[1:]]
    message = _refusal(_write(tmp_path, "twice.csv", "".join(lines)))
    assert "line 1, column 21 (Gender): Gender is in the header twice (columns 19 and 21)" in message


def test_an_extra_column_is_a_warning(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    lines = [lines[0].rstrip("\r\n") + ",Notes\r\n"] + [line.rstrip("\r\n") + ",ok\r\n" for line in lines[1:]]
    checked = preflight.check_file(_write(tmp_path, "extra.csv", "".join(lines)))
    assert checked.rows == 6607 and checked.extra_columns == ("Notes",)
    assert checked.warnings == ("line 1, column 21 (Notes) is not a column of the dataset: it is not loaded",)


def test_any_order_case_and_spaces_in_the_header(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    names = [f"  {name.upper()} " for name in schema.COLUMN_NAMES]
    lines[0] = ",".join(reversed(names)) + "\r\n"
    lines[1:] = [",".join(reversed(line.rstrip("\r\n").split(","))) + "\r\n" for line in lines[1:]]
    assert preflight.check_file(_write(tmp_path, "reordered.csv", "".join(lines))).warnings == ()


def test_a_hidden_name_loads(real_text: str, tmp_path: Path) -> None:
    """`_students.csv`: Hadoop-style readers skip such names, but the upload has a name of its own."""
    assert preflight.check_file(_write(tmp_path, "_students.csv", real_text)).rows == 6607


def test_latin1_is_refused_with_the_setting_to_use(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    lines[3] = lines[3].replace("Public", "Públic")
    path = _write(tmp_path, "latin1.csv", "".join(lines).encode("latin-1"))
    message = _refusal(path)
    column = lines[3].index("Públic") + 2  # 1-based, the byte after P
    assert f"latin1.csv, line 4, column {column}: byte 0xFA is not valid utf-8" in message
    assert "DATA_ENCODING=latin-1" in message


def test_latin1_with_its_encoding_given_loads_as_utf8(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    lines[3] = lines[3].replace("Public", "Públic")
    path = _write(tmp_path, "latin1.csv", "".join(lines).encode("latin-1"))
    checked = preflight.check_file(path, "latin-1")
    assert checked.needs_copy and checked.warnings == (
        "read as latin-1 (DATA_ENCODING) and uploaded as UTF-8",
    )
    copy = preflight.write_upload_copy(checked, tmp_path / "copy" / "students.csv")
    assert copy.read_bytes() == "".join(lines).encode("utf-8")


def test_a_byte_order_mark_is_dropped_with_a_warning(real_text: str, tmp_path: Path) -> None:
    checked = preflight.check_file(_write(tmp_path, "bom.csv", "\ufeff" + real_text))
    assert checked.needs_copy and "byte-order mark" in checked.warnings[0]
    copy = preflight.write_upload_copy(checked, tmp_path / "copy.csv")
    assert copy.read_bytes() == real_text.encode("utf-8")


def test_utf16_is_named(real_text: str, tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, "utf16.csv", real_text.encode("utf-16")))
    assert "the file is UTF-16 text" in message and "DATA_ENCODING=utf-16" in message


def _first_with(lines: list[str], text: str, start: int) -> int:
    return next(i for i in range(start, len(lines)) if text in lines[i])


def test_a_quote_left_open(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    index = _first_with(lines, ",Low,", 10)
    lines[index] = lines[index].replace(",Low,", ',"Low,', 1)
    message = _refusal(_write(tmp_path, "quote.csv", "".join(lines)))
    assert (
        f"quote.csv, line {index + 1}: a quoted value runs over" in message and "close the quote" in message
    )


def test_an_oversize_value(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    index = _first_with(lines, ",Male,", 5)
    lines[index] = lines[index].replace(",Male,", "," + "M" * (preflight.MAX_FIELD_CHARS + 1) + ",", 1)
    message = _refusal(_write(tmp_path, "long.csv", "".join(lines)))
    column = schema.COLUMN_NAMES.index("Gender") + 1
    assert (
        f"line {index + 1}, column {column} (Gender): a value of 65,537 characters (at most 65,536)"
        in message
    )


def test_ragged_rows_are_warnings(real_text: str, tmp_path: Path) -> None:
    lines = _lines(real_text)
    lines[7] = lines[7].rstrip("\r\n") + ",surplus\r\n"
    lines[9] = lines[9].rsplit(",", 1)[0] + "\r\n"
    checked = preflight.check_file(_write(tmp_path, "ragged.csv", "".join(lines)))
    assert checked.warnings == (
        "1 row(s) have more fields than the header's 20 (first: line 8): the values past the last "
        "column are not loaded",
        "1 row(s) have fewer fields than the header's 20 (first: line 10): their missing values are "
        "empty (a required one sends the row to quarantine)",
    )


def test_an_unknown_encoding_setting(real_text: str, tmp_path: Path) -> None:
    with pytest.raises(preflight.PreflightRefused, match="DATA_ENCODING=klingon is not an encoding"):
        preflight.check_file(_write(tmp_path, "s.csv", real_text), "klingon")
