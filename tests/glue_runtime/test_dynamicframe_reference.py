"""DynamicFrame, method by method, against the AWS Glue PySpark reference and its examples.

Reference: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html
Examples re-created from the reference's text and from AWS's walk-throughs (legislators, medicare).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from awsglue.collection import DynamicFrameCollection
from awsglue.dynamicframe import DynamicFrame, ErrorThresholdExceeded

LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"


def frame_of(spark: Any, glue_context: Any, rows: list[Any], schema: str, name: str = "f") -> DynamicFrame:
    return DynamicFrame.fromDF(spark.createDataFrame(rows, schema), glue_context, name)


def rows_of(frame: DynamicFrame) -> list[dict[str, Any]]:
    return sorted(
        (r.asDict(recursive=True) for r in frame.toDF().collect()), key=lambda r: json.dumps(r, default=str)
    )


@pytest.fixture(scope="module")
def medicare(aws: Callable[[str], Any], glue_context: Any, s3_root: Any, bucket: str) -> DynamicFrame:
    """AWS's medicare sample in small: `provider id` is a bigint in the catalog (the crawler sampled
    only numbers) but two records hold text, so the DynamicFrame reads it as choice<long,string>."""
    body = (
        "DRG Definition,Provider Id,Provider Name,Provider City,Provider State,Provider Zip Code,"
        "Average Covered Charges\n"
        "039 - EXTRACRANIAL PROCEDURES,10001,SOUTHEAST ALABAMA MEDICAL CENTER,DOTHAN,AL,36301,$32963.07\n"
        "039 - EXTRACRANIAL PROCEDURES,10005,MARSHALL MEDICAL CENTER SOUTH,BOAZ,AL,35957,$15131.85\n"
        "948 - SIGNS & SYMPTOMS,ABCDE,FAKE HOSPITAL,MONTGOMERY,AL,36116,$12000.00\n"
        "948 - SIGNS & SYMPTOMS,BCD,ANOTHER FAKE,MONTGOMERY,AL,36116,$11000.00\n"
    )
    folder = s3_root / bucket / "medicare"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "medicare.csv").write_text(body)
    glue = aws("glue")
    glue.create_database(DatabaseInput={"Name": "payments_ref"})
    columns = [
        ("drg definition", "string"),
        ("provider id", "bigint"),
        ("provider name", "string"),
        ("provider city", "string"),
        ("provider state", "string"),
        ("provider zip code", "bigint"),
        ("average covered charges", "string"),
    ]
    glue.create_table(
        DatabaseName="payments_ref",
        TableInput={
            "Name": "medicare",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Location": f"s3://{bucket}/medicare/",
                "Columns": [{"Name": n, "Type": t} for n, t in columns],
                "SerdeInfo": {"SerializationLibrary": LAZY, "Parameters": {"field.delim": ","}},
            },
        },
    )
    return glue_context.create_dynamic_frame.from_catalog(database="payments_ref", table_name="medicare")


# -- construction and information ---------------------------------------------------------------
def test_fromDF_and_toDF_round_trip(spark: Any, glue_context: Any) -> None:
    df = spark.createDataFrame([(1, "a")], "id int, v string")
    frame = DynamicFrame.fromDF(df, glue_context, "rt")
    assert frame.name == "rt" and frame.toDF().collect() == df.collect()


def test_count_schema_and_printSchema_in_glue_names(
    spark: Any, glue_context: Any, medicare: DynamicFrame, capsys: Any
) -> None:
    assert medicare.count() == 4
    medicare.printSchema()
    printed = capsys.readouterr().out
    # Glue's tree: `long` not `bigint`, a choice listed with its member types
    assert "|-- provider id: choice\n|    |-- long\n|    |-- string\n" in printed
    assert "|-- provider zip code: long\n" in printed
    nested = frame_of(spark, glue_context, [([("n", "u")],)], "links array<struct<note:string,url:string>>")
    nested.printSchema()
    assert capsys.readouterr().out == (
        "root\n|-- links: array\n|    |-- element: struct\n"
        "|    |    |-- note: string\n|    |    |-- url: string\n"
    )
    assert medicare.schema()["provider id"].dataType.simpleString() == "struct<long:bigint,string:string>"


def test_show_prints_records_as_json(spark: Any, glue_context: Any, capsys: Any) -> None:
    frame_of(spark, glue_context, [(1, "a"), (2, "b")], "id int, v string").show(1)
    assert json.loads(capsys.readouterr().out.strip()) in ({"id": 1, "v": "a"}, {"id": 2, "v": "b"})


def test_repartition_coalesce_and_getNumPartitions(spark: Any, glue_context: Any) -> None:
    frame = frame_of(spark, glue_context, [(i,) for i in range(10)], "i int")
    assert frame.repartition(3).getNumPartitions() == 3
    assert frame.repartition(3).coalesce(1).getNumPartitions() == 1


# -- choice types and resolveChoice ---------------------------------------------------------------
def test_resolveChoice_cast_medicare_sample(medicare: DynamicFrame) -> None:
    # data_cleaning_and_lambda.py: cast choices into longs; values that cannot cast become null
    resolved = medicare.resolveChoice(specs=[("provider id", "cast:long")])
    assert resolved.schema()["provider id"].dataType.simpleString() == "bigint"
    ids = sorted(r["provider id"] for r in resolved.toDF().collect() if r["provider id"] is not None)
    assert ids == [10001, 10005]
    assert resolved.toDF().where("`provider id` is NULL").count() == 2


def test_resolveChoice_project_make_cols_and_make_struct(medicare: DynamicFrame) -> None:
    projected = medicare.resolveChoice(specs=[("provider id", "project:string")])
    assert sorted(r["provider id"] for r in projected.toDF().collect() if r["provider id"]) == [
        "ABCDE",
        "BCD",
    ]
    cols = medicare.resolveChoice(choice="make_cols")  # `df1 = df.resolveChoice(option="make_cols")`
    names = cols.toDF().columns
    assert "provider id_long" in names and "provider id_string" in names and "provider id" not in names
    assert names.index("provider id_long") == 1  # the new columns take the choice's place
    struct = medicare.resolveChoice(specs=[("provider id", "make_struct")])
    values = sorted(
        ((r["provider id"]["long"], r["provider id"]["string"]) for r in struct.toDF().collect()), key=str
    )
    assert values == [(10001, None), (10005, None), (None, "ABCDE"), (None, "BCD")]
    assert struct.resolveChoice(specs=[("provider id", "make_cols")]).toDF().columns == struct.toDF().columns
    with pytest.raises(ValueError, match="specs or choice"):
        medicare.resolveChoice(specs=[("provider id", "cast:long")], choice="make_cols")


def test_resolveChoice_match_catalog(medicare: DynamicFrame) -> None:
    resolved = medicare.resolveChoice(choice="match_catalog", database="payments_ref", table_name="medicare")
    assert resolved.schema()["provider id"].dataType.simpleString() == "bigint"


def test_apply_mapping_on_a_choice_casts_it(medicare: DynamicFrame) -> None:
    mapped = medicare.apply_mapping([("provider id", "long", "provider.id", "long")])
    assert sorted(r["provider"]["id"] for r in mapped.toDF().collect() if r["provider"]["id"]) == [
        10001,
        10005,
    ]


# -- records: map, filter, errors ----------------------------------------------------------------
def merge_address(rec: dict[str, Any]) -> dict[str, Any]:
    """The reference's Map example: fold the provider address fields into a struct."""
    rec["Address"] = {}
    rec["Address"]["City"] = rec["provider city"]
    rec["Address"]["State"] = rec["provider state"]
    rec["Address"]["Zip.Code"] = rec["provider zip code"]
    rec["Address"]["Array"] = [rec["provider city"], rec["provider state"]]
    del rec["provider city"]
    del rec["provider state"]
    del rec["provider zip code"]
    return rec


def test_map_reshapes_records_and_keeps_types(medicare: DynamicFrame) -> None:
    resolved = medicare.resolveChoice(specs=[("provider id", "cast:long")])
    mapped = resolved.map(f=merge_address)
    assert mapped.count() == 4 and mapped.errorsCount() == 0
    fields = {f.name: f.dataType.simpleString() for f in mapped.schema().fields}
    assert fields["provider id"] == "bigint"  # the input's type, not JSON's long guess alone
    assert fields["Address"].startswith("struct<") and "Zip.Code:bigint" in fields["Address"]
    assert "provider city" not in fields
    first = next(r for r in mapped.toDF().collect() if r["provider id"] == 10001)
    assert first["Address"]["City"] == "DOTHAN" and first["Address"]["Array"] == ["DOTHAN", "AL"]


def test_map_errors_become_error_records(spark: Any, glue_context: Any) -> None:
    frame = frame_of(spark, glue_context, [(1,), (0,), (4,)], "n int", "numbers")

    def invert(rec: dict[str, Any]) -> dict[str, Any]:
        rec["inverse"] = 1 / rec["n"]
        return rec

    mapped = frame.map(invert, transformation_ctx="invert")
    assert sorted(r["n"] for r in mapped.toDF().collect()) == [1, 4]
    assert mapped.stageErrorsCount() == 1 and mapped.errorsCount() == 1
    later = mapped.filter(lambda r: r["n"] > 1)
    assert later.stageErrorsCount() == 0 and later.errorsCount() == 1  # errors of earlier stages count
    (error,) = [r["error"] for r in later.errorsAsDynamicFrame().toDF().collect()]
    assert error["stage"] == "invert" and "ZeroDivisionError" in error["message"]
    assert json.loads(error["record"]) == {"n": 0}
    with pytest.raises(ErrorThresholdExceeded, match="stageThreshold"):
        frame.map(invert, stageThreshold=0.5)
    mapped.assertErrorThreshold()  # no thresholds given: never raises


def test_filter_keeps_matching_records(spark: Any, glue_context: Any) -> None:
    frame = frame_of(spark, glue_context, [("CA", 1), ("MT", 2), ("NY", 3)], "state string, n int")
    kept = frame.filter(f=lambda rec: rec["state"] in ("CA", "MT"))
    assert [r["n"] for r in rows_of(kept)] == [1, 2]
    assert kept.schema() == frame.schema()


# -- splitting, joining, merging -------------------------------------------------------------------
def test_split_rows_documented_age_example(spark: Any, glue_context: Any) -> None:
    people = frame_of(
        spark, glue_context, [(5, "a"), (11, "b"), (19, "c"), (20, "d"), (None, "e")], "age int, n string"
    )
    # {"age": {">": 10, "<": 20}} splits off the rows whose age is between 10 and 20, exclusive
    split = people.split_rows({"age": {">": 10, "<": 20}}, "teens", "others")
    assert isinstance(split, DynamicFrameCollection) and split.keys() == ["teens", "others"]
    assert sorted(r["n"] for r in rows_of(split.select("teens"))) == ["b", "c"]
    assert sorted(r["n"] for r in rows_of(split.select("others"))) == ["a", "d", "e"]


def test_split_fields(spark: Any, glue_context: Any) -> None:
    frame = frame_of(
        spark, glue_context, [(1, "a", ("x", 2))], "id int, v string, s struct<t:string,u:int>", "src"
    )
    split = frame.split_fields(["id", "s.t"], "keys", "rest")
    assert split.select("keys").toDF().columns == ["id", "s"]
    assert split.select("rest").schema().simpleString() == "struct<v:string,s:struct<u:int>>"
    assert frame.split_fields(["id"]).keys() == ["src1", "src2"]  # default names: the frame's + 1 / 2


def test_join_legislators_style(spark: Any, glue_context: Any) -> None:
    persons = frame_of(spark, glue_context, [("p1", "Mike"), ("p2", "Shelley")], "id string, name string")
    memberships = frame_of(
        spark,
        glue_context,
        [("p1", "o1"), ("p2", "o2"), ("p3", "o1")],
        "person_id string, organization_id string",
    )
    joined = persons.join(["id"], ["person_id"], memberships)
    assert rows_of(joined) == [
        {"id": "p1", "name": "Mike", "person_id": "p1", "organization_id": "o1"},
        {"id": "p2", "name": "Shelley", "person_id": "p2", "organization_id": "o2"},
    ]


def test_mergeDynamicFrame_documented_rules(spark: Any, glue_context: Any) -> None:
    source = frame_of(
        spark, glue_context, [(1, "old"), (2, "keep"), (2, "keep-dup"), (3, "old3")], "id int, v string"
    )
    stage = frame_of(
        spark,
        glue_context,
        [(1, "new", "x"), (3, "new3", "y"), (9, "only-stage", "z")],
        "id int, v string, w string",
    )
    merged = source.mergeDynamicFrame(
        stage, ["id"]
    )  # `merged_frame = source_frame.mergeDynamicFrame(stage_frame, ["id"])`
    # matched records come from the stage; unmatched ones (duplicates too) stay; stage-only ones are not added
    assert rows_of(merged) == [
        {"id": 1, "v": "new", "w": "x"},
        {"id": 2, "v": "keep", "w": None},
        {"id": 2, "v": "keep-dup", "w": None},
        {"id": 3, "v": "new3", "w": "y"},
    ]


def test_union(spark: Any, glue_context: Any) -> None:
    a = frame_of(spark, glue_context, [(1, "a")], "id int, v string")
    b = frame_of(spark, glue_context, [(2, True)], "id int, flag boolean")
    assert rows_of(a.union(b)) == [{"id": 1, "v": "a", "flag": None}, {"id": 2, "v": None, "flag": True}]


# -- fields ----------------------------------------------------------------------------------------
def test_rename_field_with_backticks_for_dotted_names(spark: Any, glue_context: Any) -> None:
    frame = frame_of(spark, glue_context, [(1,)], "`this.old.name` int")
    # `newDyF = oldDyF.rename_field("`this.old.name`", "thisNewName")`
    assert frame.rename_field("`this.old.name`", "thisNewName").toDF().columns == ["thisNewName"]


def test_select_and_drop_fields(spark: Any, glue_context: Any) -> None:
    frame = frame_of(spark, glue_context, [(1, "a", "b")], "id int, other_names string, identifiers string")
    assert frame.drop_fields(["other_names", "identifiers"]).toDF().columns == ["id"]
    assert frame.select_fields(["identifiers"]).toDF().columns == ["identifiers"]


def test_unnest(spark: Any, glue_context: Any) -> None:
    frame = frame_of(
        spark, glue_context, [(1, ("x", ("y",)))], "id int, a struct<b:string,c:struct<d:string>>"
    )
    assert frame.unnest().toDF().columns == ["id", "a.b", "a.c.d"]


def test_unbox_json_and_csv(spark: Any, glue_context: Any) -> None:
    frame = frame_of(
        spark, glue_context, [('{"city": "Boaz", "zip": 35957}', "a|b|c")], "address string, raw string"
    )
    unboxed = frame.unbox("address", "json")
    assert unboxed.schema()["address"].dataType.simpleString() == "struct<city:string,zip:bigint>"
    # `unbox("a.b.c", "csv", separator="|")`
    csv = frame.unbox("raw", "csv", separator="|")
    assert csv.toDF().first()["raw"].asDict() == {"col0": "a", "col1": "b", "col2": "c"}


# -- relationalize -------------------------------------------------------------------------------
def test_relationalize_legislators_contact_details(spark: Any, glue_context: Any) -> None:
    history = frame_of(
        spark,
        glue_context,
        [
            ("f4fc30ee", "Mike", [("fax", ""), ("", "202-225-1314")], ("b", ["t1", "t2"])),
            ("e3c60f34", "Shelley", [("phone", "")], None),
            ("x", "Nobody", [], ("c", [])),
        ],
        "id string, given_name string, contact_details array<struct<type:string,value:string>>, "
        "meta struct<kind:string,tags:array<string>>",
    )
    dfc = history.relationalize("hist_root", "s3://runtime-tests/temp-dir/")
    assert dfc.keys() == ["hist_root", "hist_root_contact_details", "hist_root_meta.tags"]
    root = dfc.select("hist_root")
    assert root.toDF().columns == ["id", "given_name", "contact_details", "meta.kind", "meta.tags"]
    contacts = dfc.select("hist_root_contact_details")
    assert contacts.toDF().columns == ["id", "index", "contact_details.val.type", "contact_details.val.value"]
    mike_key = next(r["contact_details"] for r in root.toDF().collect() if r["given_name"] == "Mike")
    mike = sorted(
        (r["index"], r["contact_details.val.type"], r["contact_details.val.value"])
        for r in contacts.toDF().where(f"id = {mike_key}").collect()
    )
    assert mike == [(0, "fax", ""), (1, "", "202-225-1314")]
    assert contacts.count() == 3  # the empty array has a key but no rows
    tags = dfc.select("hist_root_meta.tags")
    assert tags.toDF().columns == ["id", "index", "meta.tags.val"] and tags.count() == 2
    assert next(r for r in root.toDF().collect() if r["given_name"] == "Shelley")["meta.tags"] is None


# -- DynamoDB JSON ---------------------------------------------------------------------------------
DDB_EXPORT = [
    '{"Item": {"id": {"S": "a1"}, "n": {"N": "5"}, "ok": {"BOOL": true}, '
    '"m": {"M": {"x": {"N": "1.5"}}}, "l": {"L": [{"S": "p"}, {"S": "q"}]}, "ss": {"SS": ["u", "v"]}}}',
    '{"Item": {"id": {"S": "a2"}, "n": {"N": "7"}, "ok": {"NULL": true}}}',
]


def test_unnest_ddb_json(spark: Any, glue_context: Any) -> None:
    df = spark.read.json(spark.sparkContext.parallelize(DDB_EXPORT))
    plain = DynamicFrame.fromDF(df, glue_context, "ddb").unnest_ddb_json()
    got = {r["id"]: r.asDict(recursive=True) for r in plain.toDF().collect()}
    assert got["a1"]["n"] == 5 and got["a1"]["ok"] is True and got["a1"]["m"] == {"x": 1.5}
    assert got["a1"]["l"] == ["p", "q"] and got["a1"]["ss"] == ["u", "v"]
    assert got["a2"]["ok"] is None and got["a2"]["l"] is None


def test_simplify_ddb_json_keeps_the_nesting(spark: Any, glue_context: Any) -> None:
    df = spark.read.json(spark.sparkContext.parallelize(DDB_EXPORT[:1]))
    simple = DynamicFrame.fromDF(df, glue_context, "ddb").simplify_ddb_json()
    item = simple.toDF().first()["Item"].asDict(recursive=True)
    assert item["id"] == "a1" and item["n"] == 5 and item["m"] == {"x": 1.5}


# -- output ----------------------------------------------------------------------------------------
def test_spigot_writes_a_sample_and_passes_the_frame_on(
    spark: Any, glue_context: Any, s3_root: Any, bucket: str
) -> None:
    frame = frame_of(spark, glue_context, [(i,) for i in range(50)], "i int")
    assert frame.spigot(f"s3://{bucket}/spigot/top/", {"topk": 10}) is frame
    written = [
        json.loads(line)
        for p in (s3_root / bucket / "spigot" / "top").iterdir()
        for line in p.read_text().splitlines()
    ]
    assert len(written) == 10
    frame.spigot(f"s3://{bucket}/spigot/prob/", {"prob": 0.0})
    lines = [
        line for p in (s3_root / bucket / "spigot" / "prob").iterdir() for line in p.read_text().splitlines()
    ]
    assert lines == []


def test_write_through_a_sink(spark: Any, glue_context: Any, s3_root: Any, bucket: str) -> None:
    frame = frame_of(spark, glue_context, [(1, "a")], "id int, v string")
    frame.write("s3", {"path": f"s3://{bucket}/dfwrite/"}, "json")
    written = [
        json.loads(line)
        for p in (s3_root / bucket / "dfwrite").iterdir()
        for line in p.read_text().splitlines()
    ]
    assert written == [{"id": 1, "v": "a"}]


# -- what is not there -----------------------------------------------------------------------------
def test_a_missing_member_names_itself_and_the_reference(spark: Any, glue_context: Any) -> None:
    frame = frame_of(spark, glue_context, [(1,)], "i int")
    with pytest.raises(
        NotImplementedError,
        match=r"DynamicFrame\.gs_now .*aws-glue-api-crawler-pyspark-extensions-dynamic-frame",
    ):
        frame.gs_now()
    assert not hasattr(frame, "gs_now")  # still an AttributeError for hasattr/getattr
    with pytest.raises(NotImplementedError, match="GlueContext.create_sample_dynamic_frame_from_catalog"):
        _ = glue_context.create_sample_dynamic_frame_from_catalog
    with pytest.raises(NotImplementedError, match="transforms.FindMatches"):
        from awsglue.transforms import FindMatches  # noqa: F401
