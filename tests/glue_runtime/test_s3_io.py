"""from_options reads and writes on S3, plain Spark on s3:// paths, and S3 that is not local files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from awsglue._local import s3paths
from awsglue.dynamicframe import DynamicFrame

from awstwin.endpoint.s3access import ClientS3Access, TreeS3Access


def keys(aws: Callable[[str], Any], bucket: str, prefix: str) -> list[str]:
    listing = aws("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_csv_from_options_with_and_without_header(glue_context: Any, put_object: Callable[..., str]) -> None:
    put_object("opts/csv/a.csv", 'k;v\n1;"x;y"\n')
    put_object("opts/csv/sub/b.csv", "k;v\n2;z\n")
    read = glue_context.create_dynamic_frame.from_options
    with_header = read(
        "s3",
        {"paths": ["s3://runtime-tests/opts/csv/"], "recurse": True},
        format="csv",
        format_options={"withHeader": True, "separator": ";"},
    )
    assert sorted(tuple(r) for r in with_header.toDF().collect()) == [("1", "x;y"), ("2", "z")]
    top_only = read(
        "s3", {"paths": ["s3://runtime-tests/opts/csv/"]}, format="csv", format_options={"separator": ";"}
    )
    assert top_only.toDF().columns == ["col0", "col1"]
    assert sorted(tuple(r) for r in top_only.toDF().collect()) == [("1", "x;y"), ("k", "v")]


def test_an_empty_prefix_reads_as_an_empty_frame(glue_context: Any, bucket: str) -> None:
    frame = glue_context.create_dynamic_frame.from_options(
        "s3", {"paths": [f"s3://{bucket}/opts/nothing/"]}, format="json"
    )
    assert frame.count() == 0


def test_a_missing_bucket_is_named(glue_context: Any) -> None:
    with pytest.raises(s3paths.S3PathError, match="no-such-bucket"):
        glue_context.create_dynamic_frame.from_options(
            "s3", {"paths": ["s3://no-such-bucket/x/"]}, format="csv"
        )


@pytest.mark.parametrize("fmt", ["parquet", "json", "csv"])
def test_write_then_read_back_with_partition_keys(
    fmt: str, spark: Any, glue_context: Any, aws: Callable[[str], Any], bucket: str
) -> None:
    frame = DynamicFrame.fromDF(
        spark.createDataFrame([("a", 1), ("b", 2), ("a", 3)], "grp string, n int"), glue_context, "w"
    )
    path = f"s3://{bucket}/opts/out-{fmt}/"
    for _ in range(2):  # Glue's S3 writer adds files; it never replaces what is there
        glue_context.write_dynamic_frame.from_options(
            frame=frame,
            connection_type="s3",
            connection_options={"path": path, "partitionKeys": ["grp"]},
            format=fmt,
        )
    written = keys(aws, bucket, f"opts/out-{fmt}/")
    assert written and all(
        k.startswith((f"opts/out-{fmt}/grp=a/", f"opts/out-{fmt}/grp=b/")) for k in written
    )
    assert not any("_SUCCESS" in k or "_temporary" in k or k.endswith(".crc") for k in written)
    options = {"withHeader": True} if fmt == "csv" else {}
    back = glue_context.create_dynamic_frame.from_options(
        "s3", {"paths": [f"{path}grp=a/"], "recurse": True}, format=fmt, format_options=options
    )
    assert sorted(int(r["n"]) for r in back.toDF().collect()) == [1, 1, 3, 3]


def test_plain_spark_reads_and_writes_s3_paths(
    spark: Any, put_object: Callable[..., str], aws: Callable[[str], Any], bucket: str
) -> None:
    put_object("plain/in/day=1/a.csv", "x,y\n1,2\n")
    put_object("plain/in/day=2/b.csv", "x,y\n3,4\n")
    df = spark.read.option("header", True).csv(f"s3://{bucket}/plain/in/")
    assert sorted((r["x"], r["day"]) for r in df.collect()) == [("1", 1), ("3", 2)]
    assert spark.read.option("header", True).csv(f"s3a://{bucket}/plain/in/*/*.csv").count() == 2
    df.write.mode("overwrite").partitionBy("day").parquet(f"s3://{bucket}/plain/out/")
    written = keys(aws, bucket, "plain/out/")
    assert {k.split("/")[2] for k in written} == {"day=1", "day=2"}
    body = aws("s3").get_object(Bucket=bucket, Key=written[0])["Body"].read()
    assert body[:4] == b"PAR1"


@pytest.fixture()
def client_s3(aws: Callable[[str], Any], s3_root: Path, tmp_path: Path) -> Iterator[None]:
    """The runtime reaching S3 through boto3 (as against LocalStack), not through local files."""
    s3paths.use(ClientS3Access(aws("s3"), cache_dir=tmp_path / "cache"))
    yield
    s3paths.use(TreeS3Access(s3_root))


def test_runtime_io_stages_through_boto3_when_s3_is_not_local(
    client_s3: None, spark: Any, glue_context: Any, aws: Callable[[str], Any], bucket: str
) -> None:
    aws("s3").put_object(Bucket=bucket, Key="staged/in/a.json", Body=b'{"n": 1}\n{"n": 2}\n')
    frame = glue_context.create_dynamic_frame.from_options(
        "s3", {"paths": [f"s3://{bucket}/staged/in/"]}, format="json"
    )
    assert sorted(r["n"] for r in frame.toDF().collect()) == [1, 2]
    glue_context.write_dynamic_frame.from_options(
        frame=frame,
        connection_type="s3",
        connection_options={"path": f"s3://{bucket}/staged/out/"},
        format="parquet",
    )
    written = keys(aws, bucket, "staged/out/")
    assert written and all(k.endswith(".parquet") for k in written)


def test_purge_s3_path_removes_old_objects(
    glue_context: Any, put_object: Callable[..., str], aws: Any, bucket: str
) -> None:
    put_object("purge/a.txt", "a")
    put_object("purge/b/c.txt", "c")
    glue_context.purge_s3_path(f"s3://{bucket}/purge/", {"retentionPeriod": 1})
    assert keys(aws, bucket, "purge/") == ["purge/a.txt", "purge/b/c.txt"]
    glue_context.purge_s3_path(f"s3://{bucket}/purge/", {"retentionPeriod": 0})
    assert keys(aws, bucket, "purge/") == []
