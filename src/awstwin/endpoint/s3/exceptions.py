"""Every error the local S3 can return, with the code and HTTP status AWS uses for it.

Each error knows the resource it is about (`/bucket/key`), which goes into the error XML's
`<Resource>`. Messages are AWS's own texts (clients and tests compare them); what the local endpoint
can add (which key, what to do) is the error's `hint`, written to the endpoint's log.
"""

from __future__ import annotations

from awstwin.endpoint.errors import AwsError


class S3Error(AwsError):
    """An S3 error: code, status, message, and the `/bucket/key` it is about."""

    def __init__(
        self,
        message: str,
        *,
        resource: str = "",
        code: str | None = None,
        status: int | None = None,
        extra: dict[str, str] | None = None,
        hint: str = "",
    ):
        super().__init__(message, code=code, status=status)
        self.resource = resource
        self.hint = hint  # for the endpoint's log, never the wire
        # More children of <Error> (BucketName, Key, UploadId, ...) as AWS sends them.
        self.extra = dict(extra or {})


def _resource(bucket: str, key: str | None = None) -> str:
    return f"/{bucket}/{key}" if key is not None else f"/{bucket}"


class NoSuchBucket(S3Error):
    code, status = "NoSuchBucket", 404

    def __init__(self, bucket: str):
        super().__init__(
            "The specified bucket does not exist",
            resource=_resource(bucket),
            extra={"BucketName": bucket},
            hint=f"no bucket {bucket}: create it with CreateBucket / `aws s3 mb`",
        )


class NoSuchKey(S3Error):
    code, status = "NoSuchKey", 404

    def __init__(self, bucket: str, key: str):
        super().__init__(
            "The specified key does not exist.",
            resource=_resource(bucket, key),
            extra={"Key": key},
        )


class NoSuchUpload(S3Error):
    code, status = "NoSuchUpload", 404

    def __init__(self, bucket: str, key: str, upload_id: str):
        super().__init__(
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
            "been aborted or completed.",
            resource=_resource(bucket, key),
            extra={"UploadId": upload_id},
            hint=f"upload {upload_id} of s3://{bucket}/{key} was completed, aborted, or never created",
        )


class BucketAlreadyOwnedByYou(S3Error):
    code, status = "BucketAlreadyOwnedByYou", 409

    def __init__(self, bucket: str):
        super().__init__(
            "Your previous request to create the named bucket succeeded and you already own it.",
            resource=_resource(bucket),
            extra={"BucketName": bucket},
        )


class BucketNotEmpty(S3Error):
    code, status = "BucketNotEmpty", 409

    def __init__(self, bucket: str, example: str):
        super().__init__(
            "The bucket you tried to delete is not empty",
            resource=_resource(bucket),
            extra={"BucketName": bucket},
            hint=f"{bucket} still holds {example!r}: empty it first (`aws s3 rm s3://{bucket} --recursive`)",
        )


class InvalidBucketName(S3Error):
    code, status = "InvalidBucketName", 400

    def __init__(self, bucket: str, why: str):
        super().__init__(
            "The specified bucket is not valid.",
            resource=_resource(bucket),
            extra={"BucketName": bucket},
            hint=f"{bucket!r}: {why}",
        )


class InvalidRange(S3Error):
    code, status = "InvalidRange", 416

    def __init__(self, bucket: str, key: str, range_header: str, size: int):
        super().__init__(
            "The requested range is not satisfiable",
            resource=_resource(bucket, key),
            extra={"RangeRequested": range_header, "ActualObjectSize": str(size)},
        )


class PreconditionFailed(S3Error):
    code, status = "PreconditionFailed", 412

    def __init__(self, resource: str, condition: str):
        super().__init__(
            "At least one of the pre-conditions you specified did not hold",
            resource=resource,
            extra={"Condition": condition},
        )


class NotModified(S3Error):
    """Not an error to the user: a 304 with no body, raised so the handler stops there."""

    code, status = "NotModified", 304

    def __init__(self, resource: str, etag: str, last_modified: str):
        super().__init__("Not Modified", resource=resource)
        self.headers = {"ETag": etag, "Last-Modified": last_modified}


class MalformedXML(S3Error):
    code, status = "MalformedXML", 400

    def __init__(self, resource: str, why: str):
        super().__init__(
            "The XML you provided was not well-formed or did not validate against our published schema",
            resource=resource,
            hint=why,
        )


class InvalidArgument(S3Error):
    code, status = "InvalidArgument", 400

    def __init__(self, message: str, resource: str = "", name: str = "", value: str = ""):
        extra = {"ArgumentName": name, "ArgumentValue": value} if name else {}
        super().__init__(message, resource=resource, extra=extra)


class InvalidRequest(S3Error):
    code, status = "InvalidRequest", 400


class KeyTooLong(S3Error):
    code, status = "KeyTooLongError", 400


class KeyFolderConflict(S3Error):
    """A key that cannot coexist with another on a file tree (`a` as a file and `a/b` under it).

    AWS itself has no such error; S3 is flat. The local S3 keeps objects as plain files so that
    Spark and DuckDB can read them, and a path cannot be both a file and a folder.
    """

    code, status = "KeyConflictsWithFolder", 409

    def __init__(self, bucket: str, key: str, why: str):
        super().__init__(
            f"Cannot store s3://{bucket}/{key}: {why}. The local S3 keeps every object as a plain "
            "file, so a key cannot also be a folder of other keys; delete the other key(s) first "
            "or choose another name.",
            resource=_resource(bucket, key),
            extra={"Key": key},
        )


class InvalidPart(S3Error):
    code, status = "InvalidPart", 400


class InvalidPartOrder(S3Error):
    code, status = "InvalidPartOrder", 400


class EntityTooSmall(S3Error):
    code, status = "EntityTooSmall", 400


class BadDigest(S3Error):
    code, status = "BadDigest", 400


class IncompleteBody(S3Error):
    code, status = "IncompleteBody", 400


class NoSuchTagSet(S3Error):
    code, status = "NoSuchTagSet", 404

    def __init__(self, resource: str):
        super().__init__("The TagSet does not exist", resource=resource)


class NoSuchBucketPolicy(S3Error):
    code, status = "NoSuchBucketPolicy", 404

    def __init__(self, bucket: str):
        super().__init__("The bucket policy does not exist", resource=_resource(bucket))


class EncryptionNotFound(S3Error):
    code, status = "ServerSideEncryptionConfigurationNotFoundError", 404

    def __init__(self, bucket: str):
        super().__init__(
            "The server side encryption configuration was not found",
            resource=_resource(bucket),
        )


class NoSuchPublicAccessBlock(S3Error):
    code, status = "NoSuchPublicAccessBlockConfiguration", 404

    def __init__(self, bucket: str):
        super().__init__(
            "The public access block configuration was not found",
            resource=_resource(bucket),
        )


class MalformedPolicy(S3Error):
    code, status = "MalformedPolicy", 400


class MethodNotAllowed(S3Error):
    code, status = "MethodNotAllowed", 405


class NotImplementedOperation(S3Error):
    """An operation (or sub-resource) the local S3 does not implement: never guessed at."""

    code, status = "NotImplemented", 501

    def __init__(self, operation: str, resource: str, detail: str = ""):
        super().__init__(
            f"s3:{operation} is not implemented by the local endpoint{detail}; nothing was changed",
            resource=resource,
        )
