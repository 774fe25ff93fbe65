"""Helpers for AWS-side tests: a shell with no AWS credentials at all, and a "session" whose clients
are the local endpoint's (CloudFormation, Secrets Manager, S3 and STS are moto's behind it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from awstwin.infra.account import Caller

CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ENDPOINT_URL",
)


def without_credentials(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Nothing boto3's chain could find: no variables, empty config files, no instance metadata."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class EndpointSession:
    """Stands in for boto3.Session: every client is the local endpoint's."""

    def __init__(self, aws: Callable[[str], Any]):
        self._aws = aws

    def client(self, service: str, **_: Any) -> Any:
        return self._aws(service)


def endpoint_caller(aws: Callable[[str], Any]) -> Caller:
    identity = aws("sts").get_caller_identity()
    return Caller(EndpointSession(aws), identity["Account"], identity["Arn"], "us-east-1")
