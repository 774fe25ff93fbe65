"""S3's REST-XML protocol, read from botocore's `s3` service model instead of typed by hand.

- `match_operation`: which operation a request is. Every operation's method, URI and query literals
  (`?tagging`, `?list-type=2`) and its required query/header members come from the model; the
  request's sub-resources must be exactly the operation's, so `PUT /b/k?tagging` can only ever be
  PutObjectTagging - never PutObject - whether or not we implement it.
- `parse_input`: uri/querystring/header/headers members and the XML payload -> the botocore
  parameter names the handlers take as keyword arguments.
- `serialize_output`: a handler's dict -> status, headers and an XML body shaped by the output
  shape (member names, flattened lists, ISO-8601 timestamps in bodies, RFC-822 in headers).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any
from xml.etree import ElementTree

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.parsers import RestXMLParser

from awstwin.endpoint.protocol.values import strict_models
from awstwin.endpoint.s3 import xml_text
from awstwin.endpoint.s3.exceptions import InvalidArgument, MalformedXML, NotImplementedOperation

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
# Query parameters that only carry a signature (presigned URLs) or SDK hints, never an operation.
IGNORED_QUERY = {
    "x-id",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "X-Amz-User-Agent",
    "AWSAccessKeyId",
    "Signature",
    "Expires",
}
# The XML root element of each body-shaped output (the model only names the members).
ROOT_NAMES = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "DeleteObjects": "DeleteResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "ListParts": "ListPartsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "GetObjectTagging": "Tagging",
    "GetBucketTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetObjectAttributes": "GetObjectAttributesResponse",
}


@cache
def s3_model() -> Any:
    return botocore.session.get_session().get_service_model("s3")


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    has_key: bool
    literals: tuple[tuple[str, str], ...]  # query literals from the request URI
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    query_members: frozenset[str]  # every querystring parameter the operation knows

    @property
    def score(self) -> int:
        return 10 * len(self.literals) + len(self.required_query) + len(self.required_headers)


@cache
def routes() -> tuple[tuple[Route, ...], frozenset[str]]:
    """Every non-deprecated S3 operation's route, and the set of all sub-resource names."""
    model = s3_model()
    found = []
    subresources: set[str] = set()
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.deprecated or name in ("WriteGetObjectResponse", "ListDirectoryBuckets"):
            continue
        path, _, query = op.http["requestUri"].partition("?")
        if "{Bucket}" not in path:
            continue  # ListBuckets: the service root, answered before matching
        literals = []
        for part in filter(None, query.split("&")):
            key, _, value = part.partition("=")
            literals.append((key, value))
            subresources.add(key)
        required = set(op.input_shape.required_members) if op.input_shape else set()
        members = op.input_shape.members if op.input_shape else {}
        req_query = tuple(
            m.serialization["name"]
            for n, m in members.items()
            if n in required and m.serialization.get("location") == "querystring"
        )
        req_headers = tuple(
            m.serialization["name"].lower()
            for n, m in members.items()
            if n in required and m.serialization.get("location") == "header"
        )
        known = frozenset(
            m.serialization["name"]
            for m in members.values()
            if m.serialization.get("location") == "querystring"
        )
        has_key = "{Key+}" in path
        found.append(Route(name, op.http["method"], has_key, tuple(literals), req_query, req_headers, known))
    return tuple(found), frozenset(subresources)


def match_operation(method: str, has_key: bool, query: dict[str, str], headers: Any, resource: str) -> str:
    """The S3 operation this request is; unknown sub-resources are refused, never guessed."""
    all_routes, subresources = routes()
    asked = {k for k in query if k in subresources}
    unknown = sorted(k for k in query if k not in subresources and k not in IGNORED_QUERY)
    best: Route | None = None
    for route in all_routes:
        if route.method != method or route.has_key != has_key:
            continue
        if asked != {k for k, _ in route.literals}:
            continue
        if any(v and query.get(k) != v for k, v in route.literals):
            continue
        if any(q not in query for q in route.required_query):
            continue
        if any(h not in headers for h in route.required_headers):
            continue
        if best is None or route.score > best.score:
            best = route
    if best is None or set(unknown) - best.query_members:
        what = "&".join(sorted(asked | (set(unknown) - (best.query_members if best else set())))) or "(none)"
        raise NotImplementedOperation(
            f"{method} {'object' if has_key else 'bucket'} request", resource, f" for sub-resource ?{what}"
        )
    return best.name


def operation(name: str) -> OperationModel:
    return s3_model().operation_model(name)


# ---- input -----------------------------------------------------------------------------------
def _scalar(shape: Shape, text: str, name: str, resource: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind == "boolean":
            return text.strip().lower() == "true"
        if kind == "timestamp":
            return parse_timestamp(text)
    except (ValueError, TypeError):
        raise InvalidArgument(f"Invalid value for {name}: {text!r}", resource, name, text) from None
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return json.loads(base64.b64decode(text))
    return text


def parse_timestamp(text: str) -> datetime:
    text = text.strip()
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_input(
    op: OperationModel,
    bucket: str | None,
    key: str | None,
    query: dict[str, str],
    headers: Any,
    body: Any,
    resource: str,
) -> dict[str, Any]:
    """Request -> keyword arguments named as botocore names them. `body` is a stream or bytes."""
    shape = op.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            value = bucket if wire == "Bucket" else key
            if value is not None:
                params[name] = value
        elif location == "querystring" and wire in query:
            params[name] = _scalar(member, query[wire], wire, resource)
        elif location == "header" and wire in headers:
            params[name] = _scalar(member, headers[wire], wire, resource)
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix) :].lower(): v for k, v in headers.items() if k.lower().startswith(prefix)}
            if found:
                params[name] = found
        elif name == payload:
            value = _payload(member, body, resource)
            if value is not None:
                params[name] = value
    return params


def _payload(member: Shape, body: Any, resource: str) -> Any:
    if member.type_name == "blob" and member.serialization.get("streaming", member.metadata.get("streaming")):
        return body
    data = body.read() if hasattr(body, "read") else body
    if not data:
        return None
    if member.type_name == "structure":
        return parse_xml(member, data, resource)
    if member.type_name == "string":
        return data.decode("utf-8")
    return data


def parse_xml(shape: Shape, data: bytes, resource: str) -> dict[str, Any]:
    parser = RestXMLParser()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise MalformedXML(resource, str(exc)) from None
    try:
        return parser._parse_shape(shape, root)
    except Exception as exc:  # the model parser's own errors: the document does not fit the shape
        raise MalformedXML(resource, f"{type(exc).__name__}: {exc}") from None


# ---- output ----------------------------------------------------------------------------------
def iso8601(value: datetime) -> str:
    value = value.astimezone(UTC)
    if value.year < 1000:  # where the C library's %Y pads differently
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return (
        f"{value.year}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
        f"{value.second:02d}.{value.microsecond // 1000:03d}Z"
    )


def http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def header_value(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "rfc822")
        when = _as_datetime(value)
        return iso8601(when) if fmt == "iso8601" else http_date(when)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    return str(value)


def to_xml(root: ElementTree.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="utf-8")


@dataclass
class Output:
    headers: dict[str, str]
    body: Any  # bytes, or a file-like/iterable for streamed object bodies


def unknown_members(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """Keys of `value` (at any depth) that the shape does not have: handler bugs botocore would drop."""
    if shape is None or value is None:
        return []
    if shape.type_name == "structure" and isinstance(value, dict):
        found = [f"{path}{k}" for k in value if k not in shape.members]
        for name, member in shape.members.items():
            found += unknown_members(member, value.get(name), f"{path}{name}.")
        return found
    if shape.type_name == "list" and isinstance(value, list):
        return [u for item in value for u in unknown_members(shape.member, item, path)]
    return []


def serialize_output(op: OperationModel, result: dict[str, Any]) -> Output:
    shape = op.output_shape
    headers: dict[str, str] = {}
    if strict_models():
        unknown = unknown_members(shape, result) if shape else sorted(result)
        if unknown:
            raise RuntimeError(f"{op.name} output has members botocore's model does not know: {unknown}")
    if shape is None:
        return Output(headers, b"")
    payload = shape.serialization.get("payload")
    body_members: dict[str, Any] = {}
    body: Any = b""
    for name, member in shape.members.items():
        value = result.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "header":
            headers[wire] = header_value(member, value)
        elif location == "headers":
            for meta_key, meta_value in value.items():
                headers[f"{wire}{meta_key}"] = str(meta_value)
        elif location == "statusCode":
            continue
        elif name == payload:
            body = _payload_body(member, value, name)
        else:
            body_members[name] = value
    if body_members:
        root_name = ROOT_NAMES.get(op.name, op.name + "Result")
        body = xml_text.document(shape, body_members, root_name, [("xmlns", S3_NAMESPACE)], _body_timestamp)
    return Output(headers, body)


def _body_timestamp(value: Any) -> str:
    return iso8601(_as_datetime(value))


def _payload_body(member: Shape, value: Any, name: str) -> Any:
    if member.type_name == "structure":
        root_name = member.serialization.get("name", name)
        return xml_text.document(member, value, root_name, [("xmlns", S3_NAMESPACE)], _body_timestamp)
    if isinstance(value, str):
        return value.encode("utf-8")
    return value


def error_xml(code: str, message: str, resource: str, request_id: str, extra: dict[str, str]) -> bytes:
    root = ElementTree.Element("Error")
    for tag, text in (("Code", code), ("Message", message), *extra.items(), ("Resource", resource)):
        if text:
            ElementTree.SubElement(root, tag).text = text
    ElementTree.SubElement(root, "RequestId").text = request_id
    ElementTree.SubElement(root, "HostId").text = request_id
    return to_xml(root)
