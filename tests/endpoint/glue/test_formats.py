"""How a table's StorageDescriptor is read: Hive's separator rule, shared by Athena and Spark."""

from __future__ import annotations

import pytest

from awstwin.endpoint.glue.catalog.formats import (
    LAZY_SIMPLE_SERDE,
    OPEN_CSV_SERDE,
    StorageFormat,
    hive_byte,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "\x01"),  # serialization.format='1': the byte 1, not the character '1'
        ("9", "\t"),
        ("44", ","),
        ("+124", "|"),
        ("127", "\x7f"),
        ("-1", "\xff"),
        ("128", "1"),  # not a Java byte: its first character
        (",", ","),
        ("|", "|"),
        ("\t", "\t"),
        ("::", ":"),
        (" 9", " "),
        ("", "D"),
        (None, "D"),
    ],
)
def test_hive_byte(value, expected):
    assert hive_byte(value, "D") == expected


def table(serde: str = LAZY_SIMPLE_SERDE, **serde_params: str) -> dict:
    return {
        "StorageDescriptor": {
            "Columns": [{"Name": "a", "Type": "string"}],
            "Location": "s3://b/t/",
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
        },
        "Parameters": {"classification": "csv"},
    }


@pytest.mark.parametrize(
    ("params", "delimiter"),
    [
        ({}, "\x01"),  # LazySimpleSerDe's default when the table names no separator
        ({"serialization.format": "1"}, "\x01"),
        ({"serialization.format": ","}, ","),
        ({"field.delim": ",", "serialization.format": "1"}, ","),  # field.delim wins
        ({"field.delim": "9"}, "\t"),
        ({"field.delim": ""}, "\x01"),
    ],
)
def test_lazy_simple_field_delimiter(params, delimiter):
    assert StorageFormat.from_table(table(**params)).delimiter == delimiter


def test_lazy_simple_nested_separators_and_escape():
    fmt = StorageFormat.from_table(
        table(**{"field.delim": ",", "collection.delim": "|", "mapkey.delim": "58", "escape.delim": "92"})
    )
    assert (fmt.collection_delimiter, fmt.mapkey_delimiter, fmt.escape_char) == ("|", ":", "\\")
    defaults = StorageFormat.from_table(table())
    assert (defaults.collection_delimiter, defaults.mapkey_delimiter, defaults.escape_char) == (
        "\x02",
        "\x03",
        None,
    )
    # Hive's own constant is spelled `colelction.delim`; tables written by Hive carry that name
    assert StorageFormat.from_table(table(**{"colelction.delim": "4"})).collection_delimiter == "\x04"


def test_open_csv_takes_characters_not_bytes():
    fmt = StorageFormat.from_table(table(OPEN_CSV_SERDE, separatorChar="9", quoteChar="'"))
    assert (fmt.delimiter, fmt.quote_char, fmt.escape_char) == ("9", "'", "\\")
    assert StorageFormat.from_table(table(OPEN_CSV_SERDE)).delimiter == ","
