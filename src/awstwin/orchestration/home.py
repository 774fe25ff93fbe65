"""A local AIRFLOW_HOME whose SQLite metadata database is migrated once and then reused.

`airflow db migrate` costs seconds, so it runs once, into a template home (.state/airflow-template),
and only again for another Airflow version; an exclusive file lock makes concurrent runs (two
`make run`, parallel tests) wait for one migration instead of racing on the same file. A run's home
gets a copy of the template's database when it has none (milliseconds), so tests can each have
their own home and `make run` keeps its history in .state/airflow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

from awstwin.core.filelock import exclusive

DB_NAME = "airflow.db"
LOCK_NAME = ".migrate.lock"


class AirflowSetupError(RuntimeError):
    """The metadata database could not be migrated; the message carries Airflow's output."""


def _marker(home: Path) -> Path:
    return home / f".migrated-{version('apache-airflow-core')}"


def is_migrated(home: Path) -> bool:
    return (home / DB_NAME).is_file() and _marker(home).is_file()


def home_environment(home: Path) -> dict[str, str]:
    """What points Airflow at `home` and its SQLite database."""
    return {"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / DB_NAME}"}


def ensure_migrated(home: Path, env: Mapping[str, str], log: Path | None = None) -> float:
    """Migrate `home`'s database unless done already; return the seconds spent (0 when reused)."""
    if is_migrated(home):
        return 0.0
    with exclusive(home / LOCK_NAME):
        if is_migrated(home):  # another process migrated it while we waited
            return 0.0
        started = time.perf_counter()
        for stale in home.glob(".migrated-*"):
            stale.unlink()
        airflow = [sys.executable, "-m", "airflow", "db", "migrate"]
        result = subprocess.run(
            airflow,
            env={**os.environ, **env, **home_environment(home)},
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise AirflowSetupError(
                f"`airflow db migrate` failed in {home} (exit {result.returncode}):\n{tail}"
            )
        _marker(home).write_text(f"migrated in {time.perf_counter() - started:.1f} s\n")
        return time.perf_counter() - started


def clone_home(source: Path, target: Path) -> None:
    """Give `target` a copy of `source`'s migrated database (taken under the migration lock)."""
    target.mkdir(parents=True, exist_ok=True)
    with exclusive(source / LOCK_NAME):
        shutil.copy2(source / DB_NAME, target / DB_NAME)
        marker = _marker(source)
        shutil.copy2(marker, target / marker.name)


def prepare_home(home: Path, template: Path, env: Mapping[str, str], log: Path | None = None) -> float:
    """Give `home` a migrated database, migrating `template` first if needed; returns migration seconds."""
    seconds = ensure_migrated(template, env, log)
    if not is_migrated(home):
        clone_home(template, home)
    return seconds
