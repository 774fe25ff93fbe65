"""A warehouse for this folder's tests: one real Postgres for the session, on a free port.

The same fixture is proposed for tests/conftest.py so every area can use it; until then it lives here.
Clusters live in a fresh folder of the system temp dir, not under pytest's tmp_path: as root the
server runs as another account that must traverse the path, and every pytest run (including other
people's, in parallel) resets /tmp/pytest-of-root to mode 0700, which would lock the server out.
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


@pytest.fixture(scope="session")
def warehouse() -> Iterator[Warehouse]:
    """A started local Postgres (database `dev`) for the whole session; stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="awstwin-warehouse-"))
    server = Warehouse(folder, port=0, settings={"fsync": "off"}).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
