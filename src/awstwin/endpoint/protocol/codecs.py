"""The wire protocols botocore speaks, server side: read a request, write a response or an error.

- `AwsJson`   awsJson 1.0/1.1: `POST /`, the operation in `X-Amz-Target: <prefix>.<Operation>`, a JSON body
  (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
- `RestJson`  restJson1: the operation is the HTTP method and path of the model's `http` trait; members
  are bound to the path, query string, headers or the JSON body
  (https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html).
- `RpcV2Cbor` Smithy RPC v2 CBOR: `POST /service/<prefix>/operation/<Operation>`, `smithy-protocol:
  rpc-v2-cbor`, a CBOR body (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html).
All three read into the JSON-shaped values of `values.decode_input` and write from the JSON-ready
values of `values.encode_output`, so a service's handlers never see which protocol was used.
(S3's rest-xml lives in `s3/protocol.py`, the query protocol (CloudFormation) in `query.py`.)
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import unquote

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape
from werkzeug.wrappers import Request, Response

from awstwin.endpoint.errors import AwsError, UnknownOperation


def _json_body(request: Request) -> Any:
    body = request.get_data() or b"{}"
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AwsError(f"Request body is not valid JSON: {exc}", code="SerializationException") from None


def _error_body(error: AwsError) -> dict[str, str]:
    return {**error.fields, "__type": error.code, "message": error.message}


class AwsJson:
    """awsJson 1.0 / 1.1."""

    name = "json"

    def __init__(self, model: ServiceModel, prefixes: tuple[str, ...], version: str):
        self.model = model
        self.prefixes = prefixes
        self.content_type = f"application/x-amz-json-{version}"

    def operation(self, request: Request) -> str:
        target = request.headers.get("X-Amz-Target", "")
        prefix, _, name = target.partition(".")
        if not name or prefix not in self.prefixes:
            raise UnknownOperation(f"{target or 'no X-Amz-Target'} is not an operation of this service")
        return name

    def parse(self, request: Request, op: OperationModel) -> dict[str, Any]:
        params = _json_body(request)
        if not isinstance(params, dict):
            raise AwsError("Request body must be a JSON object", code="SerializationException")
        return params

    def reply(self, op: OperationModel, encoded: dict[str, Any], request_id: str) -> Response:
        return self._json(200, encoded, request_id)

    def error(self, error: AwsError, request_id: str) -> Response:
        response = self._json(error.status, _error_body(error), request_id)
        response.headers["x-amzn-ErrorType"] = error.code
        return response

    def _json(self, status: int, payload: Any, request_id: str) -> Response:
        headers = {"Content-Type": self.content_type, "x-amzn-RequestId": request_id}
        return Response(json.dumps(payload, default=str), status=status, headers=headers)


# ---- restJson1 -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RestRoute:
    operation: str
    method: str
    pattern: re.Pattern[str]
    labels: dict[str, str]  # regex group -> uri label
    literals: tuple[tuple[str, str], ...]  # query literals of the request URI (`?tagging`)
    weight: tuple[int, int]  # literal characters of the path, then fewer greedy labels first


def _route(op: OperationModel) -> RestRoute:
    path, _, query = op.http["requestUri"].partition("?")
    regex, labels, literal_chars, greedy = "", {}, 0, 0
    for index, part in enumerate(re.split(r"(\{[^}]+\})", path)):
        if part.startswith("{") and part.endswith("}"):
            label = part[1:-1]
            group = f"g{index}"
            if label.endswith("+"):
                label, greedy = label[:-1], greedy + 1
                regex += f"(?P<{group}>.+)"
            else:
                regex += f"(?P<{group}>[^/]+)"
            labels[group] = label
        else:
            regex += re.escape(part)
            literal_chars += len(part)
    literals = tuple((k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p))
    pattern = re.compile("^" + regex.rstrip("/") + "/?$")
    return RestRoute(op.name, op.http["method"], pattern, labels, literals, (literal_chars, -greedy))


@cache
def rest_routes(model: ServiceModel) -> tuple[RestRoute, ...]:
    routes = [_route(model.operation_model(name)) for name in model.operation_names]
    return tuple(sorted(routes, key=lambda r: r.weight, reverse=True))


def has_rest_routes(model: ServiceModel) -> bool:
    """Does the model bind operations to paths (a rest protocol), not all to `POST /`?"""
    return any(model.operation_model(n).http.get("requestUri", "/") != "/" for n in model.operation_names)


def _raw_path(request: Request) -> str:
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return raw.split("?", 1)[0]
    return request.environ.get("PATH_INFO", "/")


def _scalar(shape: Shape, text: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            return text.strip().lower() == "true"
        if kind == "timestamp":
            return _parse_time(text)
        if kind == "blob":
            return base64.b64decode(text)
    except (ValueError, TypeError):
        raise AwsError(f"Cannot read {text!r} as {kind}", code="SerializationException") from None
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return json.loads(base64.b64decode(text))
    return text


def _parse_time(text: str) -> datetime:
    text = text.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _header_text(shape: Shape, value: Any, default_time: str = "rfc822") -> str:
    kind = shape.type_name
    if kind == "timestamp":
        when = datetime.fromtimestamp(float(value), UTC)
        fmt = shape.serialization.get("timestampFormat", default_time)
        if fmt == "iso8601":
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "unixTimestamp":
            return str(int(value))
        return format_datetime(when.replace(microsecond=0), usegmt=True)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "list":
        return ",".join(_header_text(shape.member, v) for v in value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    return str(value)


class RestJson:
    """restJson1: routes and bindings from the model's `http` traits and member locations."""

    name = "rest-json"

    def __init__(self, model: ServiceModel):
        self.model = model
        self._labels: dict[str, str] = {}

    def operation(self, request: Request) -> str:
        path = _raw_path(request)
        for route in rest_routes(self.model):
            if route.method != request.method:
                continue
            if any(k not in request.args or (v and request.args[k] != v) for k, v in route.literals):
                continue
            match = route.pattern.match(path)
            if match:
                request.environ["awstwin.uri_labels"] = {
                    route.labels[g]: unquote(v) for g, v in match.groupdict().items()
                }
                return route.operation
        raise UnknownOperation(f"No operation of {self.model.service_name} at {request.method} {path}")

    def parse(self, request: Request, op: OperationModel) -> dict[str, Any]:
        shape = op.input_shape
        if shape is None:
            return {}
        labels = request.environ.get("awstwin.uri_labels", {})
        params: dict[str, Any] = {}
        bound_query: set[str] = set()
        payload = shape.serialization.get("payload")
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri" and wire in labels:
                params[name] = _scalar(member, labels[wire])
            elif location == "querystring" and member.type_name != "map" and wire in request.args:
                bound_query.add(wire)
                if member.type_name == "list":
                    params[name] = [_scalar(member.member, v) for v in request.args.getlist(wire)]
                else:
                    params[name] = _scalar(member, request.args[wire])
            elif location == "header" and wire in request.headers:
                text = request.headers[wire]
                if member.type_name == "list":
                    params[name] = [_scalar(member.member, v.strip()) for v in text.split(",")]
                else:
                    params[name] = _scalar(member, text)
            elif location == "headers":
                prefix = wire.lower()
                found = {
                    k[len(prefix) :]: v for k, v in request.headers.items() if k.lower().startswith(prefix)
                }
                if found:
                    params[name] = found
        for name, member in shape.members.items():  # a map bound to the query string takes the rest
            if member.serialization.get("location") == "querystring" and member.type_name == "map":
                rest = {k: v for k, v in request.args.items() if k not in bound_query}
                if rest:
                    params[name] = rest
        if payload:
            member = shape.members[payload]
            data = request.get_data()
            if member.type_name == "structure":
                if data:
                    params[payload] = _json_body(request)
            elif data:
                params[payload] = data if member.type_name == "blob" else data.decode("utf-8")
        elif request.get_data():
            body = _json_body(request)
            if not isinstance(body, dict):
                raise AwsError("Request body must be a JSON object", code="SerializationException")
            for key, value in body.items():
                member = shape.members.get(key)
                if member is not None and member.serialization.get("location"):
                    continue  # a bound member sent in the body too: the binding wins
                params[key] = value
        return params

    def reply(self, op: OperationModel, encoded: dict[str, Any], request_id: str) -> Response:
        shape = op.output_shape
        status = int(op.http.get("responseCode", 200))
        headers = {"x-amzn-RequestId": request_id}
        body: bytes | str = b"{}"
        content_type = "application/json"
        if shape is not None:
            payload = shape.serialization.get("payload")
            members: dict[str, Any] = {}
            for name, member in shape.members.items():
                value = encoded.get(name)
                if value is None:
                    continue
                location = member.serialization.get("location")
                wire = member.serialization.get("name", name)
                if location == "header":
                    headers[wire] = _header_text(member, value)
                elif location == "headers":
                    headers.update({f"{wire}{k}": str(v) for k, v in value.items()})
                elif location == "statusCode":
                    status = int(value)
                elif name == payload:
                    if member.type_name == "blob":
                        body, content_type = base64.b64decode(value), "application/octet-stream"
                    elif member.type_name == "string":
                        body, content_type = str(value), "text/plain"
                    else:
                        body = json.dumps(value, default=str)
                else:
                    members[name] = value
            if not payload:
                body = json.dumps(members, default=str)
        headers["Content-Type"] = content_type
        return Response(body, status=status, headers=headers)

    def error(self, error: AwsError, request_id: str) -> Response:
        headers = {
            "Content-Type": "application/json",
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": error.code,
        }
        return Response(json.dumps(_error_body(error)), status=error.status, headers=headers)


# ---- Smithy RPC v2 CBOR -----------------------------------------------------------------------------
RPC_V2_PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$")


def is_rpc_v2_cbor(request: Request) -> bool:
    return request.headers.get("smithy-protocol", "").lower() == "rpc-v2-cbor"


def _to_cbor(shape: Shape | None, value: Any) -> Any:
    """JSON-ready values (epoch numbers, base64 text) -> CBOR's own types (tagged time, bytes)."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _to_cbor(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_to_cbor(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _to_cbor(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return datetime.fromtimestamp(float(value), UTC)
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    return value


class RpcV2Cbor:
    """Smithy RPC v2 CBOR."""

    name = "smithy-rpc-v2-cbor"

    def __init__(self, model: ServiceModel, prefixes: tuple[str, ...]):
        self.model = model
        self.prefixes = prefixes

    def operation(self, request: Request) -> str:
        match = RPC_V2_PATH.match(_raw_path(request))
        if match is None or match["service"] not in self.prefixes:
            raise UnknownOperation(f"{request.path} is not an RPC v2 operation of this service")
        return match["operation"]

    def parse(self, request: Request, op: OperationModel) -> dict[str, Any]:
        data = request.get_data()
        if not data:
            return {}
        try:
            params = cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError) as exc:
            raise AwsError(f"Request body is not valid CBOR: {exc}", code="SerializationException") from None
        if not isinstance(params, dict):
            raise AwsError("Request body must be a CBOR map", code="SerializationException")
        return params

    def reply(self, op: OperationModel, encoded: dict[str, Any], request_id: str) -> Response:
        return self._cbor(200, _to_cbor(op.output_shape, encoded), request_id)

    def error(self, error: AwsError, request_id: str) -> Response:
        return self._cbor(error.status, _error_body(error), request_id)

    def _cbor(self, status: int, payload: Any, request_id: str) -> Response:
        headers = {
            "Content-Type": "application/cbor",
            "smithy-protocol": "rpc-v2-cbor",
            "x-amzn-RequestId": request_id,
        }
        body = cbor2.dumps(payload, datetime_as_timestamp=True, timezone=UTC)
        return Response(body, status=status, headers=headers)
