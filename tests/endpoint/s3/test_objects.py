"""Objects through boto3: bytes and metadata round-trip, ranges, conditions, copy, tags, checksums."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.s3.conftest import raw_request

from awstwin.endpoint.s3.checksums import new_checksum


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return caught.value.response["Error"]["Code"]


def test_put_get_round_trip_keeps_bytes_and_metadata(s3, bucket, tree):
    body = b"id,name\n1,ada\n"
    put = s3.put_object(
        Bucket=bucket,
        Key="raw/people.csv",
        Body=body,
        ContentType="text/csv",
        Metadata={"Source": "unit", "rows": "1"},
        CacheControl="max-age=60",
        ContentDisposition="attachment; filename=people.csv",
        ContentEncoding="identity",
        ContentLanguage="en",
        Expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="raw/people.csv")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"source": "unit", "rows": "1"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == "attachment; filename=people.csv"
    assert got["ContentEncoding"] == "identity"
    assert got["ContentLanguage"] == "en"
    assert got["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert got["ETag"] == put["ETag"]
    # The object *is* the file.
    assert (tree / bucket / "raw" / "people.csv").read_bytes() == body


def test_default_content_type_and_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    head = s3.head_object(Bucket=bucket, Key="empty")
    assert head["ContentLength"] == 0
    assert head["ContentType"] == "binary/octet-stream"
    assert head["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_missing_key_is_nosuchkey_naming_the_key(s3, bucket):
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="nope/missing.csv")
    assert error_code(caught) == "NoSuchKey"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # AWS's own text; the key is named by the error's <Key> element, as AWS sends it
    assert caught.value.response["Error"]["Message"] == "The specified key does not exist."
    assert caught.value.response["Error"]["Key"] == "nope/missing.csv"
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key="nope/missing.csv")
    assert error_code(caught) == "404"


def test_error_xml_has_aws_shape_and_head_errors_have_no_body(endpoint, bucket):
    status, headers, body = raw_request(endpoint.url, "GET", f"/{bucket}/absent.txt")
    assert status == 404
    root = ElementTree.fromstring(body)
    assert root.tag == "Error"
    assert root.findtext("Code") == "NoSuchKey"
    assert root.findtext("Message") == "The specified key does not exist."
    assert root.findtext("Key") == "absent.txt"
    assert root.findtext("Resource") == f"/{bucket}/absent.txt"
    assert root.findtext("RequestId") == headers["x-amz-request-id"]
    status, _, body = raw_request(endpoint.url, "HEAD", f"/{bucket}/absent.txt")
    assert (status, body) == (404, b"")
    status, _, body = raw_request(endpoint.url, "GET", "/no-such-bucket-here/k")
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body


def test_ranges(s3, bucket):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    part = s3.get_object(Bucket=bucket, Key="digits", Range="bytes=2-5")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["Body"].read() == b"2345"
    assert part["ContentRange"] == "bytes 2-5/10"
    assert s3.get_object(Bucket=bucket, Key="digits", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="digits", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="digits", Range="bytes=8-100")["Body"].read() == b"89"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="digits", Range="bytes=10-20")
    assert error_code(caught) == "InvalidRange"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416


def test_conditional_gets(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert error_code(caught) == "PreconditionFailed"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"x"
    future = datetime.now(UTC) + timedelta(days=1)
    past = datetime.now(UTC) - timedelta(days=1)
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"x"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert error_code(caught) == "PreconditionFailed"


def test_conditional_put_if_none_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert error_code(caught) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"


def test_delete_and_delete_objects(s3, bucket, tree):
    for key in ("a/1", "a/2", "a/b/3", "keep"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.delete_object(Bucket=bucket, Key="keep")["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.delete_object(Bucket=bucket, Key="never-existed")  # not an error, as in S3
    result = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "a/1"}, {"Key": "a/2"}, {"Key": "a/b/3"}, {"Key": "ghost"}]},
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a/1", "a/2", "a/b/3", "ghost"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert list((tree / bucket).iterdir()) == []  # emptied folders go too: S3 has no empty folders
    s3.put_object(Bucket=bucket, Key="q", Body=b"q")
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet


def test_copy_object_directives_and_encoded_source(s3, bucket):
    key = "in dir/naïve + plus%.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"payload", ContentType="text/plain", Metadata={"a": "1"})
    s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
    copied = s3.copy_object(Bucket=bucket, Key="copy/one", CopySource={"Bucket": bucket, "Key": key})
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    head = s3.head_object(Bucket=bucket, Key="copy/one")
    assert (head["ContentType"], head["Metadata"]) == ("text/plain", {"a": "1"})
    assert s3.get_object_tagging(Bucket=bucket, Key="copy/one")["TagSet"] == [{"Key": "t", "Value": "v"}]
    s3.copy_object(
        Bucket=bucket,
        Key="copy/two",
        CopySource=f"{bucket}/{key}",
        MetadataDirective="REPLACE",
        ContentType="application/json",
        Metadata={"b": "2"},
    )
    head = s3.head_object(Bucket=bucket, Key="copy/two")
    assert (head["ContentType"], head["Metadata"]) == ("application/json", {"b": "2"})
    assert s3.get_object(Bucket=bucket, Key="copy/two")["Body"].read() == b"payload"
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key})
    assert error_code(caught) == "InvalidRequest"
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "absent"})
    assert error_code(caught) == "NoSuchKey"


def test_object_tagging_never_touches_the_body(s3, bucket, tree):
    s3.put_object(Bucket=bucket, Key="tagged.csv", Body=b"a,b\n1,2\n", Tagging="stage=raw&owner=me")
    assert s3.get_object(Bucket=bucket, Key="tagged.csv")["TagCount"] == 2
    s3.put_object_tagging(
        Bucket=bucket, Key="tagged.csv", Tagging={"TagSet": [{"Key": "stage", "Value": "clean"}]}
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged.csv")["TagSet"] == [
        {"Key": "stage", "Value": "clean"}
    ]
    s3.delete_object_tagging(Bucket=bucket, Key="tagged.csv")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged.csv")["TagSet"] == []
    assert (tree / bucket / "tagged.csv").read_bytes() == b"a,b\n1,2\n"
    assert s3.get_object(Bucket=bucket, Key="tagged.csv")["Body"].read() == b"a,b\n1,2\n"


def test_unknown_subresources_are_501_and_change_nothing(s3, endpoint, bucket, tree):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"original")
    with pytest.raises(ClientError) as caught:
        s3.put_object_acl(Bucket=bucket, Key="obj", ACL="public-read")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "PutObjectAcl" in caught.value.response["Error"]["Message"]
    for method, query in (("PUT", "retention"), ("PUT", "madeup"), ("POST", "restore"), ("GET", "torrent")):
        status, _, body = raw_request(endpoint.url, method, f"/{bucket}/obj?{query}", body=b"<x/>")
        assert status == 501, (method, query, body)
        assert b"<Code>NotImplemented</Code>" in body
    status, _, body = raw_request(endpoint.url, "PUT", f"/{bucket}?lifecycle", body=b"<x/>")
    assert status == 501 and b"PutBucketLifecycleConfiguration" in body
    assert (tree / bucket / "obj").read_bytes() == b"original"
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == b"original"


def test_flexible_checksums_are_verified_stored_and_returned(s3, bucket):
    body = b"checksum me" * 100
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="sha", Body=body, ChecksumAlgorithm="SHA256")
    assert put["ChecksumSHA256"] == sha
    got = s3.get_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == sha
    assert got["Body"].read() == body  # botocore validates the body against the header here
    # boto3's default (CRC32) is stored too.
    s3.put_object(Bucket=bucket, Key="crc", Body=body)
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert s3.head_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc
    with pytest.raises(ClientError) as caught:
        s3.put_object(
            Bucket=bucket, Key="bad", Body=body, ChecksumSHA256=base64.b64encode(b"x" * 32).decode()
        )
    assert error_code(caught) == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")


def test_content_md5_is_checked(s3, bucket):
    good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=b"abc", ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"xyz").digest()).decode()
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"abc!", ContentMD5=bad)
    assert error_code(caught) == "BadDigest"
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == b"abc"


def test_version_ids_are_refused_with_a_reason(s3, bucket):
    s3.put_object(Bucket=bucket, Key="v", Body=b"1")
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="v", VersionId="3HL4kqtJlcpXroDTDmJ")
    assert error_code(caught) == "NoSuchVersion"
    assert "only the latest version" in caught.value.response["Error"]["Message"]
    assert s3.get_object(Bucket=bucket, Key="v", VersionId="null")["Body"].read() == b"1"


@pytest.mark.parametrize(
    ("algorithm", "check_value"),
    [("CRC32", "cbf43926"), ("CRC32C", "e3069283"), ("CRC64NVME", "ae8b14860a799888")],
)
def test_crc_algorithms_match_their_check_values(algorithm, check_value):
    summer = new_checksum(algorithm)
    summer.update(b"1234")
    summer.update(b"56789")
    assert summer.digest().hex() == check_value


def test_checksums_botocore_cannot_send_still_work_over_the_wire(s3, endpoint, bucket):
    # boto3 needs awscrt for CRC32C; other SDKs send it by default. Send the header by hand.
    value = base64.b64encode(bytes.fromhex("e3069283")).decode()
    headers = {"x-amz-checksum-crc32c": value, "x-amz-sdk-checksum-algorithm": "CRC32C"}
    status, response_headers, _ = raw_request(endpoint.url, "PUT", f"/{bucket}/c32c", b"123456789", headers)
    assert status == 200 and response_headers["x-amz-checksum-crc32c"] == value
    head = s3.head_object(Bucket=bucket, Key="c32c", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32C"] == value
    headers["x-amz-checksum-crc32c"] = base64.b64encode(b"\0\0\0\0").decode()
    status, _, body = raw_request(endpoint.url, "PUT", f"/{bucket}/c32c", b"123456789", headers)
    assert status == 400 and b"BadDigest" in body


def test_presigned_urls(s3, bucket):
    import urllib.request

    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "signed/u.txt"})
    request = urllib.request.Request(put_url, data=b"from a presigned url", method="PUT")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "signed/u.txt"})
    with urllib.request.urlopen(get_url) as response:
        assert response.read() == b"from a presigned url"
