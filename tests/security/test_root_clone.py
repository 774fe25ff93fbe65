"""As root, a fresh clone inside a folder only root may enter (what `mktemp -d` gives: 0700) installs,
runs the pipeline and passes the warehouse tests, exactly as CI does it, and in doing so creates no
account and opens up no folder; every file the run leaves in `.state/` and `artifacts/` is private.

Before the warehouse ran Postgres in a user namespace, `bash .ci/run` failed there: the system user it
created could not reach the Postgres binaries inside `.venv` (PermissionError), and elsewhere it added
o+x to every folder above the data directory.

Slow (a clone, `make install`, a whole `make run`, the warehouse tests: minutes). It tests the
worktree's committed HEAD (what `git clone` takes), not uncommitted edits.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from awstwin.core.paths import PROJECT_DIR

ROWS = 500  # enough for every task and gate; the run's cost is its processes, not its rows
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 1800

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="this is about running as root: run it as root"),
    pytest.mark.slow,
    pytest.mark.spark,  # the clone's `make run` runs the Glue Spark job
]


def _offline(command: str) -> list[str]:
    """`command` in a private network namespace (its own loopback: the fixed ports 4566, 5439 cannot
    collide with another stack, and nothing reaches the internet)."""
    return ["unshare", "-n", "bash", "-c", f"ip link set lo up && {command}"]


def _environment() -> dict[str, str]:
    """The caller's environment minus what would point the clone at this checkout or its settings."""
    dropped = (
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "AWSTWIN_",
        "AWS_",
        "AIRFLOW",
        "PROFILE",
        "DATA",
        "ROWS",
        "PYTEST",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


def _run(argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    return done


def _modes_above(path: Path) -> dict[Path, int]:
    return {folder: stat.S_IMODE(folder.stat().st_mode) for folder in path.parents}


def _left_running(folder: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in cmdline:
                found.append(f"{entry.name}: {cmdline[:200]}")
    return found


@pytest.fixture(scope="module")
def clone() -> Iterator[Path]:
    for tool in ("git", "unshare", "ip", "make"):
        if shutil.which(tool) is None:
            pytest.skip(f"`{tool}` is not installed")
    probe = subprocess.run(_offline("true"), capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a private network namespace here: {probe.stderr.strip()}")
    private = Path(tempfile.mkdtemp(prefix="awstwin-root-clone-"))
    try:
        assert stat.S_IMODE(private.stat().st_mode) == 0o700  # what CI's clone folder is like
        target = private / "awstwin"
        _run(["git", "clone", "--quiet", str(PROJECT_DIR), str(target)], private, 300)
        yield target
    finally:
        leftovers = _left_running(private)
        shutil.rmtree(private, ignore_errors=True)
        assert leftovers == [], "processes of the clone outlived it"


def test_install_run_and_warehouse_tests_in_a_private_folder_change_nothing_outside(clone: Path) -> None:
    accounts = {entry.pw_name for entry in pwd.getpwall()}
    modes = _modes_above(clone)

    _run(["make", "install"], clone, INSTALL_TIMEOUT)
    run = _run(_offline(f"exec make run ROWS={ROWS}"), clone, RUN_TIMEOUT)
    assert "status       SUCCESS" in run.stdout, run.stdout[-3000:]
    assert "warehouse as root: Postgres runs in a user namespace" in run.stdout  # said before it acts
    tests = _run(
        _offline(".venv/bin/python -m pytest tests/warehouse -q -p no:cacheprovider"), clone, RUN_TIMEOUT
    )
    assert " passed" in tests.stdout and " failed" not in tests.stdout, tests.stdout[-2000:]

    assert {entry.pw_name for entry in pwd.getpwall()} == accounts, "an account was created"
    assert _modes_above(clone) == modes, "a folder above the clone had its permissions changed"
    assert stat.S_IMODE(clone.parent.stat().st_mode) == 0o700
    assert _left_running(clone) == [], "the run left processes behind"

    # Whoever wrote them (the runner, the endpoint, Spark's JVM, Postgres, Airflow), the run's files
    # are the user's alone.
    written = [p for root in (clone / ".state", clone / "artifacts") for p in [root, *root.rglob("*")]]
    assert len(written) > 100 and any(p.suffix == ".parquet" for p in written)
    exposed = [
        f"{oct(stat.S_IMODE(p.lstat().st_mode))} {p.relative_to(clone)}"
        for p in written
        if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]
    assert exposed == []
