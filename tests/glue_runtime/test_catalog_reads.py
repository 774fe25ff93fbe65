"""create_dynamic_frame.from_catalog: each SerDe's reading of the files, partitions, types.

Tables are created in the endpoint's Data Catalog with boto3 and read through GlueContext, exactly as
a job script reads them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
_names = itertools.count()


@pytest.fixture(scope="module")
def database(aws: Callable[[str], Any]) -> str:
    aws("glue").create_database(DatabaseInput={"Name": "runtime_reads"})
    return "runtime_reads"


@pytest.fixture()
def make_table(aws: Callable[[str], Any], database: str, bucket: str) -> Callable[..., str]:
    def make(
        columns: list[tuple[str, str]],
        location: str,
        serde: str = LAZY,
        serde_params: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        partition_keys: list[tuple[str, str]] | None = None,
        classification: str = "csv",
    ) -> str:
        name = f"t{next(_names)}"
        aws("glue").create_table(
            DatabaseName=database,
            TableInput={
                "Name": name,
                "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys or []],
                "Parameters": {"classification": classification, **(params or {})},
                "StorageDescriptor": {
                    "Location": location,
                    "Columns": [{"Name": n, "Type": t} for n, t in columns],
                    "SerdeInfo": {
                        "SerializationLibrary": serde,
                        "Parameters": {"field.delim": ","} if serde_params is None else serde_params,
                    },
                },
            },
        )
        return name

    return make


def rows(
    glue_context: Any, database: str, table: str, choice: str = "", **kwargs: Any
) -> list[tuple[Any, ...]]:
    """The table's rows as a job reads them; `choice` resolves every choice field first."""
    frame = glue_context.create_dynamic_frame.from_catalog(database=database, table_name=table, **kwargs)
    if choice:
        frame = frame.resolveChoice(choice=choice)
    return [tuple(r) for r in frame.toDF().collect()]


CSV = 'id,name,score\r\n1,"Ann",12.5\r\n2,Bob,\r\n3,"Cy, Jr",abc\r\n4,\\N,7\r\n'


def test_lazy_simple_keeps_quotes_splits_on_every_delimiter_and_drops_crlf(
    glue_context: Any, database: str, make_table: Callable[..., str], put_object: Callable[..., str]
) -> None:
    put_object("lazy/data.csv", CSV)
    put_object("lazy/more.csv", "id,name,score\r\n5,Dee,1\r\n")  # every file's header is skipped
    table = make_table(
        [("id", "bigint"), ("name", "string"), ("score", "double")],
        "s3://runtime-tests/lazy/",
        params={"skip.header.line.count": "1"},
    )
    frame = glue_context.create_dynamic_frame.from_catalog(database=database, table_name=table)
    # ' Jr"' (the third field of the "Cy, Jr" line) is no double: as in Glue, score is a choice
    assert [(f.name, f.dataType.simpleString()) for f in frame.schema().fields][2] == (
        "score",
        "struct<double:double,string:string>",
    )
    got = sorted(tuple(r) for r in frame.resolveChoice(specs=[("score", "cast:double")]).toDF().collect())
    # quotes are data; "Cy, Jr" is split at its comma; \N is null; '' is an empty string
    assert got == [(1, '"Ann"', 12.5), (2, "Bob", None), (3, '"Cy', None), (4, None, 7.0), (5, "Dee", 1.0)]
    assert all("\r" not in str(v) for row in got for v in row)


def test_open_csv_serde_strips_quotes_and_keeps_quoted_delimiters(
    glue_context: Any, database: str, make_table: Callable[..., str], put_object: Callable[..., str]
) -> None:
    put_object("open/data.csv", CSV)
    table = make_table(
        [("id", "bigint"), ("name", "string"), ("score", "string")],
        "s3://runtime-tests/open/",
        serde=OPEN_CSV,
        serde_params={"separatorChar": ",", "quoteChar": '"'},
        params={"skip.header.line.count": "1"},
    )
    got = sorted(rows(glue_context, database, table))
    assert got == [(1, "Ann", "12.5"), (2, "Bob", ""), (3, "Cy, Jr", "abc"), (4, "\\N", "7")]


def test_pipe_delimiter_without_header(
    glue_context: Any, database: str, make_table: Callable[..., str], put_object: Callable[..., str]
) -> None:
    put_object("pipe/a.txt", "1|x|true\n2|y|false\n3||maybe\n")
    table = make_table(
        [("id", "int"), ("tag", "string"), ("flag", "boolean")],
        "s3://runtime-tests/pipe/",
        serde_params={"field.delim": "|"},
    )
    # 'maybe' is no boolean: flag is choice<boolean,string> until resolved
    assert sorted(rows(glue_context, database, table, choice="cast:boolean")) == [
        (1, "x", True),
        (2, "y", False),
        (3, "", None),
    ]


def test_partitions_become_columns_and_push_down_predicate_picks_them(
    glue_context: Any,
    aws: Callable[[str], Any],
    database: str,
    make_table: Callable[..., str],
    put_object: Callable[..., str],
) -> None:
    for day, ids in (("2024-05-01", "1\n2\n"), ("2024-05-02", "3\n"), ("2024-05-03", "4\n")):
        put_object(f"parts/day={day}/data.csv", ids)
    table = make_table([("id", "bigint")], "s3://runtime-tests/parts/", partition_keys=[("day", "string")])
    for day in ("2024-05-01", "2024-05-02", "2024-05-03"):
        aws("glue").create_partition(
            DatabaseName=database,
            TableName=table,
            PartitionInput={
                "Values": [day],
                "StorageDescriptor": {"Location": f"s3://runtime-tests/parts/day={day}/"},
            },
        )
    assert sorted(rows(glue_context, database, table)) == [
        (1, "2024-05-01"),
        (2, "2024-05-01"),
        (3, "2024-05-02"),
        (4, "2024-05-03"),
    ]
    picked = rows(glue_context, database, table, push_down_predicate="day >= '2024-05-02'")
    assert sorted(picked) == [(3, "2024-05-02"), (4, "2024-05-03")]
    by_catalog = rows(
        glue_context, database, table, additional_options={"catalogPartitionPredicate": "day = '2024-05-01'"}
    )
    assert sorted(by_catalog) == [(1, "2024-05-01"), (2, "2024-05-01")]


def test_a_bad_predicate_names_the_partition_keys(
    glue_context: Any, aws: Callable[[str], Any], database: str, make_table: Callable[..., str]
) -> None:
    table = make_table([("id", "bigint")], "s3://runtime-tests/badpred/", partition_keys=[("day", "string")])
    aws("glue").create_partition(
        DatabaseName=database, TableName=table, PartitionInput={"Values": ["x"], "StorageDescriptor": {}}
    )
    with pytest.raises(Exception, match="partition keys \\(day\\)"):
        rows(glue_context, database, table, push_down_predicate="nosuch = 1")


def test_json_and_parquet_tables_pick_columns_by_name(
    glue_context: Any,
    spark: Any,
    s3_root: Any,
    database: str,
    make_table: Callable[..., str],
    put_object: Callable[..., str],
) -> None:
    put_object("json/a.json", '{"ID": 1, "Name": "a", "extra": 0}\n{"ID": "x", "Name": "b"}\n')
    json_table = make_table(
        [("id", "bigint"), ("name", "string")],
        "s3://runtime-tests/json/",
        serde="org.openx.data.jsonserde.JsonSerDe",
        classification="json",
    )
    # "x" is no bigint: ID is choice<long,string>; project:long keeps the values that are longs
    assert sorted(rows(glue_context, database, json_table, choice="project:long"), key=str) == [
        (1, "a"),
        (None, "b"),
    ]
    spark.createDataFrame([(1, "p"), (2, "q")], "id long, name string").write.parquet(
        str(s3_root / "runtime-tests" / "pq")
    )
    pq_table = make_table(
        [("name", "string"), ("id", "int")],
        "s3://runtime-tests/pq/",
        serde="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        classification="parquet",
    )
    assert sorted(rows(glue_context, database, pq_table)) == [("p", 1), ("q", 2)]


def test_a_table_without_files_is_empty_with_its_schema(
    glue_context: Any, database: str, make_table: Callable[..., str]
) -> None:
    table = make_table([("id", "bigint"), ("name", "string")], "s3://runtime-tests/nothing-here/")
    frame = glue_context.create_dynamic_frame.from_catalog(database=database, table_name=table)
    assert frame.count() == 0
    assert [(f.name, f.dataType.simpleString()) for f in frame.schema().fields] == [
        ("id", "bigint"),
        ("name", "string"),
    ]


def test_a_missing_table_says_which(glue_context: Any, database: str) -> None:
    with pytest.raises(Exception, match="EntityNotFoundException"):
        glue_context.create_dynamic_frame.from_catalog(database=database, table_name="no_such_table")


def test_write_from_catalog_adds_rows_and_partitions_the_table_reads_back(
    glue_context: Any, spark: Any, aws: Callable[[str], Any], database: str, make_table: Callable[..., str]
) -> None:
    from awsglue.dynamicframe import DynamicFrame

    table = make_table(
        [("id", "bigint"), ("name", "string")],
        "s3://runtime-tests/written/",
        serde="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        classification="parquet",
        partition_keys=[("day", "string")],
    )
    df = spark.createDataFrame([("1", "a", "d1"), ("2", "b", "d2")], "ID string, Name string, day string")
    glue_context.write_dynamic_frame.from_catalog(
        frame=DynamicFrame.fromDF(df, glue_context, "w"),
        database=database,
        table_name=table,
        additional_options={"enableUpdateCatalog": True},
    )
    partitions = aws("glue").get_partitions(DatabaseName=database, TableName=table)["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["d1", "d2"]
    assert sorted(rows(glue_context, database, table)) == [(1, "a", "d1"), (2, "b", "d2")]


@pytest.mark.parametrize(
    ("serde_params", "body"),
    [
        ({"serialization.format": "1"}, "1\x01a,b\n2\x01c\n"),  # '1' is the byte \x01, as Hive reads it
        ({}, "1\x01a,b\n2\x01c\n"),  # LazySimpleSerDe's default separator
        ({"field.delim": "9"}, "1\ta,b\n2\tc\n"),  # a number is a byte: 9 is a tab
    ],
)
def test_lazy_simple_separators_follow_hive_as_athena_does(
    serde_params: dict[str, str],
    body: str,
    glue_context: Any,
    database: str,
    make_table: Callable[..., str],
    put_object: Callable[..., str],
) -> None:
    prefix = f"hive-sep-{next(_names)}"
    put_object(f"{prefix}/data.txt", body)
    table = make_table(
        [("id", "int"), ("v", "string")], f"s3://runtime-tests/{prefix}/", serde_params=serde_params
    )
    assert sorted(rows(glue_context, database, table)) == [(1, "a,b"), (2, "c")]
