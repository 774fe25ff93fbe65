"""(being written)"""

from __future__ import annotations

from collections.abc import Iterator

from awstwin.bench.harness import Comparison
from awstwin.bench.options import Options


def comparisons(options: Options) -> Iterator[Comparison]:
    return iter(())
