"""Third-party clients against the endpoint, unchanged: their environment and how to run them.

The Python clients (awswrangler, PyAthena, SQLAlchemy, dbt-athena) live in a uv project of their own,
`tests/clients/env/` (pinned in its uv.lock), synced here into `.build/clients-env/` (ignored by git);
the JavaScript SDK in `tests/clients/js/` (package-lock.json), installed with `npm ci`. A client runs
as its own process, configured the standard way (`AWS_ENDPOINT_URL`, test credentials), so nothing of
this repository is on its path. When no registry answers, the tests skip saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENTS = Path(__file__).resolve().parent
ENV_PROJECT = CLIENTS / "env"
ENV_DIR = REPO / ".build" / "clients-env"


def _uv() -> str | None:
    found = shutil.which("uv") or str(REPO / ".tools" / "bin" / "uv")
    return found if Path(found).exists() else None


@pytest.fixture(scope="session")
def clients_env() -> Path:
    """The clients' environment (its `bin/`), synced from tests/clients/env/uv.lock."""
    uv = _uv()
    if uv is None:
        pytest.skip("no uv to build the clients' environment with (make installs it under .tools/)")
    done = subprocess.run(
        [uv, "sync", "--frozen", "--quiet", "--project", str(ENV_PROJECT), "--python", sys.executable],
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(ENV_DIR)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        pytest.skip(f"could not sync tests/clients/env (no registry answer?): {done.stderr[-500:]}")
    return ENV_DIR / "bin"


def client_env(endpoint: Any, **extra: str) -> dict[str, str]:
    """The environment a client process gets: the endpoint for every service, test credentials."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "VIRTUAL_ENV", "PYTHON")) and key != "AWSTWIN_STRICT_MODEL"
    }
    env.update(
        AWS_ENDPOINT_URL=endpoint.url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env


def run_client(
    command: list[str],
    endpoint: Any,
    cwd: Path | None = None,
    timeout: float = 600,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=client_env(endpoint, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command[:3])} exited {done.returncode}\n--- stdout\n{done.stdout[-6000:]}\n"
            f"--- stderr\n{done.stderr[-6000:]}"
        )
    return done
