"""DynamicFrame and the Glue transforms, each on a small frame with the rows checked."""

from __future__ import annotations

from typing import Any

import pytest
from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms import (
    ApplyMapping,
    DropFields,
    DropNullFields,
    Filter,
    Join,
    RenameField,
    ResolveChoice,
    SelectFields,
)


@pytest.fixture()
def people(spark: Any, glue_context: Any) -> DynamicFrame:
    df = spark.createDataFrame(
        [
            ("1", "Ann", " 12 ", "true", None, ("x", 1)),
            ("2", "Bob", "abc", "no", None, ("y", 2)),
            ("3", None, "12.7", "1", None, ("z", 3)),
        ],
        "id string, Name string, score string, ok string, empty string, info struct<tag:string,n:int>",
    )
    return DynamicFrame.fromDF(df, glue_context, "people")


def collect(frame: DynamicFrame) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in frame.toDF().collect()), key=str)


def schema(frame: DynamicFrame) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in frame.schema().fields]


def test_apply_mapping_renames_casts_and_keeps_only_mapped_fields(people: DynamicFrame) -> None:
    mapped = ApplyMapping.apply(
        frame=people,
        mappings=[
            ("id", "string", "student_id", "long"),
            ("name", "string", "student_name", "string"),  # case-insensitive source, as in Glue
            ("score", "string", "score", "int"),
            ("ok", "string", "ok", "boolean"),
            ("info.tag", "string", "tag", "string"),
        ],
    )
    assert schema(mapped) == [
        ("student_id", "bigint"),
        ("student_name", "string"),
        ("score", "int"),
        ("ok", "boolean"),
        ("tag", "string"),
    ]
    # Spark 3.5 casts: ' 12 ' -> 12, '12.7' -> 12, 'abc' -> null; 'no' -> false, '1' -> true
    assert collect(mapped) == [
        (1, "Ann", 12, True, "x"),
        (2, "Bob", None, False, "y"),
        (3, None, 12, True, "z"),
    ]


def test_apply_mapping_casts_leniently_even_when_the_session_is_ansi(
    spark: Any, people: DynamicFrame
) -> None:
    spark.conf.set("spark.sql.ansi.enabled", "true")
    try:
        mapped = people.apply_mapping([("score", "string", "score", "int")])
        assert sorted(r[0] for r in mapped.toDF().collect() if r[0] is not None) == [12, 12]
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "false")


def test_apply_mapping_nests_dotted_targets_and_skips_missing_sources(people: DynamicFrame) -> None:
    mapped = people.apply_mapping(
        [
            ("id", "string", "key.id", "int"),
            ("Name", "string", "key.name", "string"),
            ("nope", "string", "x", "string"),
        ]
    )
    assert schema(mapped) == [("key", "struct<id:int,name:string>")]
    assert collect(mapped)[0][0].asDict() == {"id": 1, "name": "Ann"}


def test_apply_mapping_rejects_a_malformed_mapping(people: DynamicFrame) -> None:
    with pytest.raises(ValueError, match="source, source_type, target, target_type"):
        people.apply_mapping([("id", "int")])


def test_resolve_choice_casts_by_spec(people: DynamicFrame) -> None:
    resolved = ResolveChoice.apply(frame=people, specs=[("score", "cast:double"), ("id", "project:int")])
    assert ("score", "double") in schema(resolved) and ("id", "int") in schema(resolved)
    assert sorted(r["score"] for r in resolved.toDF().collect() if r["score"] is not None) == [12.0, 12.7]
    assert (
        ResolveChoice.apply(frame=people, specs=[("score", "make_cols")]).toDF().columns
        == people.toDF().columns
    )


def test_resolve_choice_match_catalog_uses_the_table_types(people: DynamicFrame, aws: Any) -> None:
    glue = aws("glue")
    glue.create_database(DatabaseInput={"Name": "runtime_choice"})
    glue.create_table(
        DatabaseName="runtime_choice",
        TableInput={
            "Name": "people",
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "score", "Type": "double"}]
            },
        },
    )
    resolved = people.resolveChoice(choice="match_catalog", database="runtime_choice", table_name="people")
    assert ("id", "bigint") in schema(resolved) and ("score", "double") in schema(resolved)
    assert ("Name", "string") in schema(resolved)


def test_drop_null_fields_drops_fields_null_in_every_record(people: DynamicFrame) -> None:
    assert "empty" not in DropNullFields.apply(frame=people).toDF().columns
    assert "Name" in DropNullFields.apply(frame=people).toDF().columns


def test_filter_keeps_records_for_which_the_function_is_true(people: DynamicFrame) -> None:
    kept = Filter.apply(frame=people, f=lambda rec: rec["info"]["n"] >= 2 and rec["Name"] is not None)
    assert [r["id"] for r in kept.toDF().collect()] == ["2"]


def test_join_matches_keys_and_keeps_both_sides(spark: Any, glue_context: Any, people: DynamicFrame) -> None:
    scores = DynamicFrame.fromDF(
        spark.createDataFrame([("1", 90), ("3", 70), ("9", 10)], "student_id string, exam int"), glue_context
    )
    joined = Join.apply(
        frame1=people.select_fields(["id", "Name"]), frame2=scores, keys1="id", keys2="student_id"
    )
    assert collect(joined) == [("1", "Ann", "1", 90), ("3", None, "3", 70)]
    same_key = DynamicFrame.fromDF(
        spark.createDataFrame([("2", "b")], "id string, grade string"), glue_context
    )
    assert collect(people.select_fields(["id"]).join(["id"], ["id"], same_key)) == [("2", "b")]
    # a field both frames have appears once, with frame2's value where it has one (the legislators
    # walk-through joins orgs and persons, which both have `links` and `image`)
    names = DynamicFrame.fromDF(
        spark.createDataFrame([("1", None), ("2", "Bo")], "id string, Name string"), glue_context
    )
    merged = people.select_fields(["id", "Name"]).join(["id"], ["id"], names)
    assert collect(merged) == [("1", "Ann"), ("2", "Bo")]


def test_select_drop_and_rename_fields_top_level_and_nested(people: DynamicFrame) -> None:
    assert SelectFields.apply(frame=people, paths=["id", "info.n"]).toDF().columns == ["id", "info"]
    dropped = DropFields.apply(frame=people, paths=["score", "info.tag"])
    assert ("info", "struct<n:int>") in schema(dropped) and "score" not in dropped.toDF().columns
    renamed = RenameField.apply(frame=people, old_name="Name", new_name="full_name")
    assert "full_name" in renamed.toDF().columns and "Name" not in renamed.toDF().columns
    nested = people.rename_field("info.tag", "info.label")
    assert ("info", "struct<n:int,label:string>") in schema(nested)
    # records are self-describing: renaming a field no record has renames nothing (Glue does the same)
    assert people.rename_field("nope", "x").toDF().columns == people.toDF().columns


def test_frame_basics(people: DynamicFrame, spark: Any, glue_context: Any) -> None:
    assert people.count() == 3
    assert people.errorsCount() == 0
    assert people.toDF().count() == 3
    assert people.repartition(2).getNumPartitions() == 2
    assert people.coalesce(1).getNumPartitions() == 1
    flat = people.unnest()
    assert "info.tag" in flat.toDF().columns
    people.printSchema()
    people.show(1)
