"""Which warm Spark driver a run gets (warm/pool.py) and how a run's settings split (warm/conf.py).

The JVM is replaced by a stand-in here, so these run in milliseconds; test_jobs_warm.py runs the
same rules with real drivers and real Glue job runs.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from awstwin.endpoint.glue.jobs.warm import pool as warm_pool
from awstwin.endpoint.glue.jobs.warm.conf import driver_key, split
from awstwin.endpoint.glue.jobs.warm.pool import WarmPool


class FakeDriver:
    """A WarmDriver without a JVM: starts at once, can be made to die or to fail starting."""

    started: list[FakeDriver] = []
    fail_next = False

    def __init__(self, key: object, folder: Path):
        self.key, self.folder = key, folder
        self.runs, self.last_used = 0, 0.0
        self.running = False
        self.stopped = False
        self.ended_workers: list[str] = []
        self.process = type("P", (), {"pid": 4242})()

    def start(self, conf: dict, env: dict) -> FakeDriver:
        if FakeDriver.fail_next:
            FakeDriver.fail_next = False
            raise warm_pool.DriverStartError("the JVM did not start")
        self.running = True
        FakeDriver.started.append(self)
        return self

    def alive(self) -> bool:
        return self.running and not self.stopped

    def stop(self) -> None:
        self.stopped = True

    def route_log(self, sink: object) -> None:
        pass

    def gateway_env(self) -> dict[str, str]:
        return {"PYSPARK_GATEWAY_PORT": "1", "PYSPARK_GATEWAY_SECRET": "s"}

    def end_run_workers(self, run_id: str) -> int:
        self.ended_workers.append(run_id)
        return 1


@pytest.fixture
def pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WarmPool:
    monkeypatch.setattr(warm_pool, "WarmDriver", FakeDriver)
    FakeDriver.started = []
    FakeDriver.fail_next = False
    return WarmPool(tmp_path, max_drivers=1, idle_seconds=0)


def setup(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    return {"spark.master": "local[*]"}, {}


GLUE5 = driver_key("5.0", {"spark.master": "local[*]"})
GLUE4 = driver_key("4.0", {"spark.master": "local[*]"})


def test_a_driver_is_reused_by_the_next_run_of_its_key(pool: WarmPool) -> None:
    first = pool.lease(GLUE5, setup)
    assert first is not None
    first.run_env("jr_1", {}, "")
    first.release(reusable=True)
    second = pool.lease(GLUE5, setup)
    assert second is not None and second.driver is first.driver and second.driver.runs == 2
    assert first.driver.ended_workers == ["jr_1"], "the run's Python worker daemon is ended with it"


def test_a_busy_driver_means_a_cold_run(pool: WarmPool) -> None:
    held = pool.lease(GLUE5, setup)
    assert held is not None
    assert pool.lease(GLUE5, setup) is None, "same key, driver busy: the run starts its own JVM"
    assert pool.lease(GLUE4, setup) is None, "pool full of busy drivers: cold too"


def test_an_idle_driver_of_another_key_makes_room(pool: WarmPool) -> None:
    first = pool.lease(GLUE5, setup)
    assert first is not None
    first.release(reusable=True)
    other = pool.lease(GLUE4, setup)
    assert other is not None and other.driver is not first.driver
    assert first.driver.stopped, "the longest-idle driver of another key was ended"


def test_a_killed_run_or_a_dead_jvm_ends_the_driver(pool: WarmPool) -> None:
    killed = pool.lease(GLUE5, setup)
    assert killed is not None
    killed.release(reusable=False)
    assert killed.driver.stopped
    dying = pool.lease(GLUE5, setup)
    assert dying is not None and dying.driver is not killed.driver
    dying.driver.running = False  # the JVM exited during the run
    dying.release(reusable=True)
    fresh = pool.lease(GLUE5, setup)
    assert fresh is not None and fresh.driver is not dying.driver


def test_a_driver_that_cannot_start_leaves_the_run_cold_and_the_pool_usable(pool: WarmPool) -> None:
    FakeDriver.fail_next = True
    assert pool.lease(GLUE5, setup) is None
    assert pool.lease(GLUE5, setup) is not None


def test_a_run_waits_for_a_prewarming_driver_of_its_key(
    pool: WarmPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    warming = threading.Event()
    release = threading.Event()

    def slow_warm_up(self: WarmPool, driver: object, run_env: dict) -> None:
        warming.set()
        release.wait(5)

    monkeypatch.setattr(WarmPool, "_warm_up", slow_warm_up)
    pool.prewarm(GLUE5, setup, {})
    assert warming.wait(5)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(pool.lease(GLUE5, setup)))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive(), "the run waits while the driver warms up"
    release.set()
    waiter.join(5)
    assert got and got[0] is not None and got[0].driver is FakeDriver.started[0]


def test_off_and_closed_pools_lend_nothing(tmp_path: Path, pool: WarmPool) -> None:
    assert WarmPool(tmp_path, max_drivers=0).lease(GLUE5, setup) is None
    lease = pool.lease(GLUE5, setup)
    assert lease is not None
    pool.close()
    assert lease.driver.stopped and pool.lease(GLUE5, setup) is None


def test_settings_split_into_the_drivers_key_and_the_runs_session() -> None:
    conf = {
        "spark.master": "local[*]",
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.warehouse.dir": "file:/run/1",
        "spark.sql.extensions": "x.Ext",
        "spark.app.name": "job-a",
        "spark.local.dir": "/run/1/tmp",
    }
    jvm, session = split(conf)
    assert session == {"spark.sql.shuffle.partitions": "4"}
    assert jvm == {"spark.master": "local[*]", "spark.driver.memory": "2g", "spark.sql.extensions": "x.Ext"}
    other_run = {
        **conf,
        "spark.app.name": "job-b",
        "spark.local.dir": "/run/2",
        "spark.sql.shuffle.partitions": "9",
    }
    assert driver_key("5.0", other_run) == driver_key("5.0", conf), (
        "per-run paths and SQL settings share a JVM"
    )
    assert driver_key("4.0", conf) != driver_key("5.0", conf), "one driver per Glue version"
    assert driver_key("5.0", {**conf, "spark.driver.memory": "4g"}) != driver_key("5.0", conf)
