"""CloudFormation dynamic references to Secrets Manager, resolved against the local endpoint.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from awstwin.infra.dynamic import resolve_references
from awstwin.infra.template import TemplateError


@pytest.fixture
def secret(aws: Callable[[str], Any]) -> str:
    name = f"dynamic/{uuid.uuid4().hex[:8]}"
    created = aws("secretsmanager").create_secret(
        Name=name, SecretString=json.dumps({"username": "awsuser", "password": "p:a}ss"})
    )
    return str(created["ARN"])


def test_a_reference_by_arn_or_name_reads_the_secret_or_one_key(secret: str, aws) -> None:
    name = secret.split(":secret:", 1)[1].rsplit("-", 1)[0]
    props = {
        "AdminUsername": f"{{{{resolve:secretsmanager:{secret}:SecretString:username}}}}",
        "Nested": [{"Password": f"{{{{resolve:secretsmanager:{name}:SecretString:password}}}}"}],
        "Whole": f"x-{{{{resolve:secretsmanager:{name}}}}}",
        "Plain": 5439,
    }
    resolved = resolve_references(props, aws, "Resources.Namespace")
    assert resolved["AdminUsername"] == "awsuser"
    assert resolved["Nested"] == [{"Password": "p:a}ss"}]
    assert json.loads(resolved["Whole"][2:]) == {"username": "awsuser", "password": "p:a}ss"}
    assert resolved["Plain"] == 5439


def test_a_missing_key_or_secret_or_another_kind_is_named(secret: str, aws) -> None:
    with pytest.raises(TemplateError, match="has no JSON key 'nope'"):
        resolve_references(f"{{{{resolve:secretsmanager:{secret}:SecretString:nope}}}}", aws, "here")
    with pytest.raises(TemplateError, match="secret no-such-secret"):
        resolve_references("{{resolve:secretsmanager:no-such-secret:SecretString:k}}", aws, "here")
    with pytest.raises(TemplateError, match="ssm are not resolved locally"):
        resolve_references("{{resolve:ssm:/param}}", aws, "here")
