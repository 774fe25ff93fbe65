"""dbt-redshift's `dbt build` (seed, models with DISTKEY/SORTKEY config, data tests) against the front.

dbt does not fit the project's lock (its own pins clash with Airflow's), so it lives in a side
environment locked in tests/redshift/dbt_env/ and synced by uv into a cache folder on first use.
dbt-redshift table config: https://docs.getdbt.com/reference/resource-configs/redshift-configs
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from tests.redshift.conftest import rows

HERE = Path(__file__).parent
ENV_PROJECT = HERE / "dbt_env"
PROJECT = HERE / "dbt_project"
# Syncs dbt into a side environment from the registry on first use, then runs dbt: both tiers.
pytestmark = [pytest.mark.network, pytest.mark.slow]

ENV_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "awstwin" / "dbt-env"


def _uv() -> str | None:
    repo = HERE.parents[1]
    for candidate in (shutil.which("uv"), repo / ".tools" / "bin" / "uv"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


@pytest.fixture(scope="module")
def dbt() -> str:
    """The side environment's dbt, synced from its lock (skips when no registry answers)."""
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed: `make install` fetches it")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(ENV_DIR)}
    done = subprocess.run(
        [uv, "sync", "--frozen", "--python", "3.11", "--project", str(ENV_PROJECT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"the dbt side environment could not be installed (no registry?): {done.stderr[-500:]}")
    return str(ENV_DIR / "bin" / "dbt")


def test_dbt_build_with_dist_and_sort_config(dbt, front, warehouse, connect, tmp_path):
    schema = f"dbt_{uuid.uuid4().hex[:8]}"
    (tmp_path / "profiles.yml").write_text(
        "awstwin_redshift:\n  target: local\n  outputs:\n    local:\n      type: redshift\n"
        f"      host: {front.host}\n      port: {front.port}\n      user: {warehouse.user}\n"
        f"      password: {warehouse.password}\n      dbname: dev\n      schema: {schema}\n"
        "      threads: 2\n      sslmode: disable\n"
    )
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    env = {**os.environ, "DBT_PROFILES_DIR": str(tmp_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(
        [dbt, "build", "--no-use-colors"], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Completed successfully" in done.stdout
    connection = connect()
    assert rows(connection, f"SELECT school_type, n, students FROM {schema}.score_by_school ORDER BY 1") == [
        ("Private", 2, "3,5"),
        ("Public", 4, "1,2,4,6"),
    ]
    assert rows(
        connection,
        f"SELECT diststyle, sortkey1, backup FROM svv_table_info WHERE schema = '{schema}' "
        "AND \"table\" = 'score_by_school'",
    ) == [("KEY(school_type)", "school_type", False)]
    assert rows(connection, f"SELECT count(*) FROM {schema}.top_students") == [(4,)]
