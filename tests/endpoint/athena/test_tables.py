"""Athena reads catalog tables the way AWS does: SerDe semantics, formats, partitions."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

PEOPLE_CSV = (
    'id,name,score,born,active\r\n1,"Ann, A.",3.5,2001-02-03,true\r\n2,Bob,,1999-12-31,false\r\n'
    "3,Cy,not-a-number,nonsense,maybe\r\n,Dee,4.25,2000-01-01,TRUE\r\n"
)


def _people(lake, serde_clause: str, key: str = "people") -> None:
    lake.put(f"{key}/part-0.csv", PEOPLE_CSV)
    lake.ok(
        f"""CREATE EXTERNAL TABLE {key} (id bigint, name string, score double, born date, active boolean)
        {serde_clause}
        LOCATION 's3://{lake.bucket}/{key}/'
        TBLPROPERTIES ('skip.header.line.count'='1')"""
    )


def test_lazy_simple_serde_keeps_quotes_and_nulls_what_does_not_parse(lake):
    _people(lake, "ROW FORMAT DELIMITED FIELDS TERMINATED BY ','")
    rows = lake.rows("SELECT id, name, score, born, active FROM people ORDER BY name")
    # the quoted field is split at its comma and keeps its quotes, as LazySimpleSerDe does
    assert rows[0] == ["1", '"Ann', None, None, None]
    assert rows[1] == ["2", "Bob", None, "1999-12-31", "false"]
    # values that do not parse as the column type are NULL, never a failed query
    assert rows[2] == ["3", "Cy", None, None, None]
    # an empty bigint field is NULL; booleans are case-insensitive; no '\r' is left from CRLF lines
    assert rows[3] == [None, "Dee", "4.25", "2000-01-01", "true"]
    assert lake.value("SELECT count(*) FROM people WHERE name LIKE '%' || chr(13)") == "0"


def test_open_csv_serde_strips_quotes(lake):
    lake.put("quoted/a.csv", '"id","name","note"\n"1","Ann, A.","say ""hi"""\n"2","Bob",""\n')
    lake.ok(
        f"""CREATE EXTERNAL TABLE quoted (id string, name string, note string)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
        WITH SERDEPROPERTIES ('separatorChar'=',', 'quoteChar'='"', 'escapeChar'='\\\\')
        LOCATION 's3://{lake.bucket}/quoted/' TBLPROPERTIES ('skip.header.line.count'='1')"""
    )
    rows = lake.rows("SELECT id, name, note FROM quoted ORDER BY id")
    assert rows == [["1", "Ann, A.", 'say "hi"'], ["2", "Bob", ""]]


def test_open_csv_serde_fails_on_bad_numbers_like_athena_unless_told_to_null_them(lake):
    lake.put("nums/a.csv", '"1","x"\n"","y"\n')
    lake.ok(
        f"""CREATE EXTERNAL TABLE nums (n bigint, s string)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' LOCATION 's3://{lake.bucket}/nums/'"""
    )
    status = lake.failed("SELECT sum(n) FROM nums")
    assert status["StateChangeReason"].startswith("HIVE_BAD_DATA: Error parsing field value '' for field 1")
    assert status["AthenaError"]["ErrorCategory"] == 2
    lake.ok("ALTER TABLE nums SET TBLPROPERTIES ('use.null.for.invalid.data'='true')")
    assert lake.rows("SELECT n, s FROM nums ORDER BY s") == [["1", "x"], [None, "y"]]


def test_tab_delimited_gzip_text_and_hidden_files(lake):
    import gzip

    lake.put("tsv/data.tsv.gz", gzip.compress(b"a\t1\nb\t2\n"))
    lake.put("tsv/_SUCCESS", b"not data")
    lake.put("tsv/.hidden", b"z\t9\n")
    lake.ok(
        f"""CREATE EXTERNAL TABLE tsv (k string, v int)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' LOCATION 's3://{lake.bucket}/tsv/'"""
    )
    assert lake.rows("SELECT k, v FROM tsv ORDER BY k") == [["a", "1"], ["b", "2"]]


def test_parquet_table_by_column_name(lake):
    table = pa.table({"Score": [1.5, 2.5, None], "name": ["a", "b", "c"], "extra": [1, 2, 3]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    lake.put("pq/file.parquet", buffer.getvalue())
    lake.ok(
        f"CREATE EXTERNAL TABLE pq (name string, score double, missing bigint) STORED AS PARQUET "
        f"LOCATION 's3://{lake.bucket}/pq/'"
    )
    assert lake.rows("SELECT name, score, missing FROM pq ORDER BY name") == [
        ["a", "1.5", None],
        ["b", "2.5", None],
        ["c", None, None],
    ]


def test_json_lines_with_case_insensitive_keys(lake):
    lines = [{"Id": 1, "Tags": ["x", "y"], "who": {"n": "a"}}, {"id": 2, "tags": [], "who": None}]
    lake.put("js/a.json", "\n".join(json.dumps(x) for x in lines) + "\n")
    lake.ok(
        f"""CREATE EXTERNAL TABLE js (id int, tags array<string>, who string)
        ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{lake.bucket}/js/'"""
    )
    rows = lake.rows("SELECT id, cardinality(tags), who FROM js ORDER BY id")
    assert rows == [["1", "2", '{"n":"a"}'], ["2", "0", None]]


def test_partitions_from_msck_repair_and_pruning(lake):
    for day, values in {"2024-01-01": ["1", "2"], "2024-01-02": ["3"], "2024-01-03": ["4", "5", "6"]}.items():
        lake.put(f"events/dt={day}/region=eu/data.csv", "\n".join(values) + "\n")
    lake.put("events/not-a-partition/junk.csv", "999\n")
    lake.ok(
        f"""CREATE EXTERNAL TABLE events (n int) PARTITIONED BY (dt string, region string)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{lake.bucket}/events/'"""
    )
    assert lake.value("SELECT count(*) FROM events") == "0"  # no partitions registered yet
    repair = lake.ok("MSCK REPAIR TABLE events")
    repaired = [r[0] for r in _rows(lake, repair)]
    assert "Repair: Added partition to metastore events:dt=2024-01-02/region=eu" in repaired
    shown = lake.ok("SHOW PARTITIONS events")
    assert [r[0] for r in _rows(lake, shown)] == [
        "dt=2024-01-01/region=eu",
        "dt=2024-01-02/region=eu",
        "dt=2024-01-03/region=eu",
    ]
    assert lake.rows("SELECT dt, count(*), sum(n) FROM events GROUP BY dt ORDER BY dt") == [
        ["2024-01-01", "2", "3"],
        ["2024-01-02", "1", "3"],
        ["2024-01-03", "3", "15"],
    ]
    everything = lake.ok("SELECT sum(n) FROM events")["Statistics"]["DataScannedInBytes"]
    pruned = lake.ok("SELECT sum(n) FROM events WHERE dt = '2024-01-02'")["Statistics"]["DataScannedInBytes"]
    assert everything == len("1\n2\n") + len("3\n") + len("4\n5\n6\n")
    assert pruned == len("3\n")
    # a second repair finds nothing new
    assert _rows(lake, lake.ok("MSCK REPAIR TABLE events")) == []


def test_partitions_added_and_dropped_by_ddl(lake):
    lake.put("logs/custom-folder/a.csv", "7\n8\n")
    lake.ok(
        f"""CREATE EXTERNAL TABLE logs (n int) PARTITIONED BY (year int)
        LOCATION 's3://{lake.bucket}/logs/'"""
    )
    lake.ok(f"ALTER TABLE logs ADD PARTITION (year=2024) LOCATION 's3://{lake.bucket}/logs/custom-folder/'")
    assert lake.rows("SELECT year, n FROM logs ORDER BY n") == [["2024", "7"], ["2024", "8"]]
    assert lake.failed("ALTER TABLE logs ADD PARTITION (year=2024)")["StateChangeReason"].startswith(
        "FAILED:"
    )
    lake.ok("ALTER TABLE logs ADD IF NOT EXISTS PARTITION (year=2024)")
    lake.ok("ALTER TABLE logs DROP PARTITION (year=2024)")
    assert lake.value("SELECT count(*) FROM logs") == "0"


def _rows(lake, execution):
    from tests.endpoint.athena.conftest import all_rows

    return all_rows(lake.athena, execution["QueryExecutionId"])


HIVE_SEPARATOR_CASES = {
    # SerdeInfo.Parameters -> the file's bytes; Hive reads '1' as the byte \x01, '9' as a tab
    "sf_one": ({"serialization.format": "1"}, "1\x01a,b\n2\x01c\n"),
    "no_params": ({}, "1\x01a,b\n2\x01c\n"),
    "tab_byte": ({"field.delim": "9", "serialization.format": "9"}, "1\ta,b\n2\tc\n"),
    "comma": ({"field.delim": ",", "serialization.format": "1"}, "1,a;b\n2,c\n"),
}


def test_lazy_simple_separators_follow_hive(lake, aws):
    """Tables made through Glue's API (not DDL): the separator is whatever Hive makes of the params."""
    glue = aws("glue")
    for name, (params, body) in HIVE_SEPARATOR_CASES.items():
        lake.put(f"{name}/data.txt", body)
        glue.create_table(
            DatabaseName=lake.database,
            TableInput={
                "Name": name,
                "StorageDescriptor": {
                    "Columns": [{"Name": "id", "Type": "int"}, {"Name": "v", "Type": "string"}],
                    "Location": f"s3://{lake.bucket}/{name}/",
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                        "Parameters": params,
                    },
                },
            },
        )
    assert lake.rows("SELECT id, v FROM sf_one ORDER BY id") == [["1", "a,b"], ["2", "c"]]
    assert lake.rows("SELECT id, v FROM no_params ORDER BY id") == [["1", "a,b"], ["2", "c"]]
    assert lake.rows("SELECT id, v FROM tab_byte ORDER BY id") == [["1", "a,b"], ["2", "c"]]
    assert lake.rows("SELECT id, v FROM comma ORDER BY id") == [["1", "a;b"], ["2", "c"]]
