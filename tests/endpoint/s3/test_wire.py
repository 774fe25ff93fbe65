"""The wire, without an SDK smoothing it: aws-chunked bodies, virtual-host addressing, raw XML."""

from __future__ import annotations

import base64
import http.client
import zlib
from urllib.parse import urlparse
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError
from tests.endpoint.s3.conftest import raw_request

NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def signed_chunks(data: bytes, size: int) -> bytes:
    out = b""
    for start in range(0, len(data), size):
        chunk = data[start : start + size]
        out += f"{len(chunk):x};chunk-signature={'a' * 64}\r\n".encode() + chunk + b"\r\n"
    return out + f"0;chunk-signature={'b' * 64}\r\n\r\n".encode()


def trailer_chunks(data: bytes, size: int, trailer: str) -> bytes:
    out = b""
    for start in range(0, len(data), size):
        chunk = data[start : start + size]
        out += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    return out + f"0\r\nx-amz-checksum-crc32:{trailer}\r\n\r\n".encode()


def test_signed_aws_chunked_body_is_decoded(s3, endpoint, bucket, tree):
    data = b"0123456789abcdef" * 5000
    headers = {
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "Content-Type": "text/plain",
    }
    status, _, body = raw_request(
        endpoint.url, "PUT", f"/{bucket}/signed.txt", signed_chunks(data, 8192), headers
    )
    assert status == 200, body
    assert (tree / bucket / "signed.txt").read_bytes() == data
    head = s3.head_object(Bucket=bucket, Key="signed.txt")
    assert head["ContentType"] == "text/plain" and "ContentEncoding" not in head  # aws-chunked is transport


def test_unsigned_trailer_checksum_is_verified_and_stored(s3, endpoint, bucket):
    data = b"trailing checksum body " * 3000
    headers = {
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": str(len(data)),
    }
    good = trailer_chunks(data, 65536, crc32_b64(data))
    status, response_headers, _ = raw_request(endpoint.url, "PUT", f"/{bucket}/trailer", good, headers)
    assert status == 200 and response_headers["x-amz-checksum-crc32"] == crc32_b64(data)
    got = s3.get_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(data) and got["Body"].read() == data
    bad = trailer_chunks(b"other bytes", 4, crc32_b64(data))
    headers["x-amz-decoded-content-length"] = "11"
    status, _, body = raw_request(endpoint.url, "PUT", f"/{bucket}/trailer", bad, headers)
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    assert s3.get_object(Bucket=bucket, Key="trailer")["Body"].read() == data


def test_aws_chunked_inside_http_chunked_transfer(endpoint, s3, bucket):
    """What botocore sends over HTTPS for streaming uploads: Transfer-Encoding: chunked + aws-chunked."""
    data = bytes(range(256)) * 400
    payload = trailer_chunks(data, 1000, crc32_b64(data))
    parsed = urlparse(endpoint.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "Transfer-Encoding": "chunked",
    }
    pieces = (payload[i : i + 777] for i in range(0, len(payload), 777))
    conn.request("PUT", f"/{bucket}/nested", body=pieces, headers=headers, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200, response.read()
    conn.close()
    assert s3.get_object(Bucket=bucket, Key="nested")["Body"].read() == data


def test_truncated_aws_chunked_body_is_refused(endpoint, s3, bucket):
    body = b"ffff;chunk-signature=" + b"a" * 64 + b"\r\nshort"
    headers = {
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
    }
    status, _, response = raw_request(endpoint.url, "PUT", f"/{bucket}/cut", body, headers)
    assert status == 400 and b"IncompleteBody" in response
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize(
    "host_form",
    [
        "{b}.localhost:{p}",
        "{b}.s3.localhost.localstack.cloud:{p}",
        "{b}.s3.amazonaws.com",
        "{b}.s3.us-east-1.amazonaws.com",
    ],
)
def test_virtual_host_addressing(endpoint, s3, bucket, host_form):
    host = host_form.format(b=bucket, p=endpoint.port)
    status, _, _ = raw_request(endpoint.url, "PUT", "/vh/key.txt", b"via host", {"Host": host})
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="vh/key.txt")["Body"].read() == b"via host"
    status, _, body = raw_request(endpoint.url, "GET", "/?list-type=2&prefix=vh/", headers={"Host": host})
    assert status == 200
    root = ElementTree.fromstring(body)
    assert root.findtext("s3:Name", namespaces=NS) == bucket
    assert [k.text for k in root.findall("s3:Contents/s3:Key", NS)] == ["vh/key.txt"]


def test_raw_xml_shapes(endpoint, bucket):
    status, _, body = raw_request(endpoint.url, "GET", f"/{bucket}?location")
    root = ElementTree.fromstring(body)
    assert status == 200 and root.tag == f"{{{NS['s3']}}}LocationConstraint" and not root.text
    status, _, body = raw_request(endpoint.url, "GET", "/")
    root = ElementTree.fromstring(body)
    assert root.tag == f"{{{NS['s3']}}}ListAllMyBucketsResult"
    assert bucket in [n.text for n in root.findall("s3:Buckets/s3:Bucket/s3:Name", NS)]
    status, headers, body = raw_request(endpoint.url, "HEAD", f"/{bucket}")
    assert (status, body, headers["x-amz-bucket-region"]) == (200, b"", "us-east-1")
    status, _, body = raw_request(
        endpoint.url, "POST", f"/{bucket}?delete", b"<Delete><Object><Key>x</Key></Object"
    )
    assert status == 400 and b"MalformedXML" in body


def test_dot_dot_keys_never_leave_the_bucket(endpoint, s3, bucket, tree):
    secret = tree / "outside.txt"
    secret.write_text("not an object of this bucket")
    for method in ("GET", "HEAD", "DELETE"):
        status, _, _ = raw_request(endpoint.url, method, f"/{bucket}/..%2Foutside.txt")
        assert status in (404, 204), method
        status, _, _ = raw_request(endpoint.url, method, f"/{bucket}/../outside.txt")
        assert status in (404, 204), method
    assert secret.read_text() == "not an object of this bucket"
    status, _, body = raw_request(endpoint.url, "GET", f"/{bucket}?list-type=2&prefix=..%2F")
    assert status == 200 and b"<Contents>" not in body
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="stolen", CopySource=f"{bucket}/../outside.txt")
    assert caught.value.response["Error"]["Code"] == "NoSuchKey"
    secret.unlink()
