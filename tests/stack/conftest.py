"""A state folder for a stack, outside pytest's own temp root: a pytest session started in parallel
(several runs on one machine) prunes older numbered folders there, and would pull a running stack's
data out from under it. (Its 0700 mode is no obstacle: as root, Postgres runs as root in a user
namespace; see awstwin.warehouse.runtime.)
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
