"""Multipart uploads: boto3's managed transfer, the S3 multipart ETag, parts, aborts and errors."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

MB = 1024 * 1024


def multipart_etag(data: bytes, part_size: int) -> str:
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)]
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_upload_file_of_a_big_file_uses_multipart(s3, bucket, tree, tmp_path):
    data = os.urandom(9 * MB + 123)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    s3.upload_file(str(source), bucket, "big/data.bin")  # boto3 default: 8 MB parts above 8 MB
    head = s3.head_object(Bucket=bucket, Key="big/data.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == multipart_etag(data, 8 * MB)
    assert head["PartsCount"] == 2
    assert (tree / bucket / "big" / "data.bin").read_bytes() == data
    back = tmp_path / "back.bin"
    s3.download_file(bucket, "big/data.bin", str(back))
    assert back.read_bytes() == data
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads") is None


def test_manual_multipart_with_listing_and_composite_checksum(s3, bucket):
    key = "manual.bin"
    parts_data = [os.urandom(5 * MB), b"tail"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", ContentType="x/y")
    upload_id = upload["UploadId"]
    assert upload["ChecksumAlgorithm"] == "CRC32"
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [(key, upload_id)]
    sent = []
    for number, chunk in enumerate(parts_data, start=1):
        part = s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=chunk,
            ChecksumAlgorithm="CRC32",
        )
        crc = base64.b64encode(zlib.crc32(chunk).to_bytes(4, "big")).decode()
        assert part["ChecksumCRC32"] == crc
        sent.append({"PartNumber": number, "ETag": part["ETag"], "ChecksumCRC32": crc})
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * MB), (2, 4)]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": sent}
    )
    assert done["ETag"] == multipart_etag(b"".join(parts_data), 5 * MB)
    raw = b"".join(base64.b64decode(p["ChecksumCRC32"]) for p in sent)
    composite = base64.b64encode(zlib.crc32(raw).to_bytes(4, "big")).decode() + "-2"
    assert done["ChecksumCRC32"] == composite
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == composite and got["ContentType"] == "x/y"
    assert got["Body"].read() == b"".join(parts_data)


def test_full_object_checksum_multipart(s3, bucket):
    data = [os.urandom(5 * MB), b"end"]
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key="full", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(Bucket=bucket, Key="full", UploadId=upload_id, PartNumber=n, Body=d)[
                "ETag"
            ],
        }
        for n, d in enumerate(data, start=1)
    ]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="full", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    whole = base64.b64encode(zlib.crc32(b"".join(data)).to_bytes(4, "big")).decode()
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (whole, "FULL_OBJECT")


def test_multipart_errors(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
    last = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"x")["ETag"]

    def complete(parts):
        with pytest.raises(ClientError) as caught:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        return caught.value.response["Error"]["Code"]

    assert complete([{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}]) == "EntityTooSmall"
    assert complete([{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}]) == "InvalidPartOrder"
    assert complete([{"PartNumber": 1, "ETag": '"0123"'}]) == "InvalidPart"
    assert complete([{"PartNumber": 3, "ETag": small}]) == "InvalidPart"
    with pytest.raises(ClientError) as caught:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10001, Body=b"x")
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    with pytest.raises(ClientError) as caught:
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert caught.value.response["Error"]["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key="k")
    assert caught.value.response["Error"]["Code"] == "404"


def test_upload_part_copy_joins_ranges_of_objects(s3, bucket):
    source = os.urandom(6 * MB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    first = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource=f"{bucket}/src",
        CopySourceRange=f"bytes=0-{5 * MB - 1}",
    )
    second = s3.upload_part(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=2, Body=b"+tail")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": second["ETag"]},
            ]
        },
    )
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source[: 5 * MB] + b"+tail"


def test_multipart_threshold_transfer_of_many_parts(s3, bucket, tmp_path):
    data = os.urandom(16 * MB)
    source = tmp_path / "parts.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=4)
    s3.upload_file(str(source), bucket, "many", Config=config)
    assert s3.head_object(Bucket=bucket, Key="many")["ETag"] == multipart_etag(data, 5 * MB)
    assert (
        s3.get_object(Bucket=bucket, Key="many", Range=f"bytes={10 * MB}-{10 * MB + 9}")["Body"].read()
        == data[10 * MB : 10 * MB + 10]
    )


def test_get_object_by_part_number(s3, bucket):
    parts = [b"a" * (5 * MB), b"b" * 10]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="p")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="p", UploadId=upload_id, PartNumber=n, Body=d)["ETag"]
        for n, d in enumerate(parts, start=1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="p",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    second = s3.get_object(Bucket=bucket, Key="p", PartNumber=2)
    assert second["Body"].read() == b"b" * 10
    assert (second["ContentRange"], second["PartsCount"]) == (f"bytes {5 * MB}-{5 * MB + 9}/{5 * MB + 10}", 2)
    assert s3.head_object(Bucket=bucket, Key="p", PartNumber=1)["ContentLength"] == 5 * MB
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="p", PartNumber=3)
    assert caught.value.response["Error"]["Code"] == "InvalidPartNumber"
    s3.put_object(Bucket=bucket, Key="single", Body=b"whole")
    assert s3.get_object(Bucket=bucket, Key="single", PartNumber=1)["Body"].read() == b"whole"
