"""Fixtures for the local S3: a boto3 client, a fresh bucket per test, and the plain-file tree."""

from __future__ import annotations

import http.client
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

_names = itertools.count()


@pytest.fixture
def s3(aws: Any) -> Any:
    return aws("s3")


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty bucket named after the test (S3 rules: lowercase, digits, '-')."""
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    name = f"t{next(_names)}-{base}"
    s3.create_bucket(Bucket=name)
    yield name


@pytest.fixture
def tree(endpoint: Any) -> Path:
    """`<state>/s3`: where every object is a plain file."""
    return endpoint.endpoint.context.s3_root


def raw_request(
    url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request with exactly these headers (no SDK in between); returns status, headers, body."""
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()
