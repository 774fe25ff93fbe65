"""A warehouse for this folder's tests: one real Postgres for the session, on a free port.

The same fixture is proposed for tests/conftest.py so every area can use it; until then it lives here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from awstwin.warehouse import Warehouse


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A started local Postgres (database `dev`) for the whole session; stopped at the end."""
    server = Warehouse(tmp_path_factory.mktemp("warehouse"), port=0, settings={"fsync": "off"}).start()
    yield server
    server.stop()
