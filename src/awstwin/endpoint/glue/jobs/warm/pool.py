"""Which warm driver a run gets, and when drivers start and end (see the package's docstring).

A driver serves one run at a time. `lease()` hands out an idle driver of the run's key, waits for one
of that key that is starting or warming up, or starts one (evicting the longest-idle driver of another
key when the pool is full); it returns None when every driver is busy, and the run then runs cold.
`Lease.release()` gives the driver back, or ends it when the run was killed or the JVM died.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from awstwin.endpoint.glue.jobs.warm.conf import DriverKey
from awstwin.endpoint.glue.jobs.warm.driver import DriverStartError, WarmDriver

log = logging.getLogger(__name__)

WARM_DIR = Path(__file__).resolve().parent
BOOTSTRAP = WARM_DIR / "bootstrap.py"
WARMUP = WARM_DIR / "warmup.py"
RUN_ENV = "AWSTWIN_WARM_RUN"  # session.RUN_ENV
DEFAULT_DRIVERS = 1
DEFAULT_IDLE_SECONDS = 900.0
WARMUP_TIMEOUT_SECONDS = 300.0
# A driver's Spark settings and process environment, made for its own folder (scratch space lives there).
DriverSetup = Callable[[Path], tuple[dict[str, str], dict[str, str]]]

STARTING, WARMING, IDLE, BUSY = "starting", "warming", "idle", "busy"


def settings_from_env() -> tuple[int, float, bool]:
    """(most drivers, idle seconds before a driver ends, prewarm on CreateJob/UpdateJob)."""
    drivers = int(os.environ.get("AWSTWIN_GLUE_WARM_DRIVERS") or DEFAULT_DRIVERS)
    idle = float(os.environ.get("AWSTWIN_GLUE_WARM_IDLE_SECONDS") or DEFAULT_IDLE_SECONDS)
    prewarm = os.environ.get("AWSTWIN_GLUE_PREWARM", "").lower() in ("1", "true", "yes")
    return drivers, idle, prewarm


@dataclass
class _Slot:
    driver: WarmDriver
    state: str


@dataclass
class Lease:
    """A driver lent to one run."""

    pool: WarmPool
    driver: WarmDriver
    run_id: str = ""

    def describe(self) -> str:
        assert self.driver.process is not None
        return (
            f"the warm Spark driver for {self.driver.key.describe()} (JVM pid {self.driver.process.pid}, "
            f"its run {self.driver.runs})"
        )

    def run_env(self, run_id: str, session_conf: dict[str, str], python_path: str) -> dict[str, str]:
        """What the run's process adds to its environment to run on this driver."""
        self.run_id = run_id
        settings = {"run_id": run_id, "session_conf": session_conf, "python_path": python_path}
        return {**self.driver.gateway_env(), RUN_ENV: json.dumps(settings)}

    def argv(self, script: Path, args: list[str]) -> list[str]:
        return [sys.executable, "-u", str(BOOTSTRAP), str(script), *args]

    def release(self, reusable: bool) -> None:
        if self.run_id:
            self.driver.end_run_workers(self.run_id)
        self.pool.release(self.driver, reusable)


class WarmPool:
    def __init__(
        self, root: Path, max_drivers: int = DEFAULT_DRIVERS, idle_seconds: float = DEFAULT_IDLE_SECONDS
    ):
        self.root = root
        self.max_drivers = max_drivers
        self.idle_seconds = idle_seconds
        self._slots: dict[DriverKey, _Slot] = {}
        self._changed = threading.Condition()
        self._closed = False
        self._reaper: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.max_drivers > 0

    # -- leasing -----------------------------------------------------------------------------------
    def lease(self, key: DriverKey, setup: DriverSetup) -> Lease | None:
        """A driver for `key` for one run, or None (the pool is off, full and busy, or the JVM failed)."""
        if not self.enabled:
            return None
        with self._changed:
            while True:
                if self._closed:
                    return None
                slot = self._slots.get(key)
                if slot is not None and slot.state == IDLE:
                    if slot.driver.alive():
                        slot.state = BUSY
                        slot.driver.runs += 1
                        return Lease(self, slot.driver)
                    self._drop(key)
                    continue
                if slot is not None and slot.state in (STARTING, WARMING):
                    self._changed.wait(1.0)
                    continue
                if slot is not None:  # BUSY: another run of this key has it
                    return None
                if not self._make_room():
                    return None
                driver = WarmDriver(key, self._folder(key))
                self._slots[key] = _Slot(driver, STARTING)
                break
        started = self._start(key, driver, setup)
        with self._changed:
            slot = self._slots.get(key)
            if not started or slot is None or slot.driver is not driver:
                return None
            slot.state = BUSY
            driver.runs += 1
            self._changed.notify_all()
        return Lease(self, driver)

    def release(self, driver: WarmDriver, reusable: bool) -> None:
        """The run ended: the driver is idle again, or ended when it cannot serve another run."""
        driver.route_log(None)
        driver.last_used = time.monotonic()
        with self._changed:
            slot = self._slots.get(driver.key)
            if slot is None or slot.driver is not driver:
                ending = driver
            elif reusable and driver.alive() and not self._closed:
                slot.state = IDLE
                ending = None
            else:
                self._slots.pop(driver.key, None)
                ending = driver
            self._changed.notify_all()
        if ending is not None:
            log.info("warm Spark driver for %s ended after %d run(s)", driver.key.describe(), driver.runs)
            ending.stop()

    # -- starting ------------------------------------------------------------------------------------
    def prewarm(self, key: DriverKey, setup: DriverSetup, run_env: dict[str, str]) -> None:
        """Start a driver for `key` in the background and warm it up (warmup.py), if there is room."""
        if not self.enabled:
            return
        with self._changed:
            if self._closed or key in self._slots or not self._make_room():
                return
            driver = WarmDriver(key, self._folder(key))
            self._slots[key] = _Slot(driver, STARTING)
        threading.Thread(
            target=self._prewarm, args=(key, driver, setup, run_env), name="glue-warm-driver", daemon=True
        ).start()

    def _prewarm(
        self, key: DriverKey, driver: WarmDriver, setup: DriverSetup, run_env: dict[str, str]
    ) -> None:
        if not self._start(key, driver, setup, state_after=WARMING):
            return
        self._warm_up(driver, run_env)
        with self._changed:
            slot = self._slots.get(key)
            if slot is not None and slot.driver is driver:
                slot.state = IDLE if driver.alive() else slot.state
                if not driver.alive():
                    self._slots.pop(key, None)
            self._changed.notify_all()
        driver.last_used = time.monotonic()

    def _start(self, key: DriverKey, driver: WarmDriver, setup: DriverSetup, state_after: str = BUSY) -> bool:
        try:
            conf, env = setup(driver.folder)
            driver.start(conf, env)
        except (DriverStartError, OSError) as exc:
            log.warning("%s; job runs of %s run cold", exc, key.describe())
            with self._changed:
                self._slots.pop(key, None)
                self._changed.notify_all()
            driver.stop()
            return False
        with self._changed:
            slot = self._slots.get(key)
            if slot is not None and slot.driver is driver:
                slot.state = state_after
            self._changed.notify_all()
        self._ensure_reaper()
        return True

    def _warm_up(self, driver: WarmDriver, run_env: dict[str, str]) -> None:
        """Run warmup.py on the driver as a run would run (its output goes to the driver's log)."""
        lease = Lease(self, driver)
        scratch = driver.folder / "warmup"
        settings = {"run_id": "warmup", "session_conf": {}, "python_path": run_env.get("PYTHONPATH", "")}
        env = {**run_env, **driver.gateway_env(), RUN_ENV: json.dumps(settings)}
        began = time.monotonic()
        with driver.log_path.open("ab") as out:
            try:
                done = subprocess.run(
                    lease.argv(WARMUP, [str(scratch)]),
                    env=env,
                    cwd=driver.folder,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=WARMUP_TIMEOUT_SECONDS,
                    start_new_session=True,
                )
                code = done.returncode
            except subprocess.TimeoutExpired:
                code = -1
        shutil.rmtree(scratch, ignore_errors=True)
        log.info(
            "warm Spark driver for %s warmed up in %.1f s (exit %s)",
            driver.key.describe(),
            time.monotonic() - began,
            code,
        )

    def _folder(self, key: DriverKey) -> Path:
        return self.root / f"{key.digest}-{int(time.time() * 1000)}"

    # -- capacity and idleness ---------------------------------------------------------------------
    def _make_room(self) -> bool:
        """Under the lock: room for one more driver, evicting the longest-idle one if needed."""
        if len(self._slots) < self.max_drivers:
            return True
        idle = [(slot.driver.last_used, key) for key, slot in self._slots.items() if slot.state == IDLE]
        if not idle:
            return False
        _, key = min(idle)
        self._drop(key)
        return True

    def _drop(self, key: DriverKey) -> None:
        slot = self._slots.pop(key, None)
        if slot is not None:
            threading.Thread(target=slot.driver.stop, name="glue-warm-driver-stop", daemon=True).start()

    def _ensure_reaper(self) -> None:
        with self._changed:
            if self._reaper is None and self.idle_seconds > 0:
                self._reaper = threading.Thread(target=self._reap, name="glue-warm-reaper", daemon=True)
                self._reaper.start()

    def _reap(self) -> None:
        while True:
            with self._changed:
                if self._closed:
                    return
                self._changed.wait(min(30.0, self.idle_seconds))
                now = time.monotonic()
                expired = [
                    key
                    for key, slot in self._slots.items()
                    if slot.state == IDLE and now - slot.driver.last_used >= self.idle_seconds
                ]
                for key in expired:
                    log.info(
                        "warm Spark driver for %s idle for %.0f s: ending it",
                        key.describe(),
                        self.idle_seconds,
                    )
                    self._drop(key)

    def drivers(self) -> list[tuple[DriverKey, str, WarmDriver]]:
        with self._changed:
            return [(key, slot.state, slot.driver) for key, slot in self._slots.items()]

    def close(self) -> None:
        """End every driver (the endpoint is stopping)."""
        with self._changed:
            self._closed = True
            slots = list(self._slots.values())
            self._slots.clear()
            self._changed.notify_all()
        for slot in slots:
            slot.driver.stop()
