"""The AWS query protocol, server side: form-encoded requests, XML responses (CloudFormation, ...).

A request is `Action=<Operation>&Version=<apiVersion>&<members>` (a form body, or the query string of
a GET), each member flattened by botocore's rules: structures as `Outer.Inner`, lists as
`Name.member.N` (or `Name.N` when flattened, `Name=` when empty), maps as `Name.entry.N.key` /
`.value`, booleans `true`/`false`, timestamps ISO 8601, blobs base64
(https://smithy.io/2.0/aws/protocols/aws-query-protocol.html). The answer is
`<OperationResponse><OperationResult>...</OperationResult><ResponseMetadata>` in the model's XML
namespace, and an error is `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
Values in and out are the JSON-shaped values of `values.py`, so handlers never see the protocol.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel, Shape
from werkzeug.wrappers import Request, Response

from awstwin.endpoint.errors import AwsError, UnknownOperation

_MISSING = object()
_INDEX = re.compile(r"^(\d+)")


def _form(request: Request) -> dict[str, str]:
    params = dict(request.args.items())
    if request.method == "POST":
        params.update(request.form.items())
    return params


def _scalar(shape: Shape, text: str, name: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        raise AwsError(f"Value '{text}' for {name} is not a number", code="ValidationError") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise AwsError(f"Value '{text}' for {name} is not a boolean", code="ValidationError")
        return text.lower() == "true"
    return text  # strings, timestamps (ISO 8601) and blobs (base64) stay text: values.decode_input reads them


class _Reader:
    """Reads the flat form keys back into nested values, remembering which keys it used."""

    def __init__(self, params: dict[str, str]):
        self.params = params
        self.used: set[str] = set()

    def _indices(self, prefix: str) -> list[int]:
        found = set()
        head = prefix + "."
        for key in self.params:
            if key.startswith(head):
                match = _INDEX.match(key[len(head) :])
                if match:
                    found.add(int(match.group(1)))
        return sorted(found)

    def read(self, shape: Shape, prefix: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            value: dict[str, Any] = {}
            for name, member in shape.members.items():
                wire = member.serialization.get("name", name)
                item = self.read(member, f"{prefix}.{wire}" if prefix else wire)
                if item is not _MISSING:
                    value[name] = item
            return value if value or not prefix else (value if self._has(prefix) else _MISSING)
        if kind == "list":
            if self.params.get(prefix) == "":
                self.used.add(prefix)
                return []
            flattened = shape.serialization.get("flattened")
            items_prefix = (
                prefix if flattened else f"{prefix}.{shape.member.serialization.get('name', 'member')}"
            )
            indices = self._indices(items_prefix)
            if not indices:
                return _MISSING
            return [self.read(shape.member, f"{items_prefix}.{i}") for i in indices]
        if kind == "map":
            entries = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
            key_name = shape.key.serialization.get("name", "key")
            value_name = shape.value.serialization.get("name", "value")
            indices = self._indices(entries)
            if not indices:
                return _MISSING
            result = {}
            for i in indices:
                key = self.read(shape.key, f"{entries}.{i}.{key_name}")
                result[str(key)] = self.read(shape.value, f"{entries}.{i}.{value_name}")
            return result
        if prefix not in self.params:
            return _MISSING
        self.used.add(prefix)
        return _scalar(shape, self.params[prefix], prefix)

    def _has(self, prefix: str) -> bool:
        return any(key.startswith(prefix + ".") for key in self.params)


def _time_text(value: Any) -> str:
    when = datetime.fromtimestamp(float(value), UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _write(parent: ElementTree.Element, tag: str, shape: Shape, value: Any) -> None:
    """Append `value` (JSON-ready, as values.encode_output made it) under `parent` as <tag>."""
    kind = shape.type_name
    if kind == "list":
        if shape.serialization.get("flattened"):  # the items repeat in place of the list
            holder, item_tag = parent, shape.member.serialization.get("name", tag)
        else:
            holder, item_tag = (
                ElementTree.SubElement(parent, tag),
                shape.member.serialization.get("name", "member"),
            )
        for item in value:
            _write(holder, item_tag, shape.member, item)
        return
    element = ElementTree.SubElement(parent, tag)
    if kind == "structure":
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _write(element, member.serialization.get("name", name), member, value[name])
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        for key, item in value.items():
            entry = ElementTree.SubElement(element, "entry")
            _write(entry, key_name, shape.key, key)
            _write(entry, value_name, shape.value, item)
    elif kind == "timestamp":
        element.text = _time_text(value)
    elif kind == "boolean":
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


class AwsQuery:
    """The query protocol for one service model."""

    name = "query"

    def __init__(self, model: ServiceModel):
        self.model = model
        self.namespace = model.metadata.get("xmlNamespace", "")

    @staticmethod
    def accepts(request: Request) -> bool:
        """A query request names its operation in `Action` (form body or query string)."""
        return "Action" in request.args or (
            request.method == "POST"
            and request.mimetype == "application/x-www-form-urlencoded"
            and "Action" in request.form
        )

    def operation(self, request: Request) -> str:
        action = _form(request).get("Action", "")
        if not action:
            raise UnknownOperation("The request names no Action")
        return action

    def parse(self, request: Request, op: OperationModel) -> dict[str, Any]:
        params = _form(request)
        shape = op.input_shape
        if shape is None:
            return {}
        reader = _Reader(params)
        value = reader.read(shape, "")
        unknown = sorted(set(params) - reader.used - {"Action", "Version"})
        if unknown:
            raise AwsError(
                f"Unknown parameter(s) {', '.join(unknown)} in the request; {shape.name} has no such member",
                code="ValidationError",
            )
        return value

    def reply(self, op: OperationModel, encoded: dict[str, Any], request_id: str) -> Response:
        root = ElementTree.Element(f"{op.name}Response", xmlns=self.namespace)
        shape = op.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{op.name}Result")
            result = ElementTree.SubElement(root, wrapper)
            for name, member in shape.members.items():
                if encoded.get(name) is not None:
                    _write(result, member.serialization.get("name", name), member, encoded[name])
        metadata = ElementTree.SubElement(root, "ResponseMetadata")
        ElementTree.SubElement(metadata, "RequestId").text = request_id
        return self._xml(200, root, request_id)

    def error(self, error: AwsError, request_id: str) -> Response:
        root = ElementTree.Element("ErrorResponse", xmlns=self.namespace)
        body = ElementTree.SubElement(root, "Error")
        ElementTree.SubElement(body, "Type").text = "Receiver" if error.status >= 500 else "Sender"
        ElementTree.SubElement(body, "Code").text = error.code
        ElementTree.SubElement(body, "Message").text = error.message
        ElementTree.SubElement(root, "RequestId").text = request_id
        return self._xml(error.status, root, request_id)

    @staticmethod
    def _xml(status: int, root: ElementTree.Element, request_id: str) -> Response:
        body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
        return Response(body, status=status, headers=headers)
