"""The plain-file tree is the truth: files written by other tools, Spark leftovers, folder markers,
keys a file tree cannot hold, and everything surviving a restart."""

from __future__ import annotations

import hashlib
import os
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def listed(s3, bucket, **kwargs):
    page = s3.list_objects_v2(Bucket=bucket, **kwargs)
    return [c["Key"] for c in page.get("Contents", [])], [p["Prefix"] for p in page.get("CommonPrefixes", [])]


def test_a_file_written_into_the_tree_is_an_object(s3, bucket, tree):
    data = b"written by duckdb\n" * 1000
    target = tree / bucket / "curated" / "part-0.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    page = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(c["Key"], c["Size"], c["ETag"]) for c in page] == [
        ("curated/part-0.csv", len(data), f'"{hashlib.md5(data).hexdigest()}"')
    ]
    got = s3.get_object(Bucket=bucket, Key="curated/part-0.csv")
    assert got["Body"].read() == data
    assert got["ContentType"] == "binary/octet-stream"


def test_a_file_rewritten_behind_our_back_drops_stale_metadata(s3, bucket, tree):
    s3.put_object(Bucket=bucket, Key="t.csv", Body=b"aaaa", ContentType="text/csv", Metadata={"v": "1"})
    path = tree / bucket / "t.csv"
    before = path.stat().st_mtime_ns
    path.write_bytes(b"bbbb")  # same size: only the mtime tells
    os.utime(path, ns=(before + 10_000_000, before + 10_000_000))
    head = s3.head_object(Bucket=bucket, Key="t.csv")
    assert head["ETag"] == f'"{hashlib.md5(b"bbbb").hexdigest()}"'
    assert head["ContentType"] == "binary/octet-stream" and head["Metadata"] == {}
    assert s3.get_object(Bucket=bucket, Key="t.csv")["Body"].read() == b"bbbb"


def test_spark_leftovers_are_hidden(s3, bucket, tree):
    out = tree / bucket / "out"
    files = {
        "part-00000.parquet": b"real",
        ".part-00000.parquet.crc": b"crc",
        "_temporary/0/_temporary/attempt_1/part-00001.parquet": b"half",
        ".spark-staging-1234/year=2024/part-9.parquet": b"staged",
        ".awstwin-tmp-abc": b"partial upload",
    }
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (tree / bucket / "only-temp" / "_temporary" / "0").mkdir(parents=True)
    (tree / bucket / "only-temp" / "_temporary" / "0" / "f").write_bytes(b"x")
    assert listed(s3, bucket) == (["out/part-00000.parquet"], [])
    assert listed(s3, bucket, Delimiter="/") == ([], ["out/"])  # only-temp/ holds nothing visible
    assert listed(s3, bucket, Prefix="out/", Delimiter="/") == (["out/part-00000.parquet"], [])
    for hidden in [".part-00000.parquet.crc", "_temporary/0/_temporary/attempt_1/part-00001.parquet"]:
        with pytest.raises(ClientError) as caught:
            s3.get_object(Bucket=bucket, Key=f"out/{hidden}")
        assert error(caught)[0] == "NoSuchKey"
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="out/x.crc", Body=b"1")
    assert error(caught)[0] == "InvalidArgument" and "Spark" in error(caught)[2]


def test_folder_object_clash_is_refused_and_nothing_is_lost(s3, bucket, tree):
    s3.put_object(Bucket=bucket, Key="a/b", Body=b"file b")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="a/b/c", Body=b"c")
    code, status, message = error(caught)
    assert (code, status) == ("KeyConflictsWithFolder", 409)
    assert "'a/b'" in message and "a/b/c" in message
    s3.put_object(Bucket=bucket, Key="x/y/z", Body=b"deep")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="x/y", Body=b"would hide z")
    code, status, message = error(caught)
    assert status == 409 and "'x/y/z'" in message
    with pytest.raises(ClientError):
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "a/b"})
    assert s3.get_object(Bucket=bucket, Key="a/b")["Body"].read() == b"file b"
    assert s3.get_object(Bucket=bucket, Key="x/y/z")["Body"].read() == b"deep"
    assert listed(s3, bucket)[0] == ["a/b", "x/y/z"]
    assert not [p for p in (tree / bucket).rglob("*") if p.name.startswith(".awstwin-tmp-")]
    # Once the other key is gone, the name is free again.
    s3.delete_object(Bucket=bucket, Key="x/y/z")
    s3.put_object(Bucket=bucket, Key="x/y", Body=b"now fine")
    assert s3.get_object(Bucket=bucket, Key="x/y")["Body"].read() == b"now fine"


def test_folder_markers(s3, bucket, tree):
    s3.put_object(Bucket=bucket, Key="reports/", Body=b"")
    assert (tree / bucket / "reports").is_dir()
    assert listed(s3, bucket) == (["reports/"], [])
    assert listed(s3, bucket, Delimiter="/") == ([], ["reports/"])
    assert listed(s3, bucket, Prefix="reports/", Delimiter="/") == (["reports/"], [])
    assert s3.head_object(Bucket=bucket, Key="reports/")["ContentLength"] == 0
    s3.put_object(Bucket=bucket, Key="reports/q1.csv", Body=b"q1")
    assert listed(s3, bucket)[0] == ["reports/", "reports/q1.csv"]
    s3.delete_object(Bucket=bucket, Key="reports/")
    assert listed(s3, bucket)[0] == ["reports/q1.csv"]
    s3.put_object(Bucket=bucket, Key="empty/", Body=b"")
    s3.delete_object(Bucket=bucket, Key="empty/")
    assert not (tree / bucket / "empty").exists()
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="withbytes/", Body=b"data")
    assert error(caught)[0] == "InvalidArgument" and "folder marker" in error(caught)[2]
    s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="plain/", Body=b"")
    assert error(caught)[1] == 409


@pytest.mark.parametrize("key", ["a//b", "a/./b", "a/../b", "/lead", ".awstwin-meta-x"])
def test_keys_a_file_tree_cannot_hold_are_refused_by_name(s3, bucket, key):
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    code, status, message = error(caught)
    assert (code, status) == ("InvalidArgument", 400)
    assert repr(key) in message


def test_failed_upload_leaves_no_trace(s3, bucket, tree):
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="bad/md5", Body=b"abc", ContentMD5="AAAAAAAAAAAAAAAAAAAAAA==")
    assert list((tree / bucket).rglob("*")) == []  # not even the folder made for it


def test_objects_and_settings_survive_a_restart(tmp_path):
    def client(server):
        return boto3.client(
            "s3",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    first = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)).start()
    try:
        s3 = client(first)
        s3.create_bucket(Bucket="keep", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(
            Bucket="keep", Key="d/x.json", Body=b"{}", ContentType="application/json", Metadata={"m": "1"}
        )
        s3.put_object_tagging(Bucket="keep", Key="d/x.json", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        s3.put_object(Bucket="keep", Key="folder/", Body=b"")
        s3.put_bucket_tagging(Bucket="keep", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
        s3.put_bucket_versioning(Bucket="keep", VersioningConfiguration={"Status": "Enabled"})
        upload = s3.create_multipart_upload(Bucket="keep", Key="pending.bin")["UploadId"]
        s3.upload_part(Bucket="keep", Key="pending.bin", UploadId=upload, PartNumber=1, Body=b"part one")
        etag = s3.head_object(Bucket="keep", Key="d/x.json")["ETag"]
    finally:
        first.stop()
    second = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)).start()
    try:
        s3 = client(second)
        head = s3.head_object(Bucket="keep", Key="d/x.json")
        assert (head["ETag"], head["ContentType"], head["Metadata"]) == (etag, "application/json", {"m": "1"})
        assert s3.get_object_tagging(Bucket="keep", Key="d/x.json")["TagSet"] == [{"Key": "k", "Value": "v"}]
        assert [c["Key"] for c in s3.list_objects_v2(Bucket="keep")["Contents"]] == ["d/x.json", "folder/"]
        assert s3.get_bucket_location(Bucket="keep")["LocationConstraint"] == "eu-west-1"
        assert s3.get_bucket_tagging(Bucket="keep")["TagSet"] == [{"Key": "team", "Value": "data"}]
        assert s3.get_bucket_versioning(Bucket="keep")["Status"] == "Enabled"
        parts = s3.list_parts(Bucket="keep", Key="pending.bin", UploadId=upload)["Parts"]
        s3.complete_multipart_upload(
            Bucket="keep",
            Key="pending.bin",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": parts[0]["ETag"]}]},
        )
        assert s3.get_object(Bucket="keep", Key="pending.bin")["Body"].read() == b"part one"
    finally:
        second.stop()


def test_listing_sees_files_appear_without_any_cache(s3, bucket, tree):
    s3.put_object(Bucket=bucket, Key="n/1", Body=b"1")
    assert listed(s3, bucket)[0] == ["n/1"]
    (tree / bucket / "n" / "2").write_bytes(b"22")
    time.sleep(0.01)
    assert listed(s3, bucket)[0] == ["n/1", "n/2"]
    (tree / bucket / "n" / "1").unlink()
    assert listed(s3, bucket)[0] == ["n/2"]


def test_racing_a_file_and_a_folder_of_the_same_name(aws, bucket, tree):
    """Uploads that race for `r` (file) and `r/x` (folder) end with one winner and 409s, never a 500."""
    from concurrent.futures import ThreadPoolExecutor

    clients = [aws("s3") for _ in range(4)]

    def put(i: int) -> str:
        key = "r" if i % 2 else "r/x"
        try:
            clients[i % 4].put_object(Bucket=bucket, Key=key, Body=f"{key} {i}".encode() * 1000)
            return "ok"
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(put, range(40)))
    assert set(outcomes) <= {"ok", "KeyConflictsWithFolder"}, outcomes
    keys = listed(clients[0], bucket)[0]
    assert keys in (["r"], ["r/x"])
    body = clients[0].get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert body.startswith(keys[0].encode() + b" ")
    assert not [p for p in (tree / bucket).rglob("*") if p.name.startswith(".awstwin-tmp-")]


def test_duckdb_writes_partitioned_parquet_straight_into_the_tree(s3, bucket, tree):
    import io

    import duckdb
    import pyarrow.parquet as pq

    out = tree / bucket / "curated" / "scores"
    out.parent.mkdir()
    query = "SELECT i AS id, i % 3 AS grp FROM range(30) t(i)"
    duckdb.sql(f"COPY ({query}) TO '{out}' (FORMAT parquet, PARTITION_BY (grp))")
    keys, prefixes = listed(s3, bucket, Prefix="curated/scores/", Delimiter="/")
    assert prefixes == ["curated/scores/grp=0/", "curated/scores/grp=1/", "curated/scores/grp=2/"]
    files = listed(s3, bucket, Prefix="curated/scores/")[0]
    assert len(files) == 3 and all(k.endswith(".parquet") for k in files)
    rows = 0
    for key in files:
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        rows += table.num_rows
    assert rows == 30
