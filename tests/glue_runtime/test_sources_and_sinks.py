"""GlueContext sources and sinks: getSource / getSink (catalog updates), purge_table, Glue's file names,
JDBC-backed catalog tables read through their connection, extract_jdbc_conf.

References: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-glue-context.html
and https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from awsglue.dynamicframe import DynamicFrame

GLUE_TEXT_NAME = re.compile(r"^run-\d{13}-part-r-\d{5}$")
GLUE_PARQUET_NAME = re.compile(r"^run-\d{13}-part-block-0-r-\d{5}-snappy\.parquet$")


@pytest.fixture(scope="module")
def sink_db(aws: Callable[[str], Any]) -> str:
    aws("glue").create_database(DatabaseInput={"Name": "runtime_sinks"})
    return "runtime_sinks"


def frame_of(spark: Any, glue_context: Any, rows: list[Any], schema: str) -> DynamicFrame:
    return DynamicFrame.fromDF(spark.createDataFrame(rows, schema), glue_context, "f")


def files_under(root: Any) -> list[Any]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_dynamic_frame_writes_use_glue_file_names_plain_spark_keeps_its_own(
    spark: Any, glue_context: Any, s3_root: Any, bucket: str
) -> None:
    frame = frame_of(spark, glue_context, [(1, "a"), (2, "b")], "id int, v string")
    for fmt, pattern in (("json", GLUE_TEXT_NAME), ("csv", GLUE_TEXT_NAME), ("parquet", GLUE_PARQUET_NAME)):
        glue_context.write_dynamic_frame.from_options(
            frame=frame,
            connection_type="s3",
            connection_options={"path": f"s3://{bucket}/names/{fmt}/"},
            format=fmt,
        )
        names = [p.name for p in files_under(s3_root / bucket / "names" / fmt)]
        assert names and all(pattern.match(n) for n in names), names
    frame.toDF().write.parquet(f"s3://{bucket}/names/spark/")
    assert all(p.name.startswith("part-0") for p in files_under(s3_root / bucket / "names" / "spark"))
    # a second write adds files (Glue never replaces what is there)
    glue_context.write_dynamic_frame.from_options(
        frame=frame,
        connection_type="s3",
        connection_options={"path": f"s3://{bucket}/names/json/"},
        format="json",
    )
    rows = [
        json.loads(x)
        for p in files_under(s3_root / bucket / "names" / "json")
        for x in p.read_text().splitlines()
    ]
    assert len(rows) == 4


def test_get_source_and_get_sink_as_documented(
    spark: Any, glue_context: Any, s3_root: Any, bucket: str
) -> None:
    # data_sink = context.getSink("s3"); data_sink.setFormat("json"); data_sink.writeFrame(myFrame)
    frame = frame_of(spark, glue_context, [(1, "a")], "id int, v string")
    sink = glue_context.getSink("s3", path=f"s3://{bucket}/sink-plain/")
    sink.setFormat("json")
    assert sink.writeFrame(frame) is frame
    # data_source = context.getSource("file", paths=["/in/path"]); setFormat("json"); getFrame()
    source = glue_context.getSource("file", paths=[str(s3_root / bucket / "sink-plain")])
    source.setFormat("json")
    assert [r.asDict() for r in source.getFrame().toDF().collect()] == [{"id": 1, "v": "a"}]


def test_sink_with_enable_update_catalog_creates_updates_and_partitions(
    spark: Any, glue_context: Any, aws: Callable[[str], Any], sink_db: str, bucket: str
) -> None:
    glue = aws("glue")
    first = frame_of(
        spark, glue_context, [(1, "a", "2024"), (2, "b", "2025")], "id int, v string, year string"
    )
    sink = glue_context.getSink(
        connection_type="s3",
        path=f"s3://{bucket}/sink-catalog/",
        enableUpdateCatalog=True,
        updateBehavior="UPDATE_IN_DATABASE",
        partitionKeys=["year"],
    )
    sink.setFormat("glueparquet")
    sink.setCatalogInfo(catalogDatabase=sink_db, catalogTableName="events")
    sink.writeFrame(first)
    table = glue.get_table(DatabaseName=sink_db, Name="events")["Table"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("id", "int"),
        ("v", "string"),
    ]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year"]
    partitions = glue.get_partitions(DatabaseName=sink_db, TableName="events")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024", "2025"]
    # a new column is added to the table; a new partition is registered
    second = frame_of(
        spark, glue_context, [(3, "c", True, "2026")], "id int, v string, flag boolean, year string"
    )
    sink.writeFrame(second)
    table = glue.get_table(DatabaseName=sink_db, Name="events")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "v", "flag"]
    partitions = glue.get_partitions(DatabaseName=sink_db, TableName="events")["Partitions"]
    assert len(partitions) == 3
    # what the catalog now says is readable back, every partition included
    read = glue_context.create_dynamic_frame.from_catalog(database=sink_db, table_name="events")
    assert sorted(r["id"] for r in read.toDF().collect()) == [1, 2, 3]
    # LOG leaves the schema alone
    log_sink = glue_context.getSink(
        connection_type="s3",
        path=f"s3://{bucket}/sink-catalog/",
        enableUpdateCatalog=True,
        updateBehavior="LOG",
        partitionKeys=["year"],
    )
    log_sink.setFormat("glueparquet")
    log_sink.setCatalogInfo(catalogDatabase=sink_db, catalogTableName="events")
    log_sink.writeFrame(
        frame_of(spark, glue_context, [(4, "d", 1.5, "2026")], "id int, v string, extra double, year string")
    )
    table = glue.get_table(DatabaseName=sink_db, Name="events")["Table"]
    assert "extra" not in [c["Name"] for c in table["StorageDescriptor"]["Columns"]]


def test_purge_table_deletes_files_and_emptied_partitions(
    spark: Any, glue_context: Any, aws: Callable[[str], Any], sink_db: str, bucket: str, s3_root: Any
) -> None:
    glue = aws("glue")
    frame = frame_of(spark, glue_context, [(1, "march"), (2, "april")], "id int, month string")
    sink = glue_context.getSink(
        connection_type="s3",
        path=f"s3://{bucket}/purged-table/",  # not purge/: test_s3_io.py purges that prefix
        enableUpdateCatalog=True,
        partitionKeys=["month"],
    )
    sink.setFormat("json")
    sink.setCatalogInfo(catalogDatabase=sink_db, catalogTableName="purged")
    sink.writeFrame(frame)
    time.sleep(0.05)
    # the reference's example: glueContext.purge_table("database", "table",
    #     {"partitionPredicate": "(month=='march')", "retentionPeriod": 1, ...})
    glue_context.purge_table(
        sink_db, "purged", {"partitionPredicate": "(month=='march')", "retentionPeriod": 0}
    )
    assert files_under(s3_root / bucket / "purged-table" / "month=march") == []
    assert files_under(s3_root / bucket / "purged-table" / "month=april")
    values = [
        p["Values"] for p in glue.get_partitions(DatabaseName=sink_db, TableName="purged")["Partitions"]
    ]
    assert values == [["april"]]
    glue_context.purge_table(sink_db, "purged", {"retentionPeriod": 168})  # files are new: nothing goes
    assert files_under(s3_root / bucket / "purged-table" / "month=april")


@pytest.fixture(scope="module")
def legislators_db(warehouse: Any, aws: Callable[[str], Any]) -> str:
    """LocalStack's glue-etl-jobs pattern: catalog tables that name a Glue connection and whose
    Location is `database.table` / `database.schema.table`, backed by real Postgres tables."""
    with warehouse.connect() as connection, connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS legis")
        cursor.execute("CREATE TABLE legis.persons (id varchar, name varchar, born date, seats integer)")
        cursor.execute(
            "INSERT INTO legis.persons VALUES ('p1', 'person 1', '1960-01-02', 3), ('p2', NULL, NULL, NULL)"
        )
        connection.commit()
    glue = aws("glue")
    glue.create_connection(
        ConnectionInput={
            "Name": "legis-conn",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": warehouse.jdbc_url,
                "USERNAME": warehouse.user,
                "PASSWORD": warehouse.password,
            },
        }
    )
    glue.create_database(DatabaseInput={"Name": "legis_jdbc"})
    glue.create_table(
        DatabaseName="legis_jdbc",
        TableInput={
            "Name": "persons_json",
            "Parameters": {"connectionName": "legis-conn"},
            "StorageDescriptor": {"Location": "dev.legis.persons"},
        },
    )
    return "legis_jdbc"


def test_from_catalog_reads_a_jdbc_backed_table_through_its_connection(
    glue_context: Any, legislators_db: str
) -> None:
    persons = glue_context.create_dynamic_frame.from_catalog(
        database=legislators_db, table_name="persons_json"
    )
    assert [(f.name, f.dataType.simpleString()) for f in persons.schema().fields] == [
        ("id", "string"),
        ("name", "string"),
        ("born", "date"),
        ("seats", "int"),
    ]
    got = sorted((r["id"], r["name"], str(r["born"]), r["seats"]) for r in persons.toDF().collect())
    assert got == [("p1", "person 1", "1960-01-02", 3), ("p2", None, "None", None)]
    renamed = persons.rename_field("id", "person_id")
    assert renamed.toDF().columns[0] == "person_id"


def test_from_options_jdbc_and_extract_jdbc_conf(
    glue_context: Any, warehouse: Any, legislators_db: str
) -> None:
    conf = glue_context.extract_jdbc_conf("legis-conn")
    assert conf["user"] == warehouse.user and conf["vendor"] == "postgresql"
    assert conf["fullUrl"] == warehouse.jdbc_url and conf["url"] + "/dev" == warehouse.jdbc_url
    frame = glue_context.create_dynamic_frame.from_options(
        connection_type="postgresql",
        connection_options={
            "url": conf["fullUrl"],
            "user": conf["user"],
            "password": conf["password"],
            "dbtable": "legis.persons",
        },
    )
    assert frame.count() == 2


def test_a_jdbc_table_that_is_not_there_fails_loudly(
    glue_context: Any, aws: Callable[[str], Any], legislators_db: str
) -> None:
    aws("glue").create_table(
        DatabaseName=legislators_db,
        TableInput={
            "Name": "ghost",
            "Parameters": {"connectionName": "legis-conn"},
            "StorageDescriptor": {"Location": "dev.legis.ghost"},
        },
    )
    with pytest.raises(Exception, match='relation "legis.ghost" does not exist'):
        glue_context.create_dynamic_frame.from_catalog(database=legislators_db, table_name="ghost")


def test_add_ingestion_time_columns(spark: Any, glue_context: Any) -> None:
    df = spark.createDataFrame([(1,)], "id int")
    out = glue_context.add_ingestion_time_columns(df, "hour")
    assert out.columns == ["id", "ingest_year", "ingest_month", "ingest_day", "ingest_hour"]
    assert len(out.first()["ingest_year"]) == 4


def test_write_dynamic_frame_from_catalog_adds_columns_and_partitions(
    spark: Any, glue_context: Any, aws: Callable[[str], Any], sink_db: str, bucket: str
) -> None:
    glue = aws("glue")
    glue.create_table(
        DatabaseName=sink_db,
        TableInput={
            "Name": "visits",
            "PartitionKeys": [{"Name": "day", "Type": "string"}],
            "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Location": f"s3://{bucket}/visits/",
                "Columns": [{"Name": "id", "Type": "bigint"}],
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                },
            },
        },
    )
    frame = frame_of(
        spark, glue_context, [(1, "x", "d1"), (2, "y", "d2")], "id bigint, page string, day string"
    )
    glue_context.write_dynamic_frame.from_catalog(
        frame=frame,
        database=sink_db,
        table_name="visits",
        additional_options={"enableUpdateCatalog": True, "partitionKeys": ["day"]},
    )
    table = glue.get_table(DatabaseName=sink_db, Name="visits")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "page"]
    values = sorted(
        p["Values"][0] for p in glue.get_partitions(DatabaseName=sink_db, TableName="visits")["Partitions"]
    )
    assert values == ["d1", "d2"]
    read = glue_context.create_dynamic_frame.from_catalog(database=sink_db, table_name="visits")
    assert sorted((r["id"], r["page"], r["day"]) for r in read.toDF().collect()) == [
        (1, "x", "d1"),
        (2, "y", "d2"),
    ]


def test_a_choice_in_one_partition_is_a_choice_in_all(
    glue_context: Any, aws: Callable[[str], Any], sink_db: str, bucket: str, s3_root: Any
) -> None:
    for day, body in (("1", "1\n2\n"), ("2", "3\nn/a\n")):
        folder = s3_root / bucket / "choices" / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data.csv").write_text(body)
    glue = aws("glue")
    glue.create_table(
        DatabaseName=sink_db,
        TableInput={
            "Name": "choices",
            "PartitionKeys": [{"Name": "day", "Type": "string"}],
            "Parameters": {"classification": "csv"},
            "StorageDescriptor": {
                "Location": f"s3://{bucket}/choices/",
                "Columns": [{"Name": "n", "Type": "bigint"}],
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                    "Parameters": {"field.delim": ","},
                },
            },
        },
    )
    glue.batch_create_partition(
        DatabaseName=sink_db,
        TableName="choices",
        PartitionInputList=[
            {"Values": [d], "StorageDescriptor": {"Location": f"s3://{bucket}/choices/day={d}/"}}
            for d in ("1", "2")
        ],
    )
    frame = glue_context.create_dynamic_frame.from_catalog(database=sink_db, table_name="choices")
    assert frame.schema()["n"].dataType.simpleString() == "struct<long:bigint,string:string>"
    resolved = frame.resolveChoice(specs=[("n", "cast:long")])
    assert sorted((r["n"] is None, r["n"]) for r in resolved.toDF().collect()) == [
        (False, 1),
        (False, 2),
        (False, 3),
        (True, None),
    ]


def test_create_dynamic_frame_from_rdd_and_write_from_options_with_a_collection(
    spark: Any, glue_context: Any, s3_root: Any, bucket: str
) -> None:
    frame = glue_context.create_dynamic_frame_from_rdd(
        spark.sparkContext.parallelize([(1, "a"), (2, "b")]), "from_rdd", schema="id int, v string"
    )
    assert frame.name == "from_rdd" and frame.count() == 2
    dfc = frame.split_rows({"id": {"=": 1}}, "one", "rest")
    glue_context.write_from_options(
        dfc, connection_type="s3", connection_options={"path": f"s3://{bucket}/collection/"}, format="json"
    )
    rows = [
        json.loads(x)
        for p in files_under(s3_root / bucket / "collection")
        for x in p.read_text().splitlines()
    ]
    assert sorted(r["id"] for r in rows) == [1, 2]
