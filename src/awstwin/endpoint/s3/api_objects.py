"""Object operations: put, get, head, delete (one or many), copy, and object tags."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from awstwin.endpoint.operations import handler
from awstwin.endpoint.s3 import exceptions as err
from awstwin.endpoint.s3.api_common import (
    ChecksumPlan,
    check_conditions,
    checksum_fields,
    file_chunks,
    object_fields,
    parse_range,
    parse_tags,
    quoted,
    tag_set,
    tags_from_set,
    template_from,
)
from awstwin.endpoint.s3.store import ObjectStore, StoredObject

NO_VERSIONS = (
    "the local S3 keeps only the latest version of each object (versioning settings are stored, "
    "versions are not); drop VersionId or use VersionId=null"
)


def check_version(bucket: str, key: str, version_id: str | None) -> None:
    if version_id not in (None, "", "null"):
        raise err.S3Error(
            f"Cannot read version {version_id!r} of s3://{bucket}/{key}: {NO_VERSIONS}",
            code="NoSuchVersion",
            status=404,
            resource=f"/{bucket}/{key}",
            extra={"Key": key, "VersionId": version_id or ""},
        )


class ObjectApi:
    store: ObjectStore

    @handler("PutObject", whole_request=True)
    def put_object(self, Bucket: str, Key: str, Body: Any = None, **params: Any) -> dict[str, Any]:
        """Writes an object as the plain file `<state>/s3/<bucket>/<key>`, atomically, with metadata
        and checksums."""
        resource = f"/{Bucket}/{Key}"
        self.store.check_writable(Bucket, Key)
        self._check_write_conditions(Bucket, Key, params)
        plan = ChecksumPlan.for_upload(params, Body, resource)
        template = replace(template_from(params, resource), checksum_algorithm=plan.stored)
        body = Body if Body is not None else _Empty()
        meta = self.store.put(Bucket, Key, body, template, plan.algorithms, plan.verify)
        return {
            "ETag": quoted(meta.etag),
            "ServerSideEncryption": meta.server_side_encryption or "AES256",
            "Size": meta.size,
            **checksum_fields(meta),
        }

    def _check_write_conditions(self, bucket: str, key: str, params: dict[str, Any]) -> None:
        """Conditional writes: If-None-Match: * (create only) and If-Match: <etag>."""
        if_none, if_match = params.get("IfNoneMatch"), params.get("IfMatch")
        if if_none is None and if_match is None:
            return
        try:
            current = self.store.head(bucket, key)
        except err.NoSuchKey:
            if if_match is not None:
                raise
            return
        if if_none is not None and if_none.strip() == "*":
            raise err.PreconditionFailed(f"/{bucket}/{key}", "If-None-Match: * (the object exists)")
        if if_match is not None and if_match.strip().strip('"') != current.meta.etag:
            raise err.PreconditionFailed(f"/{bucket}/{key}", "If-Match")

    @handler("GetObject", whole_request=True)
    def get_object(self, Bucket: str, Key: str, **params: Any) -> dict[str, Any]:
        """Streams an object's file, with ranges, part numbers, conditions and checksums."""
        check_version(Bucket, Key, params.get("VersionId"))
        obj = self.store.head(Bucket, Key)
        check_conditions(obj, params)
        result = self._read_fields(obj, params)
        span = self._span(obj, params, result)
        if obj.path is None:
            result["Body"] = [b""]
        else:
            start, end = span if span else (0, obj.size - 1)
            result["Body"] = file_chunks(obj.path, start, end - start + 1)
        return result

    @handler("HeadObject", whole_request=True)
    def head_object(self, Bucket: str, Key: str, **params: Any) -> dict[str, Any]:
        """Returns an object's size, ETag, metadata and checksums without its body."""
        check_version(Bucket, Key, params.get("VersionId"))
        obj = self.store.head(Bucket, Key)
        check_conditions(obj, params)
        result = self._read_fields(obj, params)
        self._span(obj, params, result)
        return result

    def _span(
        self, obj: StoredObject, params: dict[str, Any], result: dict[str, Any]
    ) -> tuple[int, int] | None:
        """The byte range asked for (Range header or partNumber); marks `result` as a 206 if any."""
        resource = f"/{obj.bucket}/{obj.key}"
        number = params.get("PartNumber")
        if number is not None and params.get("Range"):
            raise err.InvalidRequest(
                "Cannot specify both Range header and partNumber query parameter", resource=resource
            )
        if number is not None:
            span = self._part_span(obj, number, resource)
            if span is None:
                return None
        else:
            span = parse_range(params.get("Range"), obj.size, resource)
        if span is None:
            return None
        start, end = span
        result.update(
            {
                "_status": 206,
                "ContentLength": end - start + 1,
                "ContentRange": f"bytes {start}-{end}/{obj.size}",
            }
        )
        for name in [k for k in result if k.startswith("Checksum")]:
            del result[name]  # a part of the object does not have the whole object's checksum
        return span

    def _part_span(self, obj: StoredObject, number: int, resource: str) -> tuple[int, int] | None:
        sizes = obj.meta.part_sizes or [obj.size]
        if not 1 <= number <= len(sizes) or (number == 1 and obj.size == 0):
            raise err.S3Error(
                f"The requested partnumber is not satisfiable: part {number} of {resource}, "
                f"which has {len(sizes)} part(s)",
                code="InvalidPartNumber",
                status=416,
                resource=resource,
            )
        if obj.meta.part_sizes is None:
            return None  # a single-part object: part 1 is the whole object
        start = sum(sizes[: number - 1])
        return start, start + sizes[number - 1] - 1

    def _read_fields(self, obj: StoredObject, params: dict[str, Any]) -> dict[str, Any]:
        result = object_fields(obj, params.get("ChecksumMode"))
        # response-content-type & co. override the stored headers for this one response.
        for member in (
            "ContentType",
            "ContentLanguage",
            "ContentDisposition",
            "ContentEncoding",
            "CacheControl",
        ):
            if params.get(f"Response{member}"):
                result[member] = params[f"Response{member}"]
        if params.get("ResponseExpires"):
            result["Expires"] = params["ResponseExpires"]
        return result

    @handler("DeleteObject")
    def delete_object(
        self,
        Bucket: str,
        Key: str,
        VersionId: str | None = None,
        MFA: str | None = None,
        RequestPayer: str | None = None,
        BypassGovernanceRetention: bool | None = None,
        ExpectedBucketOwner: str | None = None,
        IfMatch: str | None = None,
        IfMatchLastModifiedTime: Any | None = None,
        IfMatchSize: int | None = None,
    ) -> dict[str, Any]:
        """Deletes an object's file (a missing key is fine, as on S3)."""
        check_version(Bucket, Key, VersionId)
        self.store.delete(Bucket, Key)
        return {}

    @handler("DeleteObjects")
    def delete_objects(
        self,
        Bucket: str,
        Delete: dict[str, Any] | None = None,
        MFA: str | None = None,
        RequestPayer: str | None = None,
        BypassGovernanceRetention: bool | None = None,
        ExpectedBucketOwner: str | None = None,
        ChecksumAlgorithm: str | None = None,
    ) -> dict[str, Any]:
        """Deletes up to 1,000 objects in one request, reporting each."""
        self.store.require_bucket(Bucket)
        if not Delete or not Delete.get("Objects"):
            raise err.MalformedXML(f"/{Bucket}", "DeleteObjects needs a <Delete> with at least one <Object>")
        if len(Delete["Objects"]) > 1000:
            raise err.MalformedXML(f"/{Bucket}", "DeleteObjects accepts at most 1000 keys per request")
        deleted, errors = [], []
        for item in Delete["Objects"]:
            key = item.get("Key", "")
            try:
                check_version(Bucket, key, item.get("VersionId"))
                self.store.delete(Bucket, key)
                deleted.append({"Key": key})
            except err.S3Error as exc:
                errors.append({"Key": key, "Code": exc.code, "Message": exc.message})
        result: dict[str, Any] = {"Errors": errors or None}
        if not Delete.get("Quiet"):
            result["Deleted"] = deleted
        return result

    @handler("CopyObject", whole_request=True)
    def copy_object(self, Bucket: str, Key: str, CopySource: str, **params: Any) -> dict[str, Any]:
        """Copies an object (metadata copied or replaced), within or across buckets."""
        resource = f"/{Bucket}/{Key}"
        self.store.check_writable(Bucket, Key)
        src = self._copy_source(CopySource, resource)
        check_conditions(src, params, prefix="CopySource")
        directive = (params.get("MetadataDirective") or "COPY").upper()
        tag_directive = (params.get("TaggingDirective") or "COPY").upper()
        if directive not in ("COPY", "REPLACE") or tag_directive not in ("COPY", "REPLACE"):
            raise err.InvalidArgument("Unknown metadata or tagging directive", resource)
        if directive == "REPLACE":
            meta = template_from(params, resource)
        else:
            meta = replace(src.meta, storage_class=params.get("StorageClass") or src.meta.storage_class)
        tags = (
            parse_tags(params.get("Tagging"), resource) if tag_directive == "REPLACE" else dict(src.meta.tags)
        )
        algorithm = (params.get("ChecksumAlgorithm") or src.meta.checksum_algorithm or "").upper() or None
        same = (src.bucket, src.key) == (Bucket, Key)
        if (
            same
            and directive == "COPY"
            and not params.get("StorageClass")
            and not params.get("ChecksumAlgorithm")
        ):
            raise err.InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without "
                "changing the object's metadata, storage class, website redirect location or encryption "
                "attributes (use MetadataDirective=REPLACE)",
                resource=resource,
            )
        meta = replace(
            meta,
            etag="",
            tags=tags,
            checksum_algorithm=algorithm,
            checksum_value=None,
            parts_count=None,
            part_sizes=None,
            derived=False,
        )
        copied = self.store.copy(src, Bucket, Key, meta)
        result = {
            "ETag": quoted(copied.etag),
            "LastModified": datetime.fromtimestamp(copied.mtime_ns / 1e9, UTC),
        }
        result.update(checksum_fields(copied))
        result.pop("ChecksumType", None)
        return {"CopyObjectResult": result, "ServerSideEncryption": "AES256"}

    def _copy_source(self, copy_source: str, resource: str) -> StoredObject:
        text = unquote(copy_source)
        text, _, version = text.partition("?versionId=")
        bucket, _, key = text.lstrip("/").partition("/")
        if not bucket or not key:
            raise err.InvalidArgument(
                "Copy Source must mention the source bucket and key: sourcebucket/sourcekey "
                f"(got {copy_source!r})",
                resource,
                "x-amz-copy-source",
                copy_source,
            )
        check_version(bucket, key, version or None)
        return self.store.head(bucket, key)

    # ---- tags -----------------------------------------------------------------------------
    @handler("PutObjectTagging")
    def put_object_tagging(
        self,
        Bucket: str,
        Key: str,
        Tagging: dict[str, Any] | None = None,
        VersionId: str | None = None,
        ContentMD5: str | None = None,
        ChecksumAlgorithm: str | None = None,
        ExpectedBucketOwner: str | None = None,
        RequestPayer: str | None = None,
    ) -> dict[str, Any]:
        """Sets an object's tags (the body is never touched)."""
        if Tagging is None:
            raise err.MalformedXML(f"/{Bucket}/{Key}", "PutObjectTagging needs a <Tagging> document")
        tags = tags_from_set(Tagging)
        if len(tags) > 10:
            raise err.S3Error(
                f"Object tags cannot be greater than 10 (got {len(tags)})",
                code="BadRequest",
                status=400,
                resource=f"/{Bucket}/{Key}",
            )
        self.store.update_meta(Bucket, Key, tags=tags)
        return {}

    @handler("GetObjectTagging")
    def get_object_tagging(
        self,
        Bucket: str,
        Key: str,
        VersionId: str | None = None,
        ExpectedBucketOwner: str | None = None,
        RequestPayer: str | None = None,
    ) -> dict[str, Any]:
        """Returns an object's tags."""
        return {"TagSet": tag_set(self.store.head(Bucket, Key).meta.tags)}

    @handler("DeleteObjectTagging")
    def delete_object_tagging(
        self, Bucket: str, Key: str, VersionId: str | None = None, ExpectedBucketOwner: str | None = None
    ) -> dict[str, Any]:
        """Removes an object's tags (the body is never touched)."""
        self.store.update_meta(Bucket, Key, tags={})
        return {}


class _Empty:
    def read(self, size: int = -1) -> bytes:
        return b""
