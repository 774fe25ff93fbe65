"""One service behind the endpoint: read the request in its protocol, validate, call, answer alike.

The protocol is read from the request itself (`smithy-protocol: rpc-v2-cbor`, an `Action` form field
of the query protocol, an `X-Amz-Target` header, else the model's HTTP routes), so the same service
answers every SDK generation at once: newest boto3 sends Athena rest-json, older ones awsJson 1.1.
The response and any error go back in the protocol of the request. Parameters are checked against
botocore's model before a handler runs: members the input shape does not have, and values of the
wrong type, are a `SerializationException`; missing or out-of-range members are the service's own
validation error (Glue `InvalidInputException`, Athena `InvalidRequestException`, CloudFormation
`ValidationError`). Handlers stay free of HTTP: tests can call `invoke()`.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from botocore.model import OperationNotFoundError, Shape
from botocore.validate import ParamValidator
from werkzeug.wrappers import Request, Response

from awstwin.endpoint.errors import AwsError, NotImplementedByEndpoint, UnknownOperation
from awstwin.endpoint.operations import Operation, Registry
from awstwin.endpoint.protocol import models
from awstwin.endpoint.protocol.codecs import AwsJson, RestJson, RpcV2Cbor, has_rest_routes, is_rpc_v2_cbor
from awstwin.endpoint.protocol.query import AwsQuery
from awstwin.endpoint.protocol.values import decode_input, encode_output, strict_models

log = logging.getLogger(__name__)
# botocore validation error kinds that mean "this is not the shape's data" rather than "a bad value"
SERIALIZATION_ERRORS = {
    "unknown field",
    "invalid type",
    "invalid type for document",
    "unable to encode to json",
}


def unknown_members(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """Member names in a request that its input shape does not have, at any depth."""
    if shape is None or value is None:
        return []
    if shape.type_name == "structure" and isinstance(value, dict):
        found = [f"{path}{k}" for k in value if k not in shape.members]
        for name, member in shape.members.items():
            if name in value:
                found += unknown_members(member, value[name], f"{path}{name}.")
        return found
    if shape.type_name == "list" and isinstance(value, list):
        return [u for item in value for u in unknown_members(shape.member, item, path)]
    if shape.type_name == "map" and isinstance(value, dict):
        return [u for item in value.values() for u in unknown_members(shape.value, item, path)]
    return []


class ServiceApp:
    """The WSGI app of one service the endpoint implements itself, over its operation registry."""

    def __init__(self, registry: Registry, backends: Iterable[object], *, invalid_input_code: str):
        self.registry = registry
        self.service_name = registry.service
        self.model = registry.model
        self.backends = list(backends)
        self.invalid_input_code = invalid_input_code
        self._validator = ParamValidator()
        prefixes = models.target_prefixes(self.service_name)
        self._json = AwsJson(self.model, prefixes, models.json_version(self.service_name))
        self._cbor = RpcV2Cbor(self.model, prefixes)
        self._rest = RestJson(self.model) if has_rest_routes(self.model) else None
        self._query = AwsQuery(self.model) if "query" in models.protocols(self.service_name) else None

    def close(self) -> None:
        """Let backends stop their background work (running crawls, job processes, queries)."""
        for backend in self.backends:
            closer = getattr(backend, "close", None)
            if callable(closer):
                closer()

    # -- dispatch without HTTP -------------------------------------------------------------------
    def operation(self, name: str) -> Operation:
        found = self.registry.get(name)
        if found is None:
            raise NotImplementedByEndpoint(self.service_name, name)
        return found

    def invoke(self, operation: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Validate `params` (wire JSON values), call the handler, return the JSON-ready result."""
        try:
            op_model = self.model.operation_model(operation)
        except OperationNotFoundError:
            raise UnknownOperation(f"{operation} is not an operation of {self.service_name}") from None
        params = decode_input(op_model.input_shape, params or {})
        self._validate(op_model.input_shape, params)
        handler = self.operation(operation)
        call = dict(params)
        if handler.paging is not None:
            for member in handler.paging.request_members:
                call.pop(member, None)
        self._check_taken(handler, call)
        result = handler.function(**call) or {}
        if handler.paging is not None:
            result = handler.paging.page(params, result, self.invalid_input_code)
        unknown: list[str] = []
        encoded = encode_output(op_model.output_shape, result, unknown)
        self._check_output(operation, op_model.output_shape, encoded, unknown)
        return encoded

    def _validate(self, shape: Shape | None, params: dict[str, Any]) -> None:
        if shape is None:
            if params:
                raise AwsError(f"Unknown parameters {sorted(params)}", code="SerializationException")
            return
        unknown = unknown_members(shape, params)
        if unknown:
            raise AwsError(
                f"Unknown parameter(s) {', '.join(unknown)} in the request; {shape.name} has no such member",
                code="SerializationException",
            )
        report = self._validator.validate(params, shape)
        if report.has_errors():
            kinds = {error[0] for error in getattr(report, "_errors", [])}
            code = "SerializationException" if kinds & SERIALIZATION_ERRORS else self.invalid_input_code
            raise AwsError(report.generate_report(), code=code)

    def _check_taken(self, handler: Operation, call: dict[str, Any]) -> None:
        """A member the model has but the handler does not take (a newer botocore's member): say so
        by name instead of failing with a TypeError or dropping it."""
        if handler.whole_request:
            return
        taken = inspect.signature(handler.function).parameters
        ignored = sorted(k for k in call if k not in taken)
        if ignored:
            raise AwsError(
                f"{self.service_name}:{handler.name} parameter(s) {', '.join(ignored)} are not supported "
                "by the local endpoint",
                code="NotImplementedError",
                status=501,
            )

    def _check_output(self, operation: str, shape: Shape | None, encoded: Any, unknown: list[str]) -> None:
        problems = [f"unknown output key {k}" for k in unknown]
        if shape is not None:
            report = self._validator.validate(decode_input(shape, encoded), shape)
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
        return self.handle(Request(environ))(environ, start_response)

    def codec(self, request: Request) -> AwsJson | RestJson | RpcV2Cbor | AwsQuery:
        """The protocol this request is in (and so its answer will be)."""
        if is_rpc_v2_cbor(request):
            return self._cbor
        if self._query is not None and not request.headers.get("X-Amz-Target") and AwsQuery.accepts(request):
            return self._query
        if request.headers.get("X-Amz-Target") or self._rest is None:
            return self._json
        return self._rest

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        codec = self.codec(request)
        operation = ""
        try:
            operation = codec.operation(request)
            op_model = self._op_model(operation)
            params = codec.parse(request, op_model)
            return codec.reply(op_model, self.invoke(operation, params), request_id)
        except AwsError as error:
            if error.status >= 500:
                log.warning("%s:%s %s", self.service_name, operation, error)
            return codec.error(error, request_id)
        except Exception as exc:  # a bug of ours: say so, AWS-shaped, and keep serving
            log.exception("%s:%s failed", self.service_name, operation)
            failure = AwsError(f"{type(exc).__name__}: {exc}", code="InternalFailure", status=500)
            return codec.error(failure, request_id)

    def _op_model(self, operation: str) -> Any:
        try:
            return self.model.operation_model(operation)
        except OperationNotFoundError:
            raise UnknownOperation(f"{operation} is not an operation of {self.service_name}") from None
