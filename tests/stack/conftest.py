"""A state folder for a stack, outside pytest's own temp root.

When pytest starts it resets /tmp/pytest-of-<user> to mode 0700; another pytest session starting
while a stack runs (parallel test runs on one machine) would then lock the warehouse's server
account (embedded Postgres runs as its own user under root) out of its data folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def stack_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="awstwin-stack-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
