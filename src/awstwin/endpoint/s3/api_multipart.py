"""Multipart upload operations (what `upload_file`, `aws s3 cp` and Spark writers use for big files)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from awstwin.endpoint.operations import handler
from awstwin.endpoint.s3 import exceptions as err
from awstwin.endpoint.s3.api_common import (
    OWNER,
    ChecksumPlan,
    check_conditions,
    parse_range,
    quoted,
    template_from,
)
from awstwin.endpoint.s3.checksums import ALGORITHMS
from awstwin.endpoint.s3.store import ObjectStore

MAX_PARTS = 1000


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _part_checksum(algorithm: str | None, value: str | None) -> dict[str, Any]:
    return {f"Checksum{algorithm}": value} if algorithm and value else {}


class MultipartApi:
    store: ObjectStore

    @handler("CreateMultipartUpload", whole_request=True)
    def create_multipart_upload(self, Bucket: str, Key: str, **params: Any) -> dict[str, Any]:
        """Starts a multipart upload; parts are kept aside until completed."""
        resource = f"/{Bucket}/{Key}"
        algorithm = (params.get("ChecksumAlgorithm") or "").upper() or None
        if algorithm and algorithm not in ALGORITHMS:
            raise err.InvalidRequest(
                f"The local S3 cannot compute the {algorithm} checksum", resource=resource
            )
        kind = params.get("ChecksumType")
        upload_id = self.store.uploads.create(Bucket, Key, template_from(params, resource), algorithm, kind)
        info = self.store.uploads.info(Bucket, Key, upload_id)["meta"]
        return {
            "Bucket": Bucket,
            "Key": Key,
            "UploadId": upload_id,
            "ChecksumAlgorithm": info.get("checksum_algorithm"),
            "ChecksumType": info.get("checksum_type"),
        }

    @handler("UploadPart", whole_request=True)
    def upload_part(
        self, Bucket: str, Key: str, UploadId: str, PartNumber: int, Body: Any = None, **params: Any
    ) -> dict[str, Any]:
        """Stores one part of a multipart upload."""
        resource = f"/{Bucket}/{Key}"
        self.store.require_bucket(Bucket)
        plan = ChecksumPlan.for_upload(params, Body, resource)
        part = self.store.uploads.upload_part(
            Bucket, Key, UploadId, PartNumber, Body, plan.algorithms, plan.verify
        )
        algorithm = self.store.uploads.info(Bucket, Key, UploadId)["meta"].get("checksum_algorithm")
        return {
            "ETag": quoted(part["etag"]),
            "ServerSideEncryption": "AES256",
            **_part_checksum(algorithm, part.get("checksum")),
        }

    @handler("UploadPartCopy", whole_request=True)
    def upload_part_copy(
        self, Bucket: str, Key: str, UploadId: str, PartNumber: int, CopySource: str, **params: Any
    ) -> dict[str, Any]:
        """Stores a range of another object as one part."""
        self.store.require_bucket(Bucket)
        src = self._copy_source(CopySource, f"/{Bucket}/{Key}")  # type: ignore[attr-defined]
        check_conditions(src, params, prefix="CopySource")
        if src.path is None:
            raise err.InvalidRequest(
                f"{CopySource} is a folder marker with no bytes to copy", resource=f"/{Bucket}/{Key}"
            )
        span = parse_range(params.get("CopySourceRange"), src.size, f"/{src.bucket}/{src.key}")
        start, end = span if span else (0, src.size - 1)
        part = self.store.uploads.upload_part_copy(Bucket, Key, UploadId, PartNumber, src, start, end)
        algorithm = self.store.uploads.info(Bucket, Key, UploadId)["meta"].get("checksum_algorithm")
        result = {"ETag": quoted(part["etag"]), "LastModified": _when(part["last_modified"])}
        result.update(_part_checksum(algorithm, part.get("checksum")))
        return {"CopyPartResult": result}

    @handler("CompleteMultipartUpload", whole_request=True)
    def complete_multipart_upload(
        self,
        Bucket: str,
        Key: str,
        UploadId: str,
        MultipartUpload: dict[str, Any] | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Joins the uploaded parts into the object's file, checking ETags and checksums."""
        self.store.require_bucket(Bucket)
        if params.get("IfNoneMatch", "").strip() == "*":
            try:
                self.store.head(Bucket, Key)
            except err.NoSuchKey:
                pass
            else:
                raise err.PreconditionFailed(f"/{Bucket}/{Key}", "If-None-Match: * (the object exists)")
        info = self.store.uploads.info(Bucket, Key, UploadId)["meta"]
        algorithm = info.get("checksum_algorithm")
        full = params.get(f"Checksum{algorithm}") if algorithm else None
        meta = self.store.uploads.complete(
            Bucket, Key, UploadId, (MultipartUpload or {}).get("Parts", []), full
        )
        result = {
            "Location": f"/{Bucket}/{Key}",
            "Bucket": Bucket,
            "Key": Key,
            "ETag": quoted(meta.etag),
            "ServerSideEncryption": "AES256",
        }
        if meta.checksum_algorithm:
            result[f"Checksum{meta.checksum_algorithm}"] = meta.checksum_value
            result["ChecksumType"] = meta.checksum_type
        return result

    @handler("AbortMultipartUpload")
    def abort_multipart_upload(
        self,
        Bucket: str,
        Key: str,
        UploadId: str,
        RequestPayer: str | None = None,
        ExpectedBucketOwner: str | None = None,
        IfMatchInitiatedTime: Any | None = None,
    ) -> dict[str, Any]:
        """Drops a multipart upload in progress and its parts."""
        self.store.require_bucket(Bucket)
        self.store.uploads.abort(Bucket, Key, UploadId)
        return {}

    @handler("ListParts")
    def list_parts(
        self,
        Bucket: str,
        Key: str,
        UploadId: str,
        MaxParts: int | None = None,
        PartNumberMarker: str | None = None,
        RequestPayer: str | None = None,
        ExpectedBucketOwner: str | None = None,
        SSECustomerAlgorithm: str | None = None,
        SSECustomerKey: str | None = None,
        SSECustomerKeyMD5: str | None = None,
    ) -> dict[str, Any]:
        """Lists the parts uploaded so far."""
        self.store.require_bucket(Bucket)
        info = self.store.uploads.info(Bucket, Key, UploadId)
        algorithm = info["meta"].get("checksum_algorithm")
        after = int(PartNumberMarker or 0)
        limit = min(MaxParts or MAX_PARTS, MAX_PARTS)
        parts = [p for p in self.store.uploads.parts(Bucket, Key, UploadId) if p["number"] > after]
        page, truncated = parts[:limit], len(parts) > limit
        result: dict[str, Any] = {
            "Bucket": Bucket,
            "Key": Key,
            "UploadId": UploadId,
            "PartNumberMarker": after,
            "MaxParts": limit,
            "IsTruncated": truncated,
            "Initiator": OWNER,
            "Owner": OWNER,
            "StorageClass": info["meta"].get("storage_class", "STANDARD"),
            "ChecksumAlgorithm": algorithm,
            "ChecksumType": info["meta"].get("checksum_type"),
            "Parts": [
                {
                    "PartNumber": p["number"],
                    "LastModified": _when(p["last_modified"]),
                    "ETag": quoted(p["etag"]),
                    "Size": p["size"],
                    **_part_checksum(algorithm, p.get("checksum")),
                }
                for p in page
            ]
            or None,
        }
        if page:
            result["NextPartNumberMarker"] = page[-1]["number"]
        return result

    @handler("ListMultipartUploads")
    def list_multipart_uploads(
        self,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        KeyMarker: str | None = None,
        UploadIdMarker: str | None = None,
        MaxUploads: int | None = None,
        EncodingType: str | None = None,
        ExpectedBucketOwner: str | None = None,
        RequestPayer: str | None = None,
    ) -> dict[str, Any]:
        """Lists multipart uploads in progress."""
        self.store.require_bucket(Bucket)
        limit = min(MaxUploads or MAX_PARTS, MAX_PARTS)
        uploads, prefixes = [], []
        for up in self.store.uploads.list_uploads(Bucket):
            key = up["key"]
            if not key.startswith(Prefix or ""):
                continue
            if KeyMarker and (key, up["upload_id"]) <= (KeyMarker, UploadIdMarker or "\uffff"):
                continue
            rest = key[len(Prefix or "") :]
            if Delimiter and Delimiter in rest:
                common = (Prefix or "") + rest[: rest.index(Delimiter) + len(Delimiter)]
                if common not in prefixes:
                    prefixes.append(common)
                continue
            uploads.append(up)
        page, truncated = uploads[:limit], len(uploads) > limit
        result: dict[str, Any] = {
            "Bucket": Bucket,
            "KeyMarker": KeyMarker or "",
            "UploadIdMarker": UploadIdMarker or "",
            "Prefix": Prefix,
            "Delimiter": Delimiter,
            "MaxUploads": limit,
            "IsTruncated": truncated,
            "Uploads": [
                {
                    "UploadId": up["upload_id"],
                    "Key": up["key"],
                    "Initiated": _when(up["initiated"]),
                    "StorageClass": up["meta"].get("storage_class", "STANDARD"),
                    "Owner": OWNER,
                    "Initiator": OWNER,
                    "ChecksumAlgorithm": up["meta"].get("checksum_algorithm"),
                    "ChecksumType": up["meta"].get("checksum_type"),
                }
                for up in page
            ]
            or None,
            "CommonPrefixes": [{"Prefix": p} for p in prefixes] or None,
        }
        if truncated:
            result["NextKeyMarker"] = page[-1]["key"]
            result["NextUploadIdMarker"] = page[-1]["upload_id"]
        return result
