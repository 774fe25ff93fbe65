"""S3's wire side: address -> operation -> handler -> XML, over the file-backed `ObjectStore`.

Addressing: path style (`/bucket/key`) and virtual-host style, where the bucket is the first label
of the Host header (`bucket.localhost:4566`, `bucket.s3.localhost.localstack.cloud:4566`,
`bucket.s3.amazonaws.com`, `bucket.s3.us-west-2.amazonaws.com`). Which operation a request is,
and the shape of its input and output, comes from botocore's model (`protocol.py`); an operation or
sub-resource without a handler is a 501 that names it, and nothing is stored or read.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote

from werkzeug.wrappers import Request, Response

from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.operations import Registry
from awstwin.endpoint.s3 import protocol
from awstwin.endpoint.s3.exceptions import MethodNotAllowed, NotImplementedOperation, NotModified, S3Error
from awstwin.endpoint.s3.operations import S3Operations
from awstwin.endpoint.s3.store import ObjectStore

log = logging.getLogger(__name__)

# Host suffixes that carry the bucket as their first label(s); tried in this order.
VIRTUAL_HOST_SUFFIXES = (
    re.compile(r"^(?P<bucket>.+?)\.s3\.localhost\.localstack\.cloud$"),
    re.compile(r"^(?P<bucket>.+?)\.localhost\.localstack\.cloud$"),
    re.compile(r"^(?P<bucket>.+?)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com(?:\.cn)?$"),
    re.compile(r"^(?P<bucket>.+?)\.s3\.amazonaws\.com$"),
    re.compile(r"^(?P<bucket>.+?)\.localhost$"),
)
NOT_BUCKETS = {"s3", "s3-external-1", "localstack", "localhost"}
NO_CONTENT = {
    "DeleteObject",
    "DeleteBucket",
    "DeleteObjectTagging",
    "DeleteBucketTagging",
    "DeleteBucketPolicy",
    "DeleteBucketEncryption",
    "DeletePublicAccessBlock",
    "AbortMultipartUpload",
}


def bucket_from_host(host: str) -> str | None:
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else ""
    for pattern in VIRTUAL_HOST_SUFFIXES:
        match = pattern.match(name)
        if match and match.group("bucket") not in NOT_BUCKETS:
            return match.group("bucket")
    return None


def _raw_path(environ: dict[str, Any]) -> str:
    """The request path as sent (so `%2F` and `+` in keys survive), decoded as UTF-8."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0]
        if "://" in path:  # absolute-form request line (proxies)
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        return unquote(path, encoding="utf-8", errors="replace")
    return environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")


def address(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(bucket, key) from the Host header and the path; key None for bucket-level requests."""
    path = _raw_path(environ)
    host_bucket = bucket_from_host(environ.get("HTTP_HOST", ""))
    if host_bucket is not None:
        key = path[1:] if path.startswith("/") else path
        return host_bucket, key or None
    rest = path[1:] if path.startswith("/") else path
    if not rest:
        return None, None
    bucket, _, key = rest.partition("/")
    return bucket, key or None


class S3App:
    """The WSGI app the endpoint routes S3 requests to."""

    def __init__(self, store: ObjectStore, region: str = "us-east-1"):
        self.store = store
        self.operations = S3Operations(store, region)
        self.registry = Registry.of("s3", protocol.s3_model(), [self.operations])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        request_id = uuid.uuid4().hex[:16].upper()
        head = request.method == "HEAD"
        resource = "/"
        try:
            bucket, key = address(request.environ)
            resource = f"/{bucket}/{key}" if key else f"/{bucket or ''}"
            response = self._dispatch(request, bucket, key, resource)
        except NotModified as exc:
            response = Response(status=304, headers=exc.headers)
        except S3Error as exc:
            if exc.hint:
                log.info("S3 %s on %s %s: %s", exc.code, request.method, exc.resource or resource, exc.hint)
            response = self._error(
                exc.code, exc.message, exc.status, exc.resource or resource, request_id, exc.extra, head
            )
        except AwsError as exc:
            response = self._error(exc.code, exc.message, exc.status, resource, request_id, {}, head)
        except Exception as exc:  # a bug of ours: say so in AWS's shape, and log it
            log.exception("S3 %s %s failed", request.method, resource)
            message = f"The local S3 failed on {request.method} {resource}: {type(exc).__name__}: {exc}"
            response = self._error("InternalError", message, 500, resource, request_id, {}, head)
        response.headers["x-amz-request-id"] = request_id
        response.headers["x-amz-id-2"] = request_id
        return response

    def _dispatch(self, request: Request, bucket: str | None, key: str | None, resource: str) -> Response:
        query = dict(parse_qsl(request.environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if bucket is None:
            if request.method != "GET":
                raise MethodNotAllowed(f"{request.method} is not allowed on the service root", resource="/")
            name = "ListBuckets"
        else:
            name = protocol.match_operation(request.method, key is not None, query, request.headers, resource)
        handler = self.registry.get(name)
        if handler is None:
            raise NotImplementedOperation(name, resource)
        from awstwin.endpoint.s3.chunked import RequestBody

        op = protocol.operation(name)
        body = RequestBody(request.stream, request.headers, resource)  # type: ignore[arg-type]
        params = protocol.parse_input(op, bucket, key, query, request.headers, body, resource)
        result = handler.function(**params)
        status = result.pop("_status", 204 if name in NO_CONTENT else 200)
        if name == "GetBucketLocation":
            return self._location(result)
        output = protocol.serialize_output(op, result)
        return self._response(output, status, request.method == "HEAD")

    def _response(self, output: protocol.Output, status: int, head: bool) -> Response:
        headers = dict(output.headers)
        body = output.body
        content_type = headers.pop("Content-Type", None)
        if isinstance(body, bytes):
            if body and content_type is None:
                content_type = "application/xml"
            response = Response(b"" if head else body, status=status, content_type=content_type)
        else:
            response = Response(body, status=status, content_type=content_type, direct_passthrough=True)
        if content_type is None:
            response.headers.pop("Content-Type", None)
        for name, value in headers.items():
            response.headers[name] = value
        return response

    def _location(self, result: dict[str, Any]) -> Response:
        from xml.etree import ElementTree

        root = ElementTree.Element("LocationConstraint", xmlns=protocol.S3_NAMESPACE)
        root.text = result.get("LocationConstraint")
        return Response(protocol.to_xml(root), content_type="application/xml")

    def _error(
        self,
        code: str,
        message: str,
        status: int,
        resource: str,
        request_id: str,
        extra: dict[str, str],
        head: bool,
    ) -> Response:
        if head:  # HEAD responses never have a body; the status says it all
            return Response(status=status)
        body = protocol.error_xml(code, message, resource, request_id, extra)
        return Response(body, status=status, content_type="application/xml")

    def close(self) -> None:
        """Nothing runs in the background; objects are files already."""
