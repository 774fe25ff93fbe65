"""core.filelock: one holder at a time; a second one waits, or with wait=False gives way at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from awstwin.core.filelock import exclusive


def test_a_second_holder_gives_way_without_waiting(tmp_path: Path) -> None:
    lock = tmp_path / "sub" / "x.lock"
    with exclusive(lock) as first:
        assert first and lock.exists()
        with exclusive(lock, wait=False) as second:
            assert second is False
    with exclusive(lock, wait=False) as again:
        assert again  # released when the first block ended


def test_a_waiting_holder_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    order: list[str] = []

    def second() -> None:
        with exclusive(lock):
            order.append("second")

    with exclusive(lock):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.2)  # not an assertion on time: it only gives the waiter a chance to run first
        order.append("first")
    waiter.join(timeout=30)
    assert order == ["first", "second"]
