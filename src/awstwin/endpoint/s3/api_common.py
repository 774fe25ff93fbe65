"""What several S3 handlers share: the owner, object headers, checksum checks, conditions, ranges."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from awstwin.endpoint.s3 import exceptions as err
from awstwin.endpoint.s3.checksums import ALGORITHMS
from awstwin.endpoint.s3.protocol import http_date, parse_timestamp
from awstwin.endpoint.s3.sidecar import DEFAULT_CONTENT_TYPE, ObjectMeta
from awstwin.endpoint.s3.store import StoredObject, Written

OWNER = {"ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "DisplayName": "awstwin"}
READ_BUFFER = 1024 * 1024
# Checksum algorithms botocore knows but no library here computes: refused, never stored unchecked.
UNSUPPORTED_CHECKSUMS = ("XXHASH64", "XXHASH3", "XXHASH128")


def quoted(etag: str) -> str:
    return f'"{etag}"'


def parse_tags(text: str | None, resource: str) -> dict[str, str]:
    """The `x-amz-tagging` header: URL-query form, `k1=v1&k2=v2`."""
    if not text:
        return {}
    try:
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise err.InvalidArgument(
            f"The x-amz-tagging header is not URL-encoded tags: {text!r}", resource
        ) from None


def tag_set(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tags_from_set(tagging: dict[str, Any] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in (tagging or {}).get("TagSet", [])}


def template_from(params: dict[str, Any], resource: str) -> ObjectMeta:
    """The uploader's metadata for a new object, from PutObject/CreateMultipartUpload params."""
    from awstwin.endpoint.s3.chunked import stored_content_encoding

    return ObjectMeta(
        size=0,
        mtime_ns=0,
        etag="",
        content_type=params.get("ContentType") or DEFAULT_CONTENT_TYPE,
        metadata=dict(params.get("Metadata") or {}),
        content_encoding=stored_content_encoding(params.get("ContentEncoding")),
        content_language=params.get("ContentLanguage"),
        cache_control=params.get("CacheControl"),
        content_disposition=params.get("ContentDisposition"),
        expires=http_date(params["Expires"]) if isinstance(params.get("Expires"), datetime) else None,
        tags=parse_tags(params.get("Tagging"), resource),
        storage_class=params.get("StorageClass") or "STANDARD",
        server_side_encryption=params.get("ServerSideEncryption"),
    )


@dataclass
class ChecksumPlan:
    """Which checksums to compute for an upload and which values the client sent to compare."""

    algorithms: tuple[str, ...]
    stored: str | None  # the algorithm recorded with the object
    params: dict[str, Any]
    body: Any
    resource: str

    @classmethod
    def for_upload(
        cls, params: dict[str, Any], body: Any, resource: str, default: str | None = None
    ) -> ChecksumPlan:
        declared = (params.get("ChecksumAlgorithm") or "").upper() or None
        trailer = [n[len("x-amz-checksum-") :].upper() for n in getattr(body, "trailer_names", [])]
        sent = [a for a in ALGORITHMS + UNSUPPORTED_CHECKSUMS if params.get(f"Checksum{a}")]
        for name in [declared, *trailer, *sent]:
            if name and name not in ALGORITHMS:
                raise err.InvalidRequest(
                    f"The local S3 cannot compute the {name} checksum; use CRC32, CRC32C, CRC64NVME, "
                    "SHA1, SHA256, SHA512 or MD5",
                    resource=resource,
                )
        names = [n for n in [declared, *trailer, *sent, default] if n]
        algorithms = tuple(dict.fromkeys(names))
        return cls(algorithms, algorithms[0] if algorithms else None, params, body, resource)

    def expected(self) -> dict[str, str]:
        values = {a: self.params[f"Checksum{a}"] for a in ALGORITHMS if self.params.get(f"Checksum{a}")}
        for name, value in getattr(self.body, "trailers", {}).items():
            if name.startswith("x-amz-checksum-"):
                values[name[len("x-amz-checksum-") :].upper()] = value
        return values

    def verify(self, written: Written) -> None:
        """Raise BadDigest/IncompleteBody unless the body is what the client said it sent."""
        declared = getattr(self.body, "decoded_length", None)
        if declared is not None and declared != written.size:
            raise err.IncompleteBody(
                f"You did not provide the number of bytes specified by x-amz-decoded-content-length: "
                f"{written.size} of {declared} for {self.resource}",
                resource=self.resource,
            )
        md5 = self.params.get("ContentMD5")
        if md5:
            try:
                expected_md5 = base64.b64decode(md5, validate=True).hex()
            except (binascii.Error, ValueError):
                raise err.S3Error(
                    f"The Content-MD5 you specified is not valid base64: {md5!r}",
                    code="InvalidDigest",
                    status=400,
                    resource=self.resource,
                ) from None
            if expected_md5 != written.md5:
                raise err.BadDigest(
                    f"The Content-MD5 you specified did not match what we received for {self.resource}",
                    resource=self.resource,
                )
        for name, value in self.expected().items():
            got = written.checksums.get(name)
            if got is not None and got != value:
                raise err.BadDigest(
                    f"The {name} you specified ({value}) did not match the calculated checksum ({got}) "
                    f"for {self.resource}",
                    resource=self.resource,
                )


def checksum_fields(meta: ObjectMeta) -> dict[str, Any]:
    if not meta.checksum_algorithm or not meta.checksum_value:
        return {}
    return {
        f"Checksum{meta.checksum_algorithm}": meta.checksum_value,
        "ChecksumType": meta.checksum_type or "FULL_OBJECT",
    }


def object_fields(obj: StoredObject, checksum_mode: str | None) -> dict[str, Any]:
    """Output members GetObject and HeadObject share."""
    meta = obj.meta
    fields: dict[str, Any] = {
        "ETag": quoted(meta.etag),
        "LastModified": obj.last_modified,
        "ContentLength": meta.size,
        "ContentType": meta.content_type,
        "ContentEncoding": meta.content_encoding,
        "ContentLanguage": meta.content_language,
        "ContentDisposition": meta.content_disposition,
        "CacheControl": meta.cache_control,
        "Expires": parse_timestamp(meta.expires) if meta.expires else None,
        "Metadata": meta.metadata or None,
        "AcceptRanges": "bytes",
        "ServerSideEncryption": meta.server_side_encryption or "AES256",
        "StorageClass": None if meta.storage_class == "STANDARD" else meta.storage_class,
        "PartsCount": meta.parts_count,
        "TagCount": len(meta.tags) or None,
    }
    if (checksum_mode or "").upper() == "ENABLED":
        fields.update(checksum_fields(meta))
    return fields


def check_conditions(obj: StoredObject, params: dict[str, Any], prefix: str = "") -> None:
    """RFC 7232 as S3 applies it: If-Match/If-Unmodified-Since -> 412, If-None-Match/-Modified -> 304."""
    resource = f"/{obj.bucket}/{obj.key}"
    etag = quoted(obj.meta.etag)
    modified = obj.last_modified.replace(microsecond=0)
    if_match = params.get(f"{prefix}IfMatch")
    if_none = params.get(f"{prefix}IfNoneMatch")
    since = params.get(f"{prefix}IfModifiedSince")
    unmodified = params.get(f"{prefix}IfUnmodifiedSince")
    if if_match is not None and not _etag_matches(if_match, etag):
        raise err.PreconditionFailed(resource, f"{prefix or ''}If-Match")
    if if_match is None and unmodified is not None and modified > unmodified:
        raise err.PreconditionFailed(resource, f"{prefix or ''}If-Unmodified-Since")
    not_modified = None
    if if_none is not None:
        not_modified = _etag_matches(if_none, etag)
    elif since is not None:
        not_modified = modified <= since
    if not_modified:
        if prefix:
            raise err.PreconditionFailed(resource, f"{prefix}If-None-Match/If-Modified-Since")
        raise err.NotModified(resource, etag, http_date(obj.last_modified))


def _etag_matches(condition: str, etag: str) -> bool:
    wanted = [c.strip() for c in condition.split(",")]
    return "*" in wanted or etag in wanted or etag.strip('"') in wanted


def parse_range(header: str | None, size: int, resource: str) -> tuple[int, int] | None:
    """`bytes=a-b`, `bytes=a-`, `bytes=-n` -> inclusive (start, end); None = the whole object.

    As S3 does, a header it cannot parse (or several ranges) is ignored; a range that starts past
    the end is InvalidRange (416).
    """
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    bucket, _, key = resource.lstrip("/").partition("/")
    first, _, last = header[len("bytes=") :].strip().partition("-")
    try:
        if first == "":
            start, end = size - int(last), size - 1
            if int(last) <= 0:
                return None
            start = max(start, 0)
        else:
            start = int(first)
            end = int(last) if last else size - 1
    except ValueError:
        return None
    if end < start and first != "":
        return None
    if start >= size or size == 0:
        raise err.InvalidRange(bucket, key, header, size)
    return start, min(end, size - 1)


def file_chunks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        left = length
        while left > 0:
            data = handle.read(min(READ_BUFFER, left))
            if not data:
                return  # the file shrank under us; the client sees a short body
            left -= len(data)
            yield data
