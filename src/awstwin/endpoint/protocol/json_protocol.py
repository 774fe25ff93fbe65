"""The `json` protocol (awsJson1_1) used by Glue and Athena, driven by botocore's service model.

Requests are parsed and validated against the operation's input shape, dispatched to the first
handler object with a method named after the operation (`GetTable` -> `get_table(**params)`), and the
result is shaped by the output shape. Services stay free of HTTP: tests can call `invoke()`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.model import OperationNotFoundError, Shape
from botocore.validate import ParamValidator
from werkzeug.wrappers import Request, Response

from awstwin.endpoint.errors import AwsError, NotImplementedByEndpoint, UnknownOperation

log = logging.getLogger(__name__)

_SESSION = botocore.session.get_session()


def strict_models() -> bool:
    """In strict mode (tests) a response that does not fit botocore's output shape is a 500."""
    return os.environ.get("AWSTWIN_STRICT_MODEL", "") == "1"


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except ValueError:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise TypeError(f"not a timestamp: {value!r}")


def decode_input(shape: Shape | None, value: Any) -> Any:
    """Turn wire JSON into the Python values botocore's validator expects (datetimes, bytes)."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: decode_input(members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [decode_input(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: decode_input(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        try:
            return _to_datetime(value)
        except (TypeError, ValueError):
            return value  # let validation report it
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value)
        except ValueError:
            return value
    return value


def encode_output(shape: Shape | None, value: Any, unknown: list[str], path: str = "") -> Any:
    """Shape a handler's result for the wire: drop None, epoch timestamps, base64 blobs.

    Keys that the output shape does not have are dropped and recorded in `unknown`.
    """
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            member = shape.members.get(key)
            if member is None:
                unknown.append(f"{path}{key}")
                continue
            out[key] = encode_output(member, item, unknown, f"{path}{key}.")
        return out
    if kind == "list":
        return [encode_output(shape.member, v, unknown, path) for v in value]
    if kind == "map":
        return {k: encode_output(shape.value, v, unknown, path) for k, v in value.items()}
    if kind == "timestamp":
        return _to_datetime(value).timestamp()
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(raw).decode()
    if kind in ("integer", "long") and isinstance(value, float):
        return int(value)
    return value


def _as_client_values(shape: Shape | None, value: Any) -> Any:
    """Convert encoded output back to client-side types so botocore's validator can check it."""
    return decode_input(shape, value)


class JsonService:
    """A WSGI app for one `json`-protocol service, dispatching operations to handler objects."""

    def __init__(
        self,
        service_name: str,
        handlers: Iterable[object],
        *,
        validation_error_code: str = "ValidationException",
    ):
        self.service_name = service_name
        self.model = _SESSION.get_service_model(service_name)
        self.handlers = list(handlers)
        self.validation_error_code = validation_error_code
        self._validator = ParamValidator()

    def close(self) -> None:
        """Let handlers stop their background work (running crawls, job processes, queries)."""
        for handler in self.handlers:
            closer = getattr(handler, "close", None)
            if callable(closer):
                closer()

    # -- dispatch without HTTP -------------------------------------------------------------------
    def _method(self, operation: str) -> Callable[..., dict[str, Any] | None]:
        name = xform_name(operation)
        for handler in self.handlers:
            method = getattr(handler, name, None)
            if callable(method):
                return method
        raise NotImplementedByEndpoint(self.service_name, operation)

    def implemented_operations(self) -> list[str]:
        return [op for op in self.model.operation_names if self._has(op)]

    def _has(self, operation: str) -> bool:
        try:
            self._method(operation)
            return True
        except NotImplementedByEndpoint:
            return False

    def invoke(self, operation: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Validate `params`, call the handler, and return the wire-shaped (JSON-ready) result."""
        try:
            op_model = self.model.operation_model(operation)
        except OperationNotFoundError:
            prefix = self.model.metadata["targetPrefix"]
            raise UnknownOperation(f"{prefix}.{operation} is not an operation") from None
        params = decode_input(op_model.input_shape, params or {})
        if op_model.input_shape is not None:
            report = self._validator.validate(params, op_model.input_shape)
            if report.has_errors():
                raise AwsError(report.generate_report(), code=self.validation_error_code)
        result = self._method(operation)(**params) or {}
        unknown: list[str] = []
        encoded = encode_output(op_model.output_shape, result, unknown)
        self._check_output(operation, op_model.output_shape, encoded, unknown)
        return encoded

    def _check_output(self, operation: str, shape: Shape | None, encoded: Any, unknown: list[str]) -> None:
        problems = [f"unknown output key {k}" for k in unknown]
        if shape is not None:
            report = self._validator.validate(_as_client_values(shape, encoded), shape)
            if report.has_errors():
                problems.append(report.generate_report())
        if not problems:
            return
        message = f"{self.service_name}:{operation} response does not fit botocore's model: {problems}"
        if strict_models():
            raise AwsError(message, code="InternalFailure", status=500)
        log.warning(message)

    # -- HTTP ------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        target = request.headers.get("X-Amz-Target", "")
        operation = target.split(".", 1)[1] if "." in target else ""
        try:
            if not operation:
                raise UnknownOperation("missing X-Amz-Target header")
            body = request.get_data() or b"{}"
            try:
                params = json.loads(body)
            except json.JSONDecodeError as exc:
                raise AwsError(f"request body is not JSON: {exc}", code="SerializationException") from exc
            result = self.invoke(operation, params)
            return _json_response(200, result, request_id)
        except AwsError as error:
            return _error_response(error, request_id)
        except Exception as exc:  # a bug of ours: say so, AWS-shaped, and keep serving
            log.exception("%s:%s failed", self.service_name, operation)
            return _error_response(
                AwsError(f"{type(exc).__name__}: {exc}", code="InternalFailure", status=500), request_id
            )


def _json_response(status: int, payload: dict[str, Any], request_id: str) -> Response:
    return Response(
        json.dumps(payload, default=str),
        status=status,
        headers={"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id},
    )


def _error_response(error: AwsError, request_id: str) -> Response:
    response = _json_response(error.status, {"__type": error.code, "message": error.message}, request_id)
    response.headers["x-amzn-ErrorType"] = error.code
    return response
