"""An error in the protocol of the request it answers, the way that AWS service sends it.

Which protocol a request speaks is read the way the front door reads it: an `X-Amz-Target` means
awsJson; a form body means the query protocol (STS, IAM, CloudFormation); a SigV4 credential scope
names the service, whose botocore model gives the protocol (Athena is rest-json in newer botocore);
anything else reaching the endpoint unsigned is S3 (rest-xml), where `routing.py` sends it.
- JSON protocols: `{"__type": code, "message": ...}` with `x-amzn-ErrorType`;
- query (and non-S3 rest-xml): `<ErrorResponse><Error><Type>Sender</Type><Code>...`;
- S3: `<Error><Code>...</Code><Message>...</Message>...<RequestId/><HostId/></Error>`, no body for HEAD.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

JSON, QUERY, S3 = "json", "query", "s3"
_MODEL_PROTOCOLS = {"json": JSON, "rest-json": JSON, "smithy-rpc-v2-cbor": JSON, "query": QUERY, "ec2": QUERY}


def scope_service(environ: dict[str, Any]) -> str | None:
    """The service named in the SigV4 credential scope (header or presigned query), if any."""
    auth = str(environ.get("HTTP_AUTHORIZATION") or "")
    credential = ""
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    else:
        values = parse_qs(str(environ.get("QUERY_STRING") or "")).get("X-Amz-Credential")
        credential = values[0] if values else ""
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


@functools.lru_cache(maxsize=64)
def _model_protocol(service: str) -> str | None:
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except (UnknownServiceError, Exception):
        return None
    protocols = model.metadata.get("protocols") or [model.metadata.get("protocol")]
    return next((_MODEL_PROTOCOLS[p] for p in protocols if p in _MODEL_PROTOCOLS), QUERY)


def protocol_of(environ: dict[str, Any]) -> str:
    if environ.get("HTTP_X_AMZ_TARGET"):
        return JSON
    content_type = str(environ.get("CONTENT_TYPE") or "").lower()
    if "x-www-form-urlencoded" in content_type or "Action" in parse_qs(
        str(environ.get("QUERY_STRING") or "")
    ):
        return QUERY
    service = scope_service(environ)
    if service == "s3":
        return S3
    if service:
        found = _model_protocol(service)
        if found:
            return found
    if "json" in content_type:
        return JSON
    return S3


def error_response(
    environ: dict[str, Any], code: str, message: str, status: int, extra: dict[str, str] | None = None
) -> Response:
    """The error `code` with `message` and HTTP `status`, shaped for the request's protocol."""
    request_id = uuid.uuid4().hex.upper()
    protocol = protocol_of(environ)
    if protocol == JSON:
        response = Response(
            json.dumps({"__type": code, "message": message}),
            status=status,
            content_type="application/x-amz-json-1.1",
        )
        response.headers["x-amzn-ErrorType"] = code
        response.headers["x-amzn-RequestId"] = request_id
    elif protocol == QUERY:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        response = Response(body, status=status, content_type="text/xml")
        response.headers["x-amzn-RequestId"] = request_id
    else:
        details = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (extra or {}).items())
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{details}"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        head = environ.get("REQUEST_METHOD") == "HEAD"
        response = Response(b"" if head else body, status=status, content_type="application/xml")
        response.headers["x-amz-request-id"] = request_id
    return response
