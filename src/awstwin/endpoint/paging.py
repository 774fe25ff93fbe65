"""One paginator for every paged List/Get operation, with AWS's token behaviour.

Which members carry the token, the limit and the items comes from botocore's paginator model (the
same data boto3's paginators read), so a handler only returns the whole list. Tokens are opaque
(base64 of the next offset and a fingerprint of the request): a token is only good for the request
that produced it, and anything else is the service's invalid-input error, as AWS answers a token it
did not issue (Glue `InvalidInputException`, Athena `InvalidRequestException`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel

from awstwin.endpoint.errors import AwsError


@dataclass(frozen=True)
class Paging:
    """The members one paged operation uses, and AWS's default page size for it."""

    operation: str
    input_token: str
    output_token: str
    limit_key: str | None
    result_key: str
    default_size: int

    @property
    def request_members(self) -> set[str]:
        return {self.input_token} | ({self.limit_key} if self.limit_key else set())

    def page(self, params: dict[str, Any], result: dict[str, Any], error_code: str) -> dict[str, Any]:
        """Cut the handler's whole list (`result[result_key]`) to the page `params` ask for."""
        token = params.get(self.input_token)
        limit = params.get(self.limit_key) if self.limit_key else None
        request = {k: v for k, v in params.items() if k not in self.request_members}
        fingerprint = _fingerprint(self.operation, request)
        start = decode(token, fingerprint, error_code) if token else 0
        size = int(limit) if limit else self.default_size
        items = list(result.get(self.result_key) or [])
        following = start + size
        paged = dict(result)
        paged[self.result_key] = items[start:following]
        paged[self.output_token] = encode(following, fingerprint) if following < len(items) else None
        return paged


@cache
def _paginators(service: str) -> dict[str, Any]:
    try:
        model = botocore.session.get_session().get_paginator_model(service)
    except Exception:  # a service without paginators-1.json
        return {}
    return dict(model._paginator_config)


def _single(value: Any) -> str:
    return value[0] if isinstance(value, list) else value


def paging_of(model: ServiceModel, operation: str, default_size: int) -> Paging:
    """The paging members of `operation`: from botocore's paginator model, else from its shapes
    (the one `NextToken` member and the one list member of the output)."""
    config = _paginators(model.service_name).get(operation)
    if config is not None:
        return Paging(
            operation,
            _single(config["input_token"]),
            _single(config["output_token"]),
            config.get("limit_key"),
            _single(config["result_key"]),
            default_size,
        )
    op = model.operation_model(operation)
    inputs = op.input_shape.members if op.input_shape else {}
    outputs = op.output_shape.members if op.output_shape else {}
    lists = [name for name, shape in outputs.items() if shape.type_name == "list"]
    if "NextToken" not in inputs or len(lists) != 1:
        raise ValueError(f"{model.service_name}:{operation} has no paginator in botocore's model to page by")
    limit = "MaxResults" if "MaxResults" in inputs else None
    return Paging(operation, "NextToken", "NextToken", limit, lists[0], default_size)


def _fingerprint(operation: str, request: dict[str, Any]) -> str:
    text = json.dumps([operation, request], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, fingerprint: str, error_code: str) -> int:
    """The offset a token stands for; a token this request did not issue is the service's error."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset, issued_for = int(data["o"]), data["f"]
    except (ValueError, KeyError, TypeError):
        offset, issued_for = -1, None
    if offset < 0 or issued_for != fingerprint:
        raise AwsError("Invalid pagination token", code=error_code)
    return offset
