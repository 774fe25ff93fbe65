"""The fault suite: `make run` hit where it hurts, on one ingest date a good run published first.

Each fault asserts that no process of the run is left once it has ended (walking /proc for the run's
state dir in a command line or an environment), that the date is exactly as the good run left it
(catalog partitions, Athena's counts, the zones' objects, the date's reports, warehouse rows,
quarantine and marts: the e2e module's `_everything`) or, where the fault came after publishing,
fully replaced, and that the next run gets going. The last test is that next run, in full: it
succeeds and replaces the date everywhere.

Faults: Ctrl-C (SIGINT to the run's process group) while the stack starts, while it provisions and
while the Glue job runs; SIGKILL of the endpoint, of the warehouse, of the DAG's process and of
`make run` itself while the Glue job runs; and a full disk under the warehouse while the job loads
it (a small tmpfs; root only). Every run is a child process with a state dir and free ports of its
own (tests/faults/harness.py), through `make run`'s own code (runner.run_and_report).

A run here costs one to four minutes (a Glue Spark job is most of it), so the tests share one good
run, and most faults strike before or during the Glue job. tests/conftest.py marks the folder slow
and spark (`make test-fast` leaves it out).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.test_pipeline_embedded import _date_state, _everything, _partitions
from tests.faults.harness import (
    LEFTOVER_SECONDS,
    Run,
    leftovers,
    process_matching,
    processes_of,
    suite_profile,
)

from awstwin.core.profile import Profile
from awstwin.stack import control
from awstwin.warehouse.postgres import read_postmaster_pid

DATE = "2024-06-01"
GLUE_JOB_RUNNING = r"\[airflow\] wait_for_glue_job running"
JOB_SCRIPT = "student_performance_etl.py"  # the Glue job's script, in its process's command line
EXIT_INTERRUPTED, EXIT_FAILED = 130, 1


@dataclass
class Suite:
    state: Path
    profile: Profile
    good: dict[str, Any]  # the date as the good run left it
    runs: int = 0
    started: list[Run] = field(default_factory=list)  # this test's runs

    def run(self, name: str, rows: int = 200, prefix: list[str] | None = None) -> Run:
        self.runs += 1
        run = Run(self.state, self.profile, name, DATE, rows, 100 + self.runs, prefix or []).start()
        self.started.append(run)
        return run

    @contextlib.contextmanager
    def stack(self) -> Iterator[Profile]:
        """The run's own stack again (as `make up` starts it, without Airflow), to read the date."""
        control.start_detached(self.profile, self.state, echo=lambda _: None, airflow=False)
        try:
            yield self.profile
        finally:
            control.stop_detached(self.state)

    def date(self) -> dict[str, Any]:
        """What a reader sees of DATE. A failed run's own folders (run=<id>/, never published) stay
        until the next run of the date removes them: the zones' objects are the published ones."""
        with self.stack() as profile:
            seen = _everything(profile, DATE)
        published = {location for zone in seen["partitions"].values() for _, location in zone}
        for zone, objects in seen["objects"].items():
            seen["objects"][zone] = {
                key: etag
                for key, etag in objects.items()
                if "/run=" not in key or any(f"/{key}".startswith(_path(p)) for p in published)
            }
        return seen


def _path(location: str) -> str:
    """s3://bucket/raw/x/ingest_date=d/run=r/ -> /raw/x/ingest_date=d/run=r/ (a key's prefix)."""
    return "/" + location.split("://", 1)[1].split("/", 1)[1].rstrip("/") + "/"


@pytest.fixture(scope="module")
def suite() -> Iterator[Suite]:
    """One good run of DATE on a state dir of its own (outside pytest's temp root: a pytest session
    starting meanwhile would make it 0700, locking the warehouse's server account out)."""
    state = Path(tempfile.mkdtemp(prefix="awstwin-faults-"))
    profile = suite_profile()
    try:
        base = Run(state, profile, "good", DATE, 300, 5).start()
        assert base.wait() == 0, base.tail()
        assert leftovers(state) == {}
        yield Suite(state, profile, good=Suite(state, profile, {}).date())
    finally:
        with contextlib.suppress(Exception):
            control.stop_detached(state)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_run_outlives_its_test(suite: Suite) -> Iterator[None]:
    """A test that failed half-way leaves its run going: kill it (its guardian stops the rest), so
    the next test starts clean."""
    yield
    for run in suite.started:
        if run.process is not None and run.process.poll() is None:
            run.kill()
            run.wait()
    suite.started.clear()
    leftovers(suite.state)


def _ended(suite: Suite, run: Run, code: int) -> dict[str, Any]:
    """The run ended with `code`, left no process, and left the date as the good run had it."""
    assert run.wait() == code, run.tail()
    assert leftovers(suite.state) == {}, "processes of the run outlived it"
    report = run.report()
    assert report["status"] == "failed" and report["published"] is False, report.get("error")
    assert suite.date() == suite.good, "a failed run changed the date"
    return report


def _during_the_glue_job(run: Run) -> None:
    """Wait until the Glue job's own process runs."""
    run.wait_for(GLUE_JOB_RUNNING)
    deadline = time.monotonic() + 300
    while not any(JOB_SCRIPT in cmdline for cmdline in processes_of(run.state).values()):
        assert time.monotonic() < deadline, f"the Glue job never started:\n{run.tail()}"
        time.sleep(0.2)


# -- Ctrl-C ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "stage, line",
    [
        ("prepare", r"starting the embedded stack"),
        ("provision", r"provisioning pipeline\.yaml"),
        ("dag_run", GLUE_JOB_RUNNING),
    ],
    ids=["prepare", "provision", "dag_run"],
)
def test_ctrl_c_at_a_stage_stops_everything_and_changes_nothing(suite: Suite, stage: str, line: str) -> None:
    run = suite.run(f"sigint-{stage}")
    run.wait_for(line)
    run.interrupt()
    report = _ended(suite, run, EXIT_INTERRUPTED)
    assert report["error"]["task"] == "interrupted"


# -- SIGKILL of one process of the run while the Glue job runs --------------------------------------
def test_sigkill_of_the_endpoint_takes_the_glue_jobs_processes_along(suite: Suite) -> None:
    run = suite.run("kill-endpoint")
    _during_the_glue_job(run)
    os.kill(process_matching(suite.state, "-m awstwin.endpoint"), signal.SIGKILL)
    # The job's processes end with the endpoint (not only when the run's guardian sweeps at its end).
    deadline = time.monotonic() + LEFTOVER_SECONDS
    while any(JOB_SCRIPT in cmdline for cmdline in processes_of(suite.state).values()):
        assert time.monotonic() < deadline, "the Glue job's processes outlived the endpoint"
        time.sleep(0.2)
    _ended(suite, run, EXIT_FAILED)


def test_sigkill_of_the_warehouse_fails_the_run_and_the_next_start_recovers(suite: Suite) -> None:
    run = suite.run("kill-warehouse")
    _during_the_glue_job(run)
    postmaster = read_postmaster_pid(suite.state / "warehouse" / "pgdata")
    assert postmaster is not None
    os.kill(postmaster["pid"], signal.SIGKILL)
    _ended(suite, run, EXIT_FAILED)


def test_sigkill_of_the_dags_process_fails_the_run(suite: Suite) -> None:
    run = suite.run("kill-dag")
    _during_the_glue_job(run)
    os.kill(process_matching(suite.state, "awstwin.orchestration.dag_test"), signal.SIGKILL)
    _ended(suite, run, EXIT_FAILED)


def test_sigkill_of_make_run_leaves_nothing_and_the_next_run_takes_its_lock(suite: Suite) -> None:
    run = suite.run("kill-run")
    _during_the_glue_job(run)
    run.kill()
    assert run.wait() == -signal.SIGKILL
    assert leftovers(suite.state) == {}, "processes outlived a SIGKILLed make run"
    assert suite.date() == suite.good
    # The next run takes the lock the killed one never released, and says so.
    following = suite.run("after-kill-run")
    following.wait_for(r"note: took over the run lock")
    following.interrupt()
    following.wait()
    assert leftovers(suite.state) == {}


# -- a full disk under the warehouse ---------------------------------------------------------------
@pytest.fixture
def small_disk(suite: Suite) -> Iterator[Path]:
    """The warehouse's folder on a small tmpfs holding a copy of it; yields a file to fill it with."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs under the warehouse needs root")
    folder = suite.state / "warehouse"
    saved = suite.state / "warehouse.disk"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) + 96 * 2**20
    folder.rename(saved)
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        saved.rename(folder)
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        subprocess.run(["cp", "-a", f"{saved}/.", str(folder)], check=True)
        yield folder / "filler"
    finally:
        (folder / "filler").unlink(missing_ok=True)
        with contextlib.suppress(Exception):
            control.stop_detached(suite.state)
        shutil.rmtree(saved)  # the warehouse as the small disk left it, for the tests after this one
        saved.mkdir()
        subprocess.run(["cp", "-a", f"{folder}/.", f"{saved}/"], check=False)
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()
        saved.rename(folder)


def _fill(path: Path) -> int:
    written = 0
    with contextlib.suppress(OSError), path.open("wb") as out:
        while True:
            out.write(b"\0" * 2**20)
            out.flush()
            written += 2**20
    return written


def test_a_full_disk_during_the_warehouse_load_publishes_nothing(suite: Suite, small_disk: Path) -> None:
    run = suite.run("disk-full", rows=2000)
    run.wait_for(GLUE_JOB_RUNNING)
    assert _fill(small_disk) > 0
    assert run.wait() == EXIT_FAILED, run.tail()
    assert leftovers(suite.state) == {}
    assert run.report()["published"] is False
    # The run failed for the full disk, not for something else first.
    assert "No space left on device" in (small_disk.parent / "postgres.log").read_text(errors="replace")
    small_disk.unlink()  # room again: the warehouse recovers and the date reads as before
    assert suite.date() == suite.good


# -- and the next run ------------------------------------------------------------------------------
def test_the_next_run_succeeds_and_replaces_the_date_everywhere(suite: Suite) -> None:
    run = suite.run("next", rows=250)
    assert run.wait() == 0, run.tail()
    assert leftovers(suite.state) == {}
    report = run.report()
    assert report["status"] == "success" and report["published"] is True
    assert report["rows_loaded"] + report["rows_quarantined"] == 250
    with suite.stack() as profile:
        after = _date_state(profile, DATE)
        partitions = _partitions(profile, DATE)
    assert after["rows"] == report["rows_loaded"] and after["quarantined"] == report["rows_quarantined"]
    for zone, [(_, location)] in partitions.items():
        assert f"/run={report['run']}/" in location, (zone, location)
