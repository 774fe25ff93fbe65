"""Secrets of the local stacks: made once per checkout, never written into the repository.

    secrets = local_secrets.load(STATE_DIR)      # .state/secrets.env, created (0600) on first use
    secrets["AWSTWIN_WAREHOUSE_PASSWORD"]

One file holds every generated password and key, as KEY=VALUE lines: the profile loader fills a local
profile's empty WAREHOUSE_PASSWORD / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from it, and Compose
reads it with `--env-file` to interpolate docker-compose.yml. Values are reused afterwards, because
the warehouse cluster and the compose volumes were initialised with them; a value missing from an
older file is added. Deleting the file makes new ones: delete the state that used them with it
(`make clean`, and `python -m awstwin.stack.compose down --volumes` for the compose stack).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import string
from collections.abc import Callable
from pathlib import Path

FILE_NAME = "secrets.env"
_KEY_ALPHABET = string.ascii_uppercase + "234567"  # what AWS access key IDs are made of


def access_key_id() -> str:
    """20 characters like an AWS key, prefixed so LocalStack maps it to its default account
    (000000000000: keys starting AKIA/ASIA/LKIA/LSIA carry an account) and a reader sees it is ours."""
    return "AWSTWIN" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(13))


def secret_access_key() -> str:
    return secrets.token_urlsafe(30)  # 40 characters, as AWS's


def warehouse_password() -> str:
    """Meets Redshift's rules (8-64 characters, an upper case letter, a lower case letter, a digit,
    none of ' \" \\ / @ or space) and is safe in URLs, JSON and compose interpolation."""
    return "Aw1" + secrets.token_urlsafe(24)


def token() -> str:
    return secrets.token_urlsafe(32)


def fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


# Every secret a local stack needs -> how it is made. Names are what docker-compose.yml interpolates.
RECIPES: dict[str, Callable[[], str]] = {
    "AWSTWIN_WAREHOUSE_PASSWORD": warehouse_password,  # the warehouse's superuser (both stacks)
    "AWSTWIN_ACCESS_KEY_ID": access_key_id,  # the key the compose stack's AWS stand-ins verify
    "AWSTWIN_SECRET_ACCESS_KEY": secret_access_key,
    "AIRFLOW_ADMIN_PASSWORD": token,  # compose's Airflow UI (the shell's AIRFLOW_ADMIN_PASSWORD wins)
    "AIRFLOW_DB_PASSWORD": token,  # compose's Airflow metadata database
    "AIRFLOW_JWT_SECRET": token,  # task tokens, shared by every Airflow component
    "AIRFLOW_API_SECRET_KEY": token,  # log requests between Airflow components
    "AIRFLOW_FERNET_KEY": fernet_key,  # encrypted fields in Airflow's metadata
}


def path_in(state_dir: Path) -> Path:
    return state_dir / FILE_NAME


def parse(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


def _render(values: dict[str, str]) -> str:
    header = (
        "# Secrets generated for this checkout (awstwin.core.local_secrets); keep this file private.\n"
        "# Deleting it makes new ones on the next command: then also delete what used them (`make clean`).\n"
    )
    return header + "".join(f"{key}={value}\n" for key, value in values.items())


def _write_private(path: Path, text: str) -> Path:
    """A new 0600 file beside `path` holding `text` (never readable by others, not even briefly)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(text)
    return temp


def load(state_dir: Path) -> dict[str, str]:
    """Every secret in RECIPES, from `<state_dir>/secrets.env`; made (0600, folder 0700) when absent.

    Two processes starting at once agree: the first file written wins (a hard link cannot replace an
    existing name), the other reads it."""
    path = path_in(state_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    found: dict[str, str] = {}
    with contextlib.suppress(FileNotFoundError):
        found = parse(path.read_text())
    missing = [name for name in RECIPES if not found.get(name)]
    if not missing:
        return {name: found[name] for name in RECIPES}
    values = {**found, **{name: RECIPES[name]() for name in missing}}
    temp = _write_private(path, _render(values))
    try:
        if found:  # an older file lacking a newer secret: keep its values, add the rest
            temp.replace(path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:  # another process made it first: use its values
                return load(state_dir)
    finally:
        temp.unlink(missing_ok=True)
    return {name: values[name] for name in RECIPES}
