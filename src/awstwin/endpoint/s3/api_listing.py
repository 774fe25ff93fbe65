"""ListObjectsV2 and ListObjects (v1): prefix, delimiter, paging, and `encoding-type=url`."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import quote

from awstwin.endpoint.operations import handler
from awstwin.endpoint.s3 import exceptions as err
from awstwin.endpoint.s3.api_common import OWNER, quoted
from awstwin.endpoint.s3.store import ListResult, ObjectStore, StoredObject

MAX_KEYS = 1000


def _token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii")


def _untoken(token: str, bucket: str) -> str:
    try:
        return base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise err.InvalidArgument(
            "The continuation token provided is incorrect", f"/{bucket}", "continuation-token", token
        ) from None


def _encoder(encoding_type: str | None, bucket: str):  # noqa: ANN202 - a str -> str function
    if encoding_type is None:
        return lambda text: text
    if encoding_type != "url":
        raise err.InvalidArgument(
            f"Invalid Encoding Method specified in Request: {encoding_type}", f"/{bucket}"
        )
    return _url_encoded


_UNCHANGED_BY_QUOTE = re.compile(r"[A-Za-z0-9_.~/-]*")  # quote(text, safe="/") returns these as they are


def _url_encoded(text: str) -> str:
    return text if _UNCHANGED_BY_QUOTE.fullmatch(text) else quote(text, safe="/")


def _entry(obj: StoredObject, owner: bool, encode: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Key": encode(obj.key),
        "LastModified": obj.last_modified,
        "ETag": quoted(obj.meta.etag),
        "Size": obj.meta.size,
        "StorageClass": obj.meta.storage_class,
    }
    if obj.meta.checksum_algorithm:
        entry["ChecksumAlgorithm"] = [obj.meta.checksum_algorithm]
        entry["ChecksumType"] = obj.meta.checksum_type or "FULL_OBJECT"
    if owner:
        entry["Owner"] = OWNER
    return entry


class ListingApi:
    store: ObjectStore

    def _page(
        self, bucket: str, prefix: str, delimiter: str, marker: str, max_keys: int | None
    ) -> tuple[ListResult, int]:
        limit = MAX_KEYS if max_keys is None else max(0, min(max_keys, MAX_KEYS))
        if limit == 0:
            self.store.require_bucket(bucket)
            return ListResult([], [], False, ""), max_keys or 0
        return self.store.list(
            bucket, prefix, delimiter, marker, limit
        ), MAX_KEYS if max_keys is None else max_keys

    @handler("ListObjectsV2")
    def list_objects_v2(
        self,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        MaxKeys: int | None = None,
        ContinuationToken: str | None = None,
        StartAfter: str | None = None,
        FetchOwner: bool | None = None,
        EncodingType: str | None = None,
        RequestPayer: str | None = None,
        ExpectedBucketOwner: str | None = None,
        OptionalObjectAttributes: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Lists keys in S3 byte order with prefix, delimiter, StartAfter and continuation tokens; files
        written straight into the tree show up too."""
        encode = _encoder(EncodingType, Bucket)
        marker = StartAfter or ""
        if ContinuationToken:
            marker = max(marker, _untoken(ContinuationToken, Bucket))
        page, max_keys = self._page(Bucket, Prefix or "", Delimiter or "", marker, MaxKeys)
        result: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": encode(Prefix or ""),
            "Delimiter": encode(Delimiter) if Delimiter else None,
            "MaxKeys": max_keys,
            "EncodingType": EncodingType,
            "KeyCount": len(page.objects) + len(page.prefixes),
            "IsTruncated": page.truncated,
            "ContinuationToken": ContinuationToken,
            "StartAfter": encode(StartAfter) if StartAfter else None,
            "Contents": [_entry(o, bool(FetchOwner), encode) for o in page.objects] or None,
            "CommonPrefixes": [{"Prefix": encode(p)} for p in page.prefixes] or None,
        }
        if page.truncated:
            result["NextContinuationToken"] = _token(page.last)
        return result

    @handler("ListObjects")
    def list_objects(
        self,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        MaxKeys: int | None = None,
        Marker: str | None = None,
        EncodingType: str | None = None,
        RequestPayer: str | None = None,
        ExpectedBucketOwner: str | None = None,
        OptionalObjectAttributes: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Lists keys in S3 byte order with prefix, delimiter and markers (V1)."""
        encode = _encoder(EncodingType, Bucket)
        page, max_keys = self._page(Bucket, Prefix or "", Delimiter or "", Marker or "", MaxKeys)
        result: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": encode(Prefix or ""),
            "Marker": encode(Marker or ""),
            "Delimiter": encode(Delimiter) if Delimiter else None,
            "MaxKeys": max_keys,
            "EncodingType": EncodingType,
            "IsTruncated": page.truncated,
            "Contents": [_entry(o, True, encode) for o in page.objects] or None,
            "CommonPrefixes": [{"Prefix": encode(p)} for p in page.prefixes] or None,
        }
        # As AWS: NextMarker only with a delimiter; without one, clients resume after the last key.
        if page.truncated and Delimiter:
            result["NextMarker"] = encode(page.last)
        return result

    @handler("ListObjectVersions")
    def list_object_versions(
        self,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        MaxKeys: int | None = None,
        KeyMarker: str | None = None,
        VersionIdMarker: str | None = None,
        EncodingType: str | None = None,
        ExpectedBucketOwner: str | None = None,
        RequestPayer: str | None = None,
        OptionalObjectAttributes: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Lists each key as its one version, "null": only the latest version of a key exists here."""
        encode = _encoder(EncodingType, Bucket)
        page, max_keys = self._page(Bucket, Prefix or "", Delimiter or "", KeyMarker or "", MaxKeys)
        versions = []
        for obj in page.objects:
            entry = _entry(obj, True, encode)
            entry.update({"VersionId": "null", "IsLatest": True})
            versions.append(entry)
        result: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": encode(Prefix or ""),
            "Delimiter": encode(Delimiter) if Delimiter else None,
            "KeyMarker": encode(KeyMarker or ""),
            "VersionIdMarker": VersionIdMarker or "",
            "MaxKeys": max_keys,
            "EncodingType": EncodingType,
            "IsTruncated": page.truncated,
            "Versions": versions or None,
            "CommonPrefixes": [{"Prefix": encode(p)} for p in page.prefixes] or None,
        }
        if page.truncated:
            result["NextKeyMarker"] = encode(page.last)
            result["NextVersionIdMarker"] = "null"
        return result
