"""A warehouse for this folder's tests: one real Postgres for the session, on a free port.

The session-wide `warehouse` fixture lives in tests/conftest.py.
Clusters live in a fresh (0700) folder of the system temp dir, not under pytest's tmp_path, which a
pytest run started in parallel may prune.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from awstwin.warehouse import Warehouse


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    """A fresh folder for one cluster; any server left on it is stopped and the folder removed."""
    folder = Path(tempfile.mkdtemp(prefix="awstwin-warehouse-test-"))
    yield folder
    Warehouse(folder / "wh").stop()
    shutil.rmtree(folder, ignore_errors=True)
