"""CloudFormation fixtures: a client of the shared endpoint and a stack name of each test's own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config


@pytest.fixture
def cfn(aws: Callable[..., Any]) -> Any:
    return aws("cloudformation", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def name() -> str:
    """A stack name (and a prefix for resource names) of this test's own."""
    return f"t{uuid.uuid4().hex[:10]}"
