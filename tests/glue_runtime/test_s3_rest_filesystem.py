"""S3RestFileSystem (glue_runtime/java): Hadoop's FileSystem API over the S3 REST API of another S3
server, here the session's endpoint over HTTP (its S3 is not read as files). Called through the test
Spark session's JVM with a Configuration of its own; Spark's own reads and writes through it are in
tests/endpoint/glue/test_jobs_remote_s3.py (real job runs, also against LocalStack).

Semantics follow S3A's, as Hadoop documents them for object stores:
https://hadoop.apache.org/docs/stable/hadoop-aws/tools/hadoop-aws/index.html and
https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/filesystem/introduction.html
(directories are prefixes or markers, rename is copy + delete, output visible only on close)."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from py4j.protocol import Py4JJavaError

from awstwin.endpoint.glue.jobs import sparkconf

BUCKET = "s3rest-fs-tests"


@pytest.fixture(scope="module")
def hadoop(
    spark: Any, endpoint: Any, aws: Callable[[str], Any], tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """(jvm, conf): a Hadoop Configuration whose s3:// is S3RestFileSystem on the endpoint's URL."""
    aws("s3").create_bucket(Bucket=BUCKET)
    jvm = spark._jvm
    conf = jvm.org.apache.hadoop.conf.Configuration(spark._jsc.hadoopConfiguration())
    conf.set("fs.s3.impl", sparkconf.S3_REST_FILESYSTEM)
    conf.set("fs.s3.impl.disable.cache", "true")
    conf.set("fs.s3rest.endpoint", endpoint.url)
    conf.set("fs.s3rest.multipart.size", "5m")
    conf.set("fs.s3rest.staging.dir", str(tmp_path_factory.mktemp("s3rest-staging")))
    return jvm, conf


@pytest.fixture(scope="module")
def fs(hadoop: Any) -> Any:
    jvm, conf = hadoop
    return jvm.org.apache.hadoop.fs.FileSystem.get(jvm.java.net.URI.create(f"s3://{BUCKET}/"), conf)


def path(hadoop: Any, key: str) -> Any:
    return hadoop[0].org.apache.hadoop.fs.Path(f"s3://{BUCKET}/{key}")


def keys(aws: Callable[[str], Any], prefix: str) -> list[str]:
    listing = aws("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def java_error(call: Callable[[], Any]) -> str:
    with pytest.raises(Py4JJavaError) as caught:
        call()
    return str(caught.value.java_exception.getClass().getName())


def write(fs: Any, hadoop: Any, key: str, data: bytes, overwrite: bool = True) -> None:
    out = fs.create(path(hadoop, key), overwrite)
    out.write(bytearray(data))
    out.close()


def read_at(hadoop: Any, stream: Any, position: int, length: int) -> bytes:
    """seek, then read `length` bytes (py4j hands a byte[] back as bytes, so Java fills and returns it)."""
    stream.seek(position)
    data = bytes(hadoop[0].org.apache.commons.io.IOUtils.readFully(stream, length))
    assert stream.getPos() == position + length
    return data


def test_statuses_of_files_directories_and_missing_paths(fs: Any, hadoop: Any, aws: Any) -> None:
    s3 = aws("s3")
    s3.put_object(Bucket=BUCKET, Key="st/a.csv", Body=b"abc")
    s3.put_object(Bucket=BUCKET, Key="st/sub/b.csv", Body=b"defg")
    s3.put_object(Bucket=BUCKET, Key="st/empty/", Body=b"")  # a directory marker, as S3A makes
    status = fs.getFileStatus(path(hadoop, "st/a.csv"))
    assert status.isFile() and status.getLen() == 3 and status.getModificationTime() > 0
    assert str(status.getPath()) == f"s3://{BUCKET}/st/a.csv"
    assert fs.getFileStatus(path(hadoop, "st/sub")).isDirectory()  # implicit: objects under it
    assert fs.getFileStatus(path(hadoop, "st/empty")).isDirectory()  # its marker only
    assert fs.getFileStatus(path(hadoop, "")).isDirectory()  # the bucket's root
    assert java_error(lambda: fs.getFileStatus(path(hadoop, "st/nothing"))) == "java.io.FileNotFoundException"
    listed = {str(s.getPath()).rsplit("/", 1)[1]: s.isDirectory() for s in fs.listStatus(path(hadoop, "st"))}
    assert listed == {"a.csv": False, "sub": True, "empty": True}
    assert list(fs.listStatus(path(hadoop, "st/empty"))) == []
    assert [s.getLen() for s in fs.listStatus(path(hadoop, "st/a.csv"))] == [3]  # a file lists itself
    assert java_error(lambda: fs.listStatus(path(hadoop, "st/nothing"))) == "java.io.FileNotFoundException"


def test_glob_over_prefixes_and_many_pages(fs: Any, hadoop: Any, aws: Any) -> None:
    s3 = aws("s3")
    for day in ("2024-01-01", "2024-01-02", "2024-02-01"):
        s3.put_object(Bucket=BUCKET, Key=f"gl/ingest_date={day}/part.csv", Body=day.encode())
    for i in range(1005):  # more than one ListObjectsV2 page of 1000
        s3.put_object(Bucket=BUCKET, Key=f"many/k{i:04d}", Body=b"x")
    found = fs.globStatus(path(hadoop, "gl/ingest_date=2024-01-*/*.csv"))
    assert sorted(str(s.getPath()).split("/")[-2] for s in found) == [
        "ingest_date=2024-01-01",
        "ingest_date=2024-01-02",
    ]
    assert len(fs.listStatus(path(hadoop, "many"))) == 1005


def test_mkdirs_makes_a_marker_and_refuses_a_file_on_the_way(fs: Any, hadoop: Any, aws: Any) -> None:
    assert fs.mkdirs(path(hadoop, "mk/a/b"))
    assert keys(aws, "mk/") == ["mk/a/b/"]
    assert fs.mkdirs(path(hadoop, "mk/a/b"))  # again: nothing new
    assert keys(aws, "mk/") == ["mk/a/b/"]
    write(fs, hadoop, "mk/file", b"1")
    assert java_error(lambda: fs.mkdirs(path(hadoop, "mk/file/below"))).endswith("FileAlreadyExistsException")


def test_create_does_not_overwrite_when_asked_not_to(fs: Any, hadoop: Any, aws: Any) -> None:
    write(fs, hadoop, "cr/x.txt", b"first")
    error = java_error(lambda: write(fs, hadoop, "cr/x.txt", b"second", overwrite=False))
    assert error.endswith("FileAlreadyExistsException")
    write(fs, hadoop, "cr/x.txt", b"second")
    assert aws("s3").get_object(Bucket=BUCKET, Key="cr/x.txt")["Body"].read() == b"second"
    assert java_error(lambda: write(fs, hadoop, "cr", b"on a directory")).endswith(
        "FileAlreadyExistsException"
    )


def test_seek_and_positioned_reads_match_the_object(fs: Any, hadoop: Any, aws: Any) -> None:
    data = random.Random(7).randbytes(3 * 1024 * 1024 + 17)
    aws("s3").put_object(Bucket=BUCKET, Key="rd/blob.bin", Body=data)
    stream = fs.open(path(hadoop, "rd/blob.bin"))
    try:
        rng = random.Random(11)
        for _ in range(40):  # forward, backward, inside and across ranges
            start = rng.randrange(0, len(data) - 1)
            length = rng.choice([1, 8, 4096, 300_000, 1_500_000])
            length = min(length, len(data) - start)
            assert read_at(hadoop, stream, start, length) == data[start : start + length]
        stream.seek(len(data) - 8)
        assert read_at(hadoop, stream, len(data) - 8, 8) == data[-8:]  # a Parquet footer's read
        stream.seek(len(data))
        assert stream.read() == -1
        assert java_error(lambda: stream.seek(len(data) + 1)) == "java.io.EOFException"
    finally:
        stream.close()
    whole = hadoop[0].org.apache.commons.io.IOUtils.toByteArray(fs.open(path(hadoop, "rd/blob.bin")))
    assert hashlib.sha256(bytes(whole)).digest() == hashlib.sha256(data).digest()


def test_a_large_file_goes_up_in_parts_and_reads_back(fs: Any, hadoop: Any, aws: Any) -> None:
    """Above one part (5 MiB here) the upload is multipart: S3 gives such objects an ETag `"...-N"`
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html)."""
    data = random.Random(3).randbytes(12 * 1024 * 1024 + 5)
    write(fs, hadoop, "mp/big.bin", data)
    head = aws("s3").head_object(Bucket=BUCKET, Key="mp/big.bin")
    assert head["ContentLength"] == len(data) and head["ETag"].strip('"').endswith("-3")
    assert aws("s3").get_object(Bucket=BUCKET, Key="mp/big.bin")["Body"].read() == data
    write(fs, hadoop, "mp/small.bin", b"tiny")
    assert "-" not in aws("s3").head_object(Bucket=BUCKET, Key="mp/small.bin")["ETag"]


def test_delete_files_and_directories(fs: Any, hadoop: Any, aws: Any) -> None:
    for i in range(5):
        write(fs, hadoop, f"dl/dir/f{i}", b"x")
    write(fs, hadoop, "dl/one", b"x")
    assert fs.delete(path(hadoop, "dl/one"), False)
    assert not fs.delete(path(hadoop, "dl/one"), False)  # gone: false, as on S3A
    error = java_error(lambda: fs.delete(path(hadoop, "dl/dir"), False))
    assert error.endswith("PathIsNotEmptyDirectoryException")
    assert fs.delete(path(hadoop, "dl/dir"), True)
    assert keys(aws, "dl/") == []
    assert not fs.delete(path(hadoop, ""), True)  # the bucket's root never goes


def test_rename_files_and_directories_as_s3a_does(fs: Any, hadoop: Any, aws: Any) -> None:
    write(fs, hadoop, "rn/src/a.txt", b"a")
    write(fs, hadoop, "rn/src/deep/b.txt", b"b")
    write(fs, hadoop, "rn/file.txt", b"f")
    assert fs.rename(path(hadoop, "rn/file.txt"), path(hadoop, "rn/moved.txt"))
    assert fs.mkdirs(path(hadoop, "rn/into"))
    assert fs.rename(path(hadoop, "rn/moved.txt"), path(hadoop, "rn/into"))  # a file lands under a dir
    assert fs.rename(path(hadoop, "rn/src"), path(hadoop, "rn/dst"))  # a whole tree: copy, then delete
    assert keys(aws, "rn/") == ["rn/dst/a.txt", "rn/dst/deep/b.txt", "rn/into/", "rn/into/moved.txt"]
    assert not fs.rename(path(hadoop, "rn/missing"), path(hadoop, "rn/x"))
    assert not fs.rename(path(hadoop, "rn/dst"), path(hadoop, "rn/into"))  # onto a non-empty directory
    assert not fs.rename(path(hadoop, "rn/dst"), path(hadoop, "rn/dst/deep"))  # into itself
    assert not fs.rename(path(hadoop, "rn/into/moved.txt"), path(hadoop, "rn/dst/a.txt"))  # onto a file
    assert aws("s3").get_object(Bucket=BUCKET, Key="rn/dst/deep/b.txt")["Body"].read() == b"b"


def test_pending_output_stays_on_local_disk_until_it_is_committed(
    fs: Any, hadoop: Any, aws: Any, tmp_path: Path
) -> None:
    """What FileOutputCommitter writes under `_temporary/` never becomes an S3 object; renaming it out
    (the commit) uploads it."""
    attempt = "st2/out/_temporary/0/_temporary/attempt_1/part=a/part-0.parquet"
    write(fs, hadoop, attempt, b"rows")
    assert fs.exists(path(hadoop, attempt)) and keys(aws, "st2/") == []
    assert fs.rename(
        path(hadoop, "st2/out/_temporary/0/_temporary/attempt_1"), path(hadoop, "st2/out/_temporary/0/task_1")
    )
    assert fs.rename(path(hadoop, "st2/out/_temporary/0/task_1/part=a"), path(hadoop, "st2/out/part=a"))
    assert keys(aws, "st2/") == ["st2/out/part=a/part-0.parquet"]
    assert fs.delete(path(hadoop, "st2/out/_temporary"), True)
    assert not fs.exists(path(hadoop, "st2/out/_temporary"))


def test_signatures_are_botocores() -> None:
    """The SigV4 signer gives botocore's signature for the same request (keys with spaces and `+`):
    https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html"""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    jar = sparkconf.filesystems_jar()
    assert jar is not None
    url = "http://127.0.0.1:4566/my-bucket/raw/a%20b/c%2Bd.csv?list-type=2&prefix=raw%2F&delimiter=%2F"
    amz_date, payload = "20261207T010203Z", hashlib.sha256(b"").hexdigest()
    request = AWSRequest(
        method="GET", url=url, headers={"x-amz-content-sha256": payload, "X-Amz-Date": amz_date}
    )
    request.context["timestamp"] = amz_date
    signer = S3SigV4Auth(Credentials("AKID", "SECRET"), "s3", "us-east-1")
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "java")
    done = subprocess.run(
        [
            java if os.path.exists(java) else "java",
            "-cp",
            str(jar),
            "awstwin.hadoop.SigV4",
            "GET",
            url,
            amz_date,
            payload,
            "AKID",
            "SECRET",
            "us-east-1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().endswith(f"Signature={expected}")
    assert "Credential=AKID/20261207/us-east-1/s3/aws4_request" in done.stdout
