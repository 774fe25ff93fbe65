"""DDL changes the Glue catalog (seen through Glue's own API); CTAS and INSERT write real files."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from tests.endpoint.athena.conftest import all_rows


def _text(lake, sql):
    execution = lake.ok(sql)
    return [r[0] for r in all_rows(lake.athena, execution["QueryExecutionId"])]


@pytest.fixture
def glue(aws):
    return aws("glue")


def test_databases(lake, glue):
    lake.ok("CREATE DATABASE IF NOT EXISTS ddl_a COMMENT 'first' WITH DBPROPERTIES ('owner'='me')")
    database = glue.get_database(Name="ddl_a")["Database"]
    assert database["Description"] == "first" and database["Parameters"] == {"owner": "me"}
    lake.ok("CREATE SCHEMA IF NOT EXISTS ddl_a")  # already there: fine
    assert "already exists" in lake.failed("CREATE DATABASE ddl_a")["StateChangeReason"]
    assert "ddl_a" in _text(lake, "SHOW DATABASES")
    assert _text(lake, "SHOW SCHEMAS LIKE 'ddl_*'") == ["ddl_a"]
    lake.ok(f"CREATE EXTERNAL TABLE ddl_a.t (x int) LOCATION 's3://{lake.bucket}/ddl_a/'")
    assert "is not empty" in lake.failed("DROP DATABASE ddl_a")["StateChangeReason"]
    lake.ok("DROP DATABASE ddl_a CASCADE")
    assert lake.failed("DROP DATABASE ddl_a")["StateChangeReason"] == (
        "FAILED: SemanticException [Error 10072]: Database does not exist: ddl_a"
    )
    lake.ok("DROP DATABASE IF EXISTS ddl_a")


def test_create_external_table_writes_the_glue_table(lake, glue):
    lake.ok(
        f"""CREATE EXTERNAL TABLE IF NOT EXISTS `{lake.database}`.`tbl` (
              `id` bigint COMMENT 'key', payload struct<a:int,b:array<string>>, amount decimal(10,2))
            COMMENT 'a table'
            PARTITIONED BY (dt string)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
            WITH SERDEPROPERTIES ('separatorChar'=';', 'quoteChar'='"')
            STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
            OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
            LOCATION 's3://{lake.bucket}/tbl/'
            TBLPROPERTIES ('skip.header.line.count'='1', 'classification'='csv')"""
    )
    table = glue.get_table(DatabaseName=lake.database, Name="tbl")["Table"]
    sd = table["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in sd["Columns"]] == [
        ("id", "bigint"),
        ("payload", "struct<a:int,b:array<string>>"),
        ("amount", "decimal(10,2)"),
    ]
    assert sd["Columns"][0]["Comment"] == "key"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert sd["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
        "Parameters": {"separatorChar": ";", "quoteChar": '"'},
    }
    assert sd["Location"] == f"s3://{lake.bucket}/tbl/"
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["skip.header.line.count"] == "1" and table["Parameters"]["EXTERNAL"] == "TRUE"
    assert (
        "already exists"
        in lake.failed(f"CREATE EXTERNAL TABLE tbl (x int) LOCATION 's3://{lake.bucket}/x/'")[
            "StateChangeReason"
        ]
    )
    # SHOW CREATE TABLE gives DDL that creates the same table again
    ddl = "\n".join(_text(lake, "SHOW CREATE TABLE tbl")).replace("`tbl`", "`tbl_copy`")
    lake.ok(ddl)
    copy = glue.get_table(DatabaseName=lake.database, Name="tbl_copy")["Table"]
    assert copy["StorageDescriptor"]["Columns"] == sd["Columns"]
    assert copy["StorageDescriptor"]["SerdeInfo"] == sd["SerdeInfo"]
    assert copy["PartitionKeys"] == table["PartitionKeys"]
    assert copy["Parameters"]["skip.header.line.count"] == "1"


def test_show_and_describe(lake):
    lake.ok(
        f"""CREATE EXTERNAL TABLE shown (a int COMMENT 'first', b string) PARTITIONED BY (dt string)
        LOCATION 's3://{lake.bucket}/shown/'"""
    )
    lake.ok(f"CREATE EXTERNAL TABLE other (x int) LOCATION 's3://{lake.bucket}/other/'")
    assert _text(lake, f"SHOW TABLES IN {lake.database}") == ["other", "shown"]
    assert _text(lake, "SHOW TABLES 'sh*'") == ["shown"]
    assert [c.strip() for c in _text(lake, "SHOW COLUMNS IN shown")] == ["a", "b", "dt"]
    describe = lake.ok("DESCRIBE shown")
    results = lake.athena.get_query_results(QueryExecutionId=describe["QueryExecutionId"])
    assert [c["Name"] for c in results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]] == [
        "col_name",
        "data_type",
        "comment",
    ]
    lines = [r["Data"][0]["VarCharValue"] for r in results["ResultSet"]["Rows"]]
    assert [line.split("\t")[0].strip() for line in lines[:3]] == ["a", "b", "dt"]
    assert lines[0].split("\t")[2].strip() == "first"
    assert "# Partition Information" in lines
    formatted = _text(lake, "DESCRIBE FORMATTED shown")
    assert any(line.startswith("Location:") and f"s3://{lake.bucket}/shown/" in line for line in formatted)
    assert _text(lake, "SHOW TBLPROPERTIES shown('EXTERNAL')") == ["TRUE"]
    assert "not a partitioned table" in lake.failed("SHOW PARTITIONS other")["StateChangeReason"]
    missing = lake.failed("DESCRIBE nope")
    assert (
        missing["StateChangeReason"]
        == f"FAILED: SemanticException [Error 10001]: Table not found {lake.database}.nope"
    )
    lake.ok("DROP TABLE other")
    assert lake.failed("DROP TABLE other")["AthenaError"]["ErrorType"] == 1301
    lake.ok("DROP TABLE IF EXISTS other")


def test_alter_table_columns_location_and_properties(lake, glue):
    lake.put("v1/a.csv", "1,x\n")
    lake.put("v2/a.csv", "2,y,9\n")
    lake.ok(
        f"CREATE EXTERNAL TABLE evolving (n int, s string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"LOCATION 's3://{lake.bucket}/v1/'"
    )
    lake.ok("ALTER TABLE evolving ADD COLUMNS (extra int)")
    lake.ok(f"ALTER TABLE evolving SET LOCATION 's3://{lake.bucket}/v2/'")
    lake.ok("ALTER TABLE evolving SET TBLPROPERTIES ('note'='moved')")
    assert lake.rows("SELECT n, s, extra FROM evolving") == [["2", "y", "9"]]
    assert (
        glue.get_table(DatabaseName=lake.database, Name="evolving")["Table"]["Parameters"]["note"] == "moved"
    )


def test_ctas_writes_parquet_to_the_default_location_and_registers_it(lake, glue):
    lake.put("src/a.csv", "1,ann,10\n2,bob,20\n3,cy,30\n")
    lake.ok(
        "CREATE EXTERNAL TABLE src (id int, name string, v bigint) "
        f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{lake.bucket}/src/'"
    )
    execution = lake.ok(
        "CREATE TABLE copy AS SELECT id, upper(name) AS name, v * 2 AS v2 FROM src WHERE id < 3"
    )
    assert execution["StatementType"] == "DDL"
    results = lake.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert results["UpdateCount"] == 2 and results["ResultSet"]["Rows"] == []
    assert results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"][0]["Name"] == "rows"
    table = glue.get_table(DatabaseName=lake.database, Name="copy")["Table"]
    location = table["StorageDescriptor"]["Location"]
    assert location == f"{lake.output}tables/{execution['QueryExecutionId']}/"
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("id", "int"),
        ("name", "string"),
        ("v2", "bigint"),
    ]
    prefix = location.split("/", 3)[3]
    keys = [o["Key"] for o in lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix=prefix)["Contents"]]
    assert len(keys) == 1
    parquet = pq.read_table(io.BytesIO(lake.s3.get_object(Bucket=lake.bucket, Key=keys[0])["Body"].read()))
    assert parquet.column("name").to_pylist() == ["ANN", "BOB"]
    assert lake.rows("SELECT name, v2 FROM copy ORDER BY id") == [["ANN", "20"], ["BOB", "40"]]
    manifest = execution["Statistics"]["DataManifestLocation"]
    body = lake.s3.get_object(Bucket=lake.bucket, Key=manifest.split("/", 3)[3])["Body"].read().decode()
    assert body.strip() == f"s3://{lake.bucket}/{keys[0]}"
    failed = lake.failed("CREATE TABLE copy AS SELECT 1 AS a")
    assert failed["StateChangeReason"].startswith("TABLE_ALREADY_EXISTS")


def test_ctas_partitioned_with_external_location_then_insert(lake, glue):
    lake.ok(
        f"""CREATE TABLE sales WITH (format='PARQUET', external_location='s3://{lake.bucket}/sales/',
            partitioned_by=ARRAY['region'], write_compression='SNAPPY')
        AS SELECT * FROM (VALUES (1, 10.0, 'eu'), (2, 20.0, 'us'), (3, 30.0, 'eu'))
        AS t(id, amount, region)"""
    )
    table = glue.get_table(DatabaseName=lake.database, Name="sales")["Table"]
    assert table["PartitionKeys"] == [{"Name": "region", "Type": "string"}]
    assert _text(lake, "SHOW PARTITIONS sales") == ["region=eu", "region=us"]
    objects = [o["Key"] for o in lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix="sales/")["Contents"]]
    assert all(k.startswith(("sales/region=eu/", "sales/region=us/")) for k in objects)
    inserted = lake.ok("INSERT INTO sales SELECT 4, 40.0, 'apac'")
    assert lake.athena.get_query_results(QueryExecutionId=inserted["QueryExecutionId"])["UpdateCount"] == 1
    assert inserted["StatementType"] == "DML"
    assert lake.rows("SELECT region, count(*), sum(amount) FROM sales GROUP BY region ORDER BY region") == [
        ["apac", "1", "40.0"],
        ["eu", "2", "40.0"],
        ["us", "1", "20.0"],
    ]
    reason = lake.failed(
        f"CREATE TABLE again WITH (external_location='s3://{lake.bucket}/sales/') AS SELECT 1 AS a"
    )["StateChangeReason"]
    assert reason.startswith("HIVE_PATH_ALREADY_EXISTS")
    order = lake.failed("CREATE TABLE bad WITH (partitioned_by=ARRAY['a']) AS SELECT 1 AS a, 2 AS b")
    assert order["StateChangeReason"].startswith("HIVE_COLUMN_ORDER_MISMATCH")


def test_insert_into_a_csv_table_with_a_header(lake):
    lake.put("people/a.csv", "id,name\n1,ann\n")
    lake.ok(
        f"""CREATE EXTERNAL TABLE people (id int, name string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
        LOCATION 's3://{lake.bucket}/people/' TBLPROPERTIES ('skip.header.line.count'='1')"""
    )
    lake.ok("INSERT INTO people (name, id) VALUES ('bob', 2), ('cy', 3)")
    assert lake.rows("SELECT id, name FROM people ORDER BY id") == [["1", "ann"], ["2", "bob"], ["3", "cy"]]
    mismatch = lake.failed("INSERT INTO people SELECT 1")
    assert mismatch["StateChangeReason"].startswith("TYPE_MISMATCH")


def test_ctas_text_and_json_formats(lake):
    lake.ok("CREATE TABLE as_text WITH (format='TEXTFILE', field_delimiter='|') AS SELECT 1 AS a, 'x' AS b")
    lake.ok("CREATE TABLE as_json WITH (format='JSON') AS SELECT 2 AS a, 'y' AS b")
    assert lake.rows("SELECT a, b FROM as_text") == [["1", "x"]]
    assert lake.rows("SELECT a, b FROM as_json") == [["2", "y"]]
    assert (
        "NOT_SUPPORTED"
        in lake.failed("CREATE TABLE as_orc WITH (format='ORC') AS SELECT 1 AS a")["StateChangeReason"]
    )


def test_unload_writes_files_without_a_table(lake, glue):
    execution = lake.ok(
        f"""UNLOAD (SELECT * FROM (VALUES (1, 'a', 'x'), (2, 'b', 'y')) AS t(n, s, part))
        TO 's3://{lake.bucket}/unloaded/' WITH (format = 'JSON', partitioned_by = ARRAY['part'])"""
    )
    assert execution["StatementType"] == "DML"
    assert lake.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["UpdateCount"] == 2
    keys = sorted(
        o["Key"] for o in lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix="unloaded/")["Contents"]
    )
    assert [k.split("/")[1] for k in keys] == ["part=x", "part=y"] and all(k.endswith(".gz") for k in keys)
    import gzip
    import json

    first = json.loads(gzip.decompress(lake.s3.get_object(Bucket=lake.bucket, Key=keys[0])["Body"].read()))
    assert first == {"n": 1, "s": "a"}
    assert not glue.get_tables(DatabaseName=lake.database)["TableList"]
    again = lake.failed(f"UNLOAD (SELECT 1 AS a) TO 's3://{lake.bucket}/unloaded/' WITH (format = 'PARQUET')")
    assert again["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS")
