"""CloudFormation dynamic references, resolved when a resource is created or updated, as CloudFormation does.

`{{resolve:secretsmanager:<secret-id>:SecretString:<json-key>:<version-stage>:<version-id>}}` reads a
secret's value (or one key of its JSON) at provisioning time, so the value never sits in the template
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html).
The secret id may be a name or a full ARN (which has colons of its own). Other kinds (`ssm`,
`ssm-secure`) fail naming the reference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from awstwin.infra.template import TemplateError

REFERENCE = re.compile(r"\{\{resolve:([^:}]+):([^}]*)\}\}")
ARN_PARTS = 7  # arn:aws:secretsmanager:region:account:secret:name-suffix


def _secret_fields(text: str) -> tuple[str, str, str, str, str]:
    """(secret id, SecretString, json key, version stage, version id) of a reference's arguments."""
    parts = text.split(":")
    if text.startswith("arn:"):
        secret_id, rest = ":".join(parts[:ARN_PARTS]), parts[ARN_PARTS:]
    else:
        secret_id, rest = parts[0], parts[1:]
    rest += [""] * (4 - len(rest))
    return secret_id, rest[0] or "SecretString", rest[1], rest[2], rest[3]


def _secret_value(secretsmanager: Any, arguments: str, where: str) -> str:
    secret_id, kind, key, stage, version = _secret_fields(arguments)
    if kind != "SecretString":
        raise TemplateError(f"{where}: dynamic reference reads {kind!r}; only SecretString can be read")
    request: dict[str, str] = {"SecretId": secret_id}
    if stage:
        request["VersionStage"] = stage
    if version:
        request["VersionId"] = version
    try:
        text = secretsmanager.get_secret_value(**request)["SecretString"]
    except (ClientError, BotoCoreError) as exc:
        raise TemplateError(f"{where}: dynamic reference to secret {secret_id}: {exc}") from exc
    if not key:
        return str(text)
    try:
        return str(json.loads(text)[key])
    except (ValueError, KeyError, TypeError):
        raise TemplateError(f"{where}: secret {secret_id} has no JSON key {key!r}") from None


def resolve_references(value: Any, clients: Callable[[str], Any], where: str) -> Any:
    """`value` with every `{{resolve:...}}` in its strings replaced by what it refers to."""
    if isinstance(value, dict):
        return {k: resolve_references(v, clients, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, clients, where) for item in value]
    if not isinstance(value, str) or "{{resolve:" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        service, arguments = match.group(1), match.group(2)
        if service != "secretsmanager":
            raise TemplateError(f"{where}: dynamic references to {service} are not resolved locally")
        return _secret_value(clients("secretsmanager"), arguments, where)

    return REFERENCE.sub(replace, value)
