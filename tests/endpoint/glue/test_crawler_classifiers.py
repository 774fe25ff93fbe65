"""Where the crawler infers formats and types: the built-in classifiers and Exclusions globs."""

from __future__ import annotations

import gzip
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import REAL_DATASET

from awstwin.endpoint.glue.crawler.classifiers import SAMPLE_BYTES, Unclassifiable, classify
from awstwin.endpoint.glue.crawler.crawl import excluded


def no_tail(length: int) -> bytes:
    raise AssertionError("only a Parquet file's end is ever read")


def tail_of(data: bytes, reads: list[int] | None = None):
    """`read_tail` over `data`, recording how many bytes each read asked for."""

    def read_tail(length: int) -> bytes:
        if reads is not None:
            reads.append(length)
        return data[-length:]

    return read_tail


def classify_text(text: str):
    data = text.encode()
    return classify(data[:SAMPLE_BYTES], len(data), no_tail)


def test_header_detected_when_data_has_a_non_string_column():
    schema = classify_text("Name,Age,Score\r\nann,31,1.5\r\nbob,,2\r\n")
    assert schema.header is True
    assert schema.hive_columns() == [("name", "string"), ("age", "bigint"), ("score", "double")]
    assert schema.delimiter == ","
    assert schema.record_count == 2


def test_no_header_when_every_column_is_a_string():
    """Glue's documented rule: an all-string file has no header row; columns are col0, col1..."""
    schema = classify_text("city,country\nparis,france\nrome,italy\n")
    assert schema.header is False
    assert schema.hive_columns() == [("col0", "string"), ("col1", "string")]
    assert schema.record_count == 3


def test_no_header_when_first_row_has_numbers():
    schema = classify_text("1,2.5,true\n3,4,false\n")
    assert schema.header is False
    assert schema.hive_columns() == [("col0", "bigint"), ("col1", "double"), ("col2", "boolean")]


def test_empty_values_do_not_demote_and_values_are_trimmed():
    schema = classify_text("a,b,c\n1, 2 ,\n,3,\n4,x,\n")
    assert schema.hive_columns() == [("a", "bigint"), ("b", "string"), ("c", "string")]


@pytest.mark.parametrize(("delimiter", "name"), [("|", "pipe"), ("\t", "tab"), (";", "semicolon")])
def test_delimiters(delimiter, name):
    rows = [["id", "label", "amount"], ["1", "x,y", "2.5"], ["2", "z", "3"]]
    schema = classify_text("\n".join(delimiter.join(r) for r in rows) + "\n")
    assert schema.delimiter == delimiter, name
    assert schema.hive_columns() == [("id", "bigint"), ("label", "string"), ("amount", "double")]


def test_quoted_fields_are_typed_from_their_values():
    """OpenCSVSerDe tables are typed too: Athena parses BOOLEAN, BIGINT, INT and DOUBLE from their text
    (https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html); quoted numbers are numbers."""
    schema = classify_text('id,name,amount,ok\n1,"Smith, John","2.5",true\n2,"Doe, Jane",3,"false"\n')
    assert schema.quoted is True
    assert schema.header is True
    assert schema.hive_columns() == [
        ("id", "bigint"),
        ("name", "string"),
        ("amount", "double"),
        ("ok", "boolean"),
    ]


def test_json_lines_merge_types_across_records():
    lines = [
        {"id": 1, "Name": "a", "tags": ["x"], "geo": {"lat": 1, "lon": 2}},
        {"id": 2.5, "Name": None, "extra": True, "geo": {"lat": 1.5}},
        {"id": 3, "Name": "c", "tags": [], "geo": {"lat": 2, "alt": "high"}},
    ]
    schema = classify_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert schema.classification == "json"
    assert schema.hive_columns() == [
        ("id", "double"),
        ("name", "string"),
        ("tags", "array<string>"),
        ("geo", "struct<lat:double,lon:bigint,alt:string>"),
        ("extra", "boolean"),
    ]
    assert schema.record_count == 3


def test_json_empty_arrays_and_nulls_do_not_override_richer_types():
    """An empty list or a null says nothing about a type: the element type another record shows wins
    (issue 13: `[]` used to type the column array<string> over array<struct<...>>)."""
    lines = [
        {"order": 1, "items": [], "meta": {"note": None}},
        {"order": 2, "items": [{"sku": "a", "qty": 1}], "meta": {"note": "x"}},
        {"order": 3, "items": [], "meta": None, "tags": []},
    ]
    schema = classify_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert schema.hive_columns() == [
        ("order", "bigint"),
        ("items", "array<struct<sku:string,qty:bigint>>"),
        ("meta", "struct<note:string>"),
        ("tags", "array<string>"),  # never anything but empty: string, as Glue writes it
    ]


def test_json_empty_arrays_in_one_file_do_not_override_another_files_types():
    from awstwin.endpoint.glue.crawler.layout import ClassifiedFile, merged_columns
    from awstwin.endpoint.s3access import ObjectInfo

    first = classify_text(json.dumps({"id": 1, "items": []}) + "\n")
    second = classify_text(json.dumps({"id": 2, "items": [{"sku": "a"}]}) + "\n")
    files = [
        ClassifiedFile(ObjectInfo("b", f"t/{n}.json", 10, datetime(2024, 1, 1)), f"{n}.json", schema)
        for n, schema in (("a", first), ("b", second))
    ]
    assert merged_columns(files) == [("id", "bigint"), ("items", "array<struct<sku:string>>")]


def test_parquet_types_from_the_footer(tmp_path):
    table = pa.table(
        {
            "i32": pa.array([1], pa.int32()),
            "i64": pa.array([1], pa.int64()),
            "f32": pa.array([1.0], pa.float32()),
            "f64": pa.array([1.0], pa.float64()),
            "s": ["x"],
            "b": [True],
            "d": [date(2024, 1, 1)],
            "ts": [datetime(2024, 1, 1, 12)],
            "dec": pa.array([Decimal("1.25")], pa.decimal128(10, 2)),
            "arr": [[1, 2]],
            "st": [{"a": 1, "b": "x"}],
        }
    )
    path = tmp_path / "part-0.parquet"
    pq.write_table(table, path)
    data = path.read_bytes()
    reads: list[int] = []
    schema = classify(data[:SAMPLE_BYTES], len(data), tail_of(data, reads))
    assert reads == [len(data)]  # a small file: its end is all of it
    assert schema.classification == "parquet"
    assert schema.hive_columns() == [
        ("i32", "int"),
        ("i64", "bigint"),
        ("f32", "float"),
        ("f64", "double"),
        ("s", "string"),
        ("b", "boolean"),
        ("d", "date"),
        ("ts", "timestamp"),
        ("dec", "decimal(10,2)"),
        ("arr", "array<bigint>"),
        ("st", "struct<a:bigint,b:string>"),
    ]
    assert schema.record_count == 1


def test_a_big_parquet_file_is_classified_from_its_footer_alone(tmp_path):
    """Only the object's last 64 KiB are read (Glue reads the footer, never the row groups)."""
    rows = 300_000
    table = pa.table({"id": pa.array(range(rows), pa.int64()), "name": [f"n{i:07d}" for i in range(rows)]})
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, compression="none")
    data = path.read_bytes()
    assert len(data) > 4 * SAMPLE_BYTES
    reads: list[int] = []
    schema = classify(data[:SAMPLE_BYTES], len(data), tail_of(data, reads))
    assert reads == [64 * 1024]
    assert schema.hive_columns() == [("id", "bigint"), ("name", "string")]
    assert schema.record_count == rows


def test_a_footer_bigger_than_one_read_takes_a_second_one(tmp_path):
    wide = pa.table({f"column_with_a_long_name_{i:04d}": pa.array([i], pa.int32()) for i in range(1500)})
    path = tmp_path / "wide.parquet"
    pq.write_table(wide, path)
    data = path.read_bytes()
    footer = int.from_bytes(data[-8:-4], "little")
    assert footer + 8 > 64 * 1024
    reads: list[int] = []
    schema = classify(data[:SAMPLE_BYTES], len(data), tail_of(data, reads))
    assert reads == [64 * 1024, footer + 8]
    assert len(schema.columns) == 1500 and schema.columns[0] == ("column_with_a_long_name_0000", "int")


def test_a_truncated_parquet_file_is_unclassifiable():
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": [1]}), buffer)
    data = buffer.getvalue()[:-3]
    with pytest.raises(Unclassifiable, match="does not end with PAR1"):
        classify(data, len(data), tail_of(data))


def test_gzip_csv():
    raw = b"id,name\n1,a\n2,b\n"
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as handle:
        handle.write(raw)
    data = buffer.getvalue()
    schema = classify(data, len(data), no_tail)
    assert schema.compression == "gzip"
    assert schema.hive_columns() == [("id", "bigint"), ("name", "string")]


def test_only_the_sample_is_read():
    """A value beyond the first MiB cannot change the type: Glue classifies from a bounded sample."""
    head = "id,value\n" + "".join(f"{i:06d},{i * 2:07d}\n" for i in range(200_000))
    data = (head + "999,not-a-number\n").encode()
    assert len(data) > SAMPLE_BYTES
    schema = classify(data[:SAMPLE_BYTES], len(data), no_tail)
    assert schema.hive_columns() == [("id", "bigint"), ("value", "bigint")]
    assert abs(schema.record_count - 200_001) / 200_001 < 0.05  # estimated from the sample


def test_unclassifiable():
    with pytest.raises(Unclassifiable):
        classify_text("just one column\nand another line\n")


def test_real_dataset_types(real_dataset):
    data = real_dataset.read_bytes()
    schema = classify(data[:SAMPLE_BYTES], len(data), no_tail)
    bigints = {"hours_studied", "attendance", "sleep_hours", "previous_scores", "tutoring_sessions"}
    bigints |= {"physical_activity", "exam_score"}
    columns = schema.hive_columns()
    assert len(columns) == 20
    assert {n for n, t in columns if t == "bigint"} == bigints
    assert all(t == "string" for n, t in columns if n not in bigints)
    assert schema.header and schema.record_count == 6607


@pytest.mark.parametrize(
    ("key", "patterns", "expected"),
    [
        ("a.json", ["*.json"], True),
        ("sub/a.json", ["*.json"], False),
        ("sub/a.json", ["**.json"], True),
        ("sub/deeper/a.json", ["**/*.json"], True),
        ("departments/2020/x.csv", ["departments/**"], True),
        ("departments/2020/x.csv", ["departments"], True),
        ("year=2015/month=01/x.csv", ["year=2015/**"], True),
        ("year=2016/month=01/x.csv", ["year=2015/**"], False),
        ("logs/x.csv", ["{logs,tmp}/**"], True),
        ("tmp/x.csv", ["{logs,tmp}/**"], True),
        ("data/x.csv", ["{logs,tmp}/**"], False),
        ("x1.csv", ["x?.csv"], True),
        ("x12.csv", ["x[!1]*.csv"], False),
    ],
)
def test_exclusion_globs(key, patterns, expected):
    assert excluded(key, patterns) is expected


@pytest.fixture
def real_dataset():
    if not REAL_DATASET.exists():
        pytest.skip(f"the real dataset is not at {REAL_DATASET}")
    return REAL_DATASET


def test_disable_value_trimming_keeps_padded_numbers_as_text():
    from awstwin.endpoint.glue.crawler.classifiers import CsvOptions, classify_csv

    text = "id,n\n1, 2\n3,4\n"
    trimmed = classify_csv(text, len(text), len(text), True)
    untrimmed = classify_csv(text, len(text), len(text), True, CsvOptions(trim=False))
    assert trimmed.hive_columns() == [("id", "bigint"), ("n", "bigint")]
    assert untrimmed.hive_columns() == [("id", "bigint"), ("n", "string")]
