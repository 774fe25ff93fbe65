"""AWS::SecretsManager::Secret provisioned locally: a given SecretString is stored as is, and
GenerateSecretString generates a password that follows its options, as CloudFormation does."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from awstwin.endpoint.cloudformation.resources import generate_password
from awstwin.infra.provision import provision

TEMPLATE = """
Parameters:
  Password:
    Type: String
    Default: ""
Conditions:
  Generate: !Equals [!Ref Password, ""]
Resources:
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub ${AWS::StackName}/admin
      GenerateSecretString: !If
        - Generate
        - SecretStringTemplate: '{"username": "admin"}'
          GenerateStringKey: password
          PasswordLength: 24
          ExcludeCharacters: "\\"'@/\\\\ "
        - !Ref AWS::NoValue
      SecretString: !If [Generate, !Ref AWS::NoValue, !Sub '{"username": "admin", "password": "${Password}"}']
Outputs:
  Arn:
    Value: !Ref Secret
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "secret.yaml"
    path.write_text(TEMPLATE)
    return path


def _value(aws: Callable[[str], Any], arn: str) -> dict[str, str]:
    return json.loads(aws("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def test_a_generated_password_is_kept_on_update(aws: Callable[[str], Any], template: Path) -> None:
    first = provision(aws, {}, "secret-generated", template, scripts_dir=template.parent)
    value = _value(aws, first.outputs["Arn"])
    assert value["username"] == "admin" and len(value["password"]) == 24
    assert not set(value["password"]) & set("\"'@/\\ ")
    again = provision(aws, {}, "secret-generated", template, scripts_dir=template.parent)
    assert again.action == "none" and _value(aws, again.outputs["Arn"]) == value


def test_a_given_password_is_stored_and_replaced(aws: Callable[[str], Any], template: Path) -> None:
    first = provision(aws, {"Password": "One-1111"}, "secret-given", template, scripts_dir=template.parent)
    assert first.outputs["Arn"].startswith("arn:aws:secretsmanager:")
    assert _value(aws, first.outputs["Arn"]) == {"username": "admin", "password": "One-1111"}
    provision(aws, {"Password": "Two-2222"}, "secret-given", template, scripts_dir=template.parent)
    assert _value(aws, first.outputs["Arn"])["password"] == "Two-2222"


def test_generate_password_follows_its_options() -> None:
    for _ in range(20):
        password = generate_password({"PasswordLength": 12, "ExcludePunctuation": True})
        assert len(password) == 12 and set(password) <= set(string.ascii_letters + string.digits)
        assert {bool(set(password) & set(chars)) for chars in (string.ascii_lowercase, string.digits)} == {
            True
        }
    with pytest.raises(ValueError, match="no way to build"):
        generate_password(
            {
                "ExcludeLowercase": True,
                "ExcludeUppercase": True,
                "ExcludeNumbers": True,
                "ExcludePunctuation": True,
            }
        )
