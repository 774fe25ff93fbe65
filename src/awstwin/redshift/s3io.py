"""S3 for COPY, UNLOAD and Spectrum: boto3 against whatever S3 the environment names.

boto3 reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 and the profile itself, so the front works over
the local endpoint, LocalStack or AWS S3 alike. Credentials given in a statement (ACCESS_KEY_ID,
CREDENTIALS) are used for it; IAM_ROLE is accepted and not assumed (the environment's credentials act).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyarrow as pa

COMPRESSIONS = {"GZIP": "gzip", "BZIP2": "bz2", "ZSTD": "zstd"}


class S3Error(Exception):
    """An S3 location could not be read or written; the message names it."""


@dataclass(frozen=True)
class S3Url:
    bucket: str
    key: str

    @classmethod
    def parse(cls, url: str) -> S3Url:
        parts = urlsplit(url)
        if parts.scheme not in ("s3", "s3a") or not parts.netloc:
            raise S3Error(f"'{url}' is not an s3:// location")
        return cls(parts.netloc, parts.path.lstrip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def client(
    region: str | None = None, credentials: dict[str, str] | None = None, endpoint_url: str | None = None
):
    import boto3

    kwargs = {"region_name": region} if region else {}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return boto3.session.Session(**(credentials or {})).client("s3", **kwargs)


def list_keys(s3, url: S3Url) -> list[S3Url]:
    """Every object whose key starts with the URL's key, in key order (COPY's prefix rule)."""
    found = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=url.bucket, Prefix=url.key):
            found += [S3Url(url.bucket, item["Key"]) for item in page.get("Contents", [])]
    except Exception as error:
        raise S3Error(f"cannot list {url}: {error}") from error
    return [item for item in found if not item.key.endswith("/")]


def read(s3, url: S3Url, compression: str | None = None) -> bytes:
    try:
        body = s3.get_object(Bucket=url.bucket, Key=url.key)["Body"].read()
    except Exception as error:
        raise S3Error(f"cannot read {url}: {error}") from error
    if compression:
        stream = pa.CompressedInputStream(pa.BufferReader(body), COMPRESSIONS[compression])
        body = stream.read()
    return body


def write(s3, url: S3Url, data: bytes) -> None:
    try:
        s3.put_object(Bucket=url.bucket, Key=url.key, Body=io.BytesIO(data))
    except Exception as error:
        raise S3Error(f"cannot write {url}: {error}") from error


def delete_prefix(s3, url: S3Url) -> None:
    for item in list_keys(s3, url):
        s3.delete_object(Bucket=item.bucket, Key=item.key)
