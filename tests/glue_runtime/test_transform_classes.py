"""Every transform class of the PySpark transforms reference, and DynamicFrameCollection.

Reference: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms.html and
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame-collection.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from awsglue.collection import DynamicFrameCollection
from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms import (
    DropFields,
    ErrorsAsDynamicFrame,
    FlatMap,
    GlueTransform,
    Map,
    MapToCollection,
    Relationalize,
    SelectFields,
    SelectFromCollection,
    SimplifyDDBJson,
    Spigot,
    SplitFields,
    SplitRows,
    Unbox,
    UnnestDDBJson,
    UnnestFrame,
)


@pytest.fixture()
def people(spark: Any, glue_context: Any) -> DynamicFrame:
    df = spark.createDataFrame(
        [(1, 15, "a", ("x", ["t"])), (2, 30, "b", ("y", []))],
        "id int, age int, name string, info struct<tag:string,labels:array<string>>",
    )
    return DynamicFrame.fromDF(df, glue_context, "people")


def test_split_fields_and_select_from_collection(people: DynamicFrame) -> None:
    dfc = SplitFields.apply(frame=people, paths=["id", "name"], name1="ids", name2="rest")
    assert SelectFromCollection.apply(dfc=dfc, key="ids").toDF().columns == ["id", "name"]
    assert SelectFromCollection.apply(dfc=dfc, key="rest").toDF().columns == ["age", "info"]
    with pytest.raises(KeyError, match="keys are"):
        dfc.select("nope")


def test_split_rows(people: DynamicFrame) -> None:
    dfc = SplitRows.apply(frame=people, comparison_dict={"age": {">": 10, "<": 20}})
    assert dfc.keys() == ["frame1", "frame2"]
    assert [r["id"] for r in dfc.select("frame1").toDF().collect()] == [1]


def test_map_and_errors_as_dynamic_frame(people: DynamicFrame) -> None:
    def shout(rec: dict[str, Any]) -> dict[str, Any]:
        if rec["id"] == 2:
            raise ValueError("no")
        rec["name"] = rec["name"].upper()
        return rec

    mapped = Map.apply(frame=people, f=shout, transformation_ctx="shout")
    assert [r["name"] for r in mapped.toDF().collect()] == ["A"]
    errors = ErrorsAsDynamicFrame.apply(mapped)
    (error,) = [r["error"] for r in errors.toDF().collect()]
    assert error["stage"] == "shout" and "ValueError: no" in error["message"]


def test_relationalize_transform_default_root_name(people: DynamicFrame) -> None:
    dfc = Relationalize.apply(frame=people, staging_path="s3://runtime-tests/tmp/")
    assert dfc.keys() == ["roottable", "roottable_info.labels"]


def test_unnest_frame_and_unbox(spark: Any, glue_context: Any, people: DynamicFrame) -> None:
    assert UnnestFrame.apply(frame=people).toDF().columns == ["id", "age", "name", "info.tag", "info.labels"]
    boxed = DynamicFrame.fromDF(spark.createDataFrame([('{"a": 1}',)], "j string"), glue_context, "b")
    assert Unbox.apply(frame=boxed, path="j", format="json").toDF().first()["j"]["a"] == 1


def test_unnest_and_simplify_ddb_json(spark: Any, glue_context: Any) -> None:
    df = spark.read.json(spark.sparkContext.parallelize(['{"Item": {"k": {"S": "v"}, "n": {"N": "2"}}}']))
    frame = DynamicFrame.fromDF(df, glue_context, "ddb")
    assert UnnestDDBJson.apply(frame=frame).toDF().first().asDict() == {"k": "v", "n": 2}
    assert SimplifyDDBJson.apply(frame=frame).toDF().first()["Item"].asDict() == {"k": "v", "n": 2}


def test_spigot_transform(people: DynamicFrame, s3_root: Any, bucket: str) -> None:
    assert Spigot.apply(frame=people, path=f"s3://{bucket}/spigot-t/", options={"topk": 1}) is people
    lines = [
        json.loads(x) for p in (s3_root / bucket / "spigot-t").iterdir() for x in p.read_text().splitlines()
    ]
    assert len(lines) == 1


def test_map_to_collection_and_flat_map(people: DynamicFrame, glue_context: Any) -> None:
    dfc = DynamicFrameCollection({"a": people, "b": people.select_fields(["id", "age"])}, glue_context)
    dropped = MapToCollection.apply(
        dfc=dfc, callable=lambda frame, ctx: DropFields.apply(frame=frame, paths=["age"])
    )
    assert dropped.keys() == ["a", "b"] and dropped.select("b").toDF().columns == ["id"]
    selected = FlatMap.apply(dfc=dfc, BaseTransform=SelectFields, frame_name="frame", paths=["id"])
    assert [selected.select(k).toDF().columns for k in selected] == [["id"], ["id"]]
    split = FlatMap.apply(
        dfc=DynamicFrameCollection({"a": people}, glue_context),
        BaseTransform=SplitRows,
        frame_name="frame",
        comparison_dict={"age": {">": 20}},
        name1="old",
        name2="young",
    )
    assert split.keys() == ["old", "young"]  # collections returned by the transform are flattened


def test_describe_comes_from_the_signature() -> None:
    described = SplitRows.describe()
    assert described["transform"]["name"] == "SplitRows"
    names = [a["name"] for a in SplitRows.describeArgs()]
    assert names[:4] == ["frame", "comparison_dict", "name1", "name2"]
    assert SplitRows.describeReturn()["type"] == "DynamicFrameCollection"
    assert issubclass(SplitRows, GlueTransform) and SplitRows.name() == "SplitRows"
