"""Create, update and delete one resource through the services' own APIs, as CloudFormation's handlers do.

Every call goes through a boto3 client of the endpoint itself (`clients(service)`), so a stack's Glue
database is made by the same CreateDatabase a user's SDK would call, and lands in the same catalog
Athena reads. Values are first fitted to the call's input shape in botocore's model (CloudFormation
accepts `"30"` for an integer and `true` for a string; the APIs do not). A failure is `ResourceFailed`
with the reason as CloudFormation's events word it.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from botocore.model import Shape

from awstwin.endpoint.cloudformation.resources import (
    LOCAL_DROPPED_PROPERTIES,
    RESOURCE_TYPES,
    TEMPLATE_ONLY_PROPERTIES,
    Call,
    Env,
    ResourceType,
    Target,
)

log = logging.getLogger(__name__)
ClientFactory = Callable[[str], Any]


class ResourceFailed(Exception):
    """One resource could not be created, updated or deleted; `str()` is the event's reason."""


@dataclass
class Applied:
    """A resource as it now exists: its physical id, the properties applied and its attributes."""

    physical_id: str
    props: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)


def _at(props: Mapping[str, Any], path: str) -> Any:
    node: Any = props
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _set(props: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = props
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def local_properties(type_name: str, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A resource's template properties without those that only mean something on AWS
    (`LOCAL_DROPPED_PROPERTIES`), before they are resolved, and a note for each one dropped."""
    kept = dict(raw)
    notes = []
    for path, why in LOCAL_DROPPED_PROPERTIES.get(type_name, {}).items():
        *parents, last = path.split(".")
        node: Any = kept
        for key in parents:
            child = node.get(key) if isinstance(node, dict) else None
            if not isinstance(child, dict):
                node = None
                break
            node[key] = dict(child)  # copy on the way down: the template itself stays as it is
            node = node[key]
        if isinstance(node, dict) and last in node:
            del node[last]
            notes.append(f"{path} not applied locally: {why}")
    return kept, notes


def generated_name(stack_name: str, logical_id: str, max_length: int, lowercase: bool) -> str:
    """`<stack>-<logical id>-<13 random>` cut to `max_length`, as CloudFormation names what a template
    leaves unnamed."""
    alphabet = string.ascii_uppercase + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(13))
    room = max(max_length - len(suffix) - 2, 2)
    stack_part = stack_name[: room // 2] if len(stack_name) + len(logical_id) > room else stack_name
    logical_part = logical_id[: room - len(stack_part)]
    name = f"{stack_part}-{logical_part}-{suffix}"[:max_length]
    return name.lower() if lowercase else name


def fit(shape: Shape | None, value: Any) -> Any:
    """A template value as the API's input shape wants it (numbers from text, text from numbers)."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {k: fit(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [fit(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {str(k): fit(shape.value, v) for k, v in value.items()}
    if kind in ("integer", "long") and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if kind in ("float", "double") and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "string" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "string" and isinstance(value, (int, float)):
        return str(value)
    if kind == "string" and isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _service_label(client: Any) -> str:
    return str(client.meta.service_model.metadata.get("serviceId", client.meta.service_model.service_name))


def _handler_message(client: Any, exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    code = str(error.get("Code", ""))
    handler_code = {
        "AlreadyExistsException": "AlreadyExists",
        "EntityAlreadyExists": "AlreadyExists",
        "BucketAlreadyExists": "AlreadyExists",
        "BucketAlreadyOwnedByYou": "AlreadyExists",
        "ResourceExistsException": "AlreadyExists",
    }.get(code, "InvalidRequest" if meta.get("HTTPStatusCode", 500) < 500 else "GeneralServiceException")
    return (
        f'Resource handler returned message: "{error.get("Message") or code} '
        f"(Service: {_service_label(client)}, "
        f'Status Code: {meta.get("HTTPStatusCode")}, Request ID: {meta.get("RequestId", "")})" '
        f"(HandlerErrorCode: {handler_code})"
    )


class Provisioner:
    """Makes resources of the types in `RESOURCE_TYPES` through `clients(service)`."""

    def __init__(self, clients: ClientFactory, env: Env):
        self._clients = clients
        self.env = env
        self._cache: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._cache:
            self._cache[service] = self._clients(service)
        return self._cache[service]

    @staticmethod
    def kind(type_name: str) -> ResourceType:
        kind = RESOURCE_TYPES.get(type_name)
        if kind is None:
            supported = ", ".join(sorted(RESOURCE_TYPES))
            raise ResourceFailed(
                f"Resource type {type_name} is not supported by the local endpoint (supported: {supported})"
            )
        return kind

    # -- calls ---------------------------------------------------------------------------------------
    def _call(self, service: str, call: Call, target: Target, where: str) -> list[Mapping[str, Any]]:
        if not call.when(target):
            return []
        try:
            arguments = call.kwargs(target)
        except KeyError as exc:
            raise ResourceFailed(
                f"Properties validation failed for resource {where} with message: "
                f"#: required key [{exc.args[0]}] not found"
            ) from None
        client = self.client(service)
        operation = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[call.method])
        answers = []
        for kwargs in arguments if isinstance(arguments, list) else [arguments]:
            try:
                answers.append(getattr(client, call.method)(**fit(operation.input_shape, kwargs)))
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code", "")) in call.gone:
                    continue
                raise ResourceFailed(_handler_message(client, exc)) from exc
            except ParamValidationError as exc:
                report = str(exc).split(":", 1)[-1].strip()
                raise ResourceFailed(
                    f"Properties validation failed for resource {where} with message: {report}"
                ) from exc
            except BotoCoreError as exc:
                raise ResourceFailed(f"{call.method} failed: {exc}") from exc
        return answers

    def exists(self, kind: ResourceType, target: Target, where: str) -> Mapping[str, Any] | None:
        """The describe call's answer, or None when the resource does not exist."""
        if kind.describe is None:
            return None
        client = self.client(kind.service)
        try:
            return getattr(client, kind.describe.method)(**kind.describe.kwargs(target))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in kind.not_found:
                return None
            raise ResourceFailed(_handler_message(client, exc)) from exc

    # -- properties ----------------------------------------------------------------------------------
    @staticmethod
    def prepare(type_name: str, logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """The properties to apply; a property the type does not apply fails the resource instead of
        being ignored."""
        kind = Provisioner.kind(type_name)
        kept = json.loads(json.dumps(dict(props), default=str))
        unknown = sorted(set(kept) - kind.properties - set(TEMPLATE_ONLY_PROPERTIES.get(type_name, ())))
        if unknown:
            raise ResourceFailed(
                f"Properties validation failed for resource {logical_id}: the local endpoint does not apply "
                f"{', '.join(unknown)} of {type_name} (it applies: {', '.join(sorted(kind.properties))})"
            )
        return kept

    def name_of(self, type_name: str, props: Mapping[str, Any]) -> str | None:
        return self.kind(type_name).name(props)

    def replaces(self, type_name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        """Does changing `old` into `new` need a new resource (no update call, a name, or a
        create-only property changed)?"""
        kind = self.kind(type_name)
        if kind.update is None:
            return True
        if kind.name(old) != kind.name(new):
            return True
        return any(_at(old, path) != _at(new, path) for path in kind.replace_on)

    # -- lifecycle -----------------------------------------------------------------------------------
    def create(
        self, type_name: str, logical_id: str, props: Mapping[str, Any], stack_name: str, absent: bool = False
    ) -> Applied:
        """Make the resource; one that exists already fails, as CloudFormation's handlers answer
        (`absent`: the caller has just asked)."""
        kind = self.kind(type_name)
        applied = self.prepare(type_name, logical_id, props)
        name = kind.name(applied)
        if kind.naming is not None and name is None:
            name = generated_name(stack_name, logical_id, kind.naming.max_length, kind.naming.lowercase)
            _set(applied, kind.naming.path, name)
        target = Target(applied, name or "")
        exists = target.physical_id and kind.describe_by_name and not absent
        if exists and self.exists(kind, target, logical_id) is not None:
            raise ResourceFailed(
                f"Resource of type '{type_name}' with identifier '{target.physical_id}' already exists."
            )
        answers = self._call(kind.service, kind.create, target, logical_id)
        physical = kind.physical_id(target, answers[0] if answers else {}) if kind.physical_id else name or ""
        target = Target(applied, physical)
        for call in kind.then:
            self._call(kind.service, call, target, logical_id)
        return Applied(physical, applied, self.attributes(kind, target, logical_id))

    def adopt(self, type_name: str, logical_id: str, props: Mapping[str, Any]) -> Applied | None:
        """Take a custom-named resource that already exists into the stack and bring it to `props`
        (CloudFormation's ImportExistingResources); None when there is nothing to take."""
        kind = self.kind(type_name)
        applied = self.prepare(type_name, logical_id, props)
        name = kind.name(applied)
        if name is None or not kind.describe_by_name:
            return None
        described = self.exists(kind, Target(applied, name), logical_id)
        if described is None:
            return None
        physical = kind.physical_id(Target(applied, name), described) if kind.physical_id else name
        return self.update(type_name, logical_id, physical, props, {})

    def update(
        self,
        type_name: str,
        logical_id: str,
        physical_id: str,
        props: Mapping[str, Any],
        old: Mapping[str, Any],
    ) -> Applied:
        kind = self.kind(type_name)
        applied = self.prepare(type_name, logical_id, props)
        if kind.naming is not None and kind.name(applied) is None:
            _set(applied, kind.naming.path, _at(old, kind.naming.path))  # the generated name stays
        target = Target(applied, physical_id, old)
        if kind.update is not None:
            self._call(kind.service, kind.update, target, logical_id)
        for call in kind.then:
            self._call(kind.service, call, target, logical_id)
        return Applied(physical_id, applied, self.attributes(kind, target, logical_id))

    def delete(self, type_name: str, logical_id: str, physical_id: str, props: Mapping[str, Any]) -> None:
        kind = self.kind(type_name)
        target = Target(props, physical_id)
        for call in kind.delete:
            self._call(kind.service, call, target, logical_id)

    def attributes(self, kind: ResourceType, target: Target, where: str) -> dict[str, Any]:
        if not kind.attributes:
            return {}
        described = self.exists(kind, target, where) or {}
        values = {}
        for name, read in kind.attributes.items():
            try:
                values[name] = read(target, self.env, described)
            except (KeyError, TypeError):
                log.debug("%s: attribute %s not readable", where, name)
        return values
