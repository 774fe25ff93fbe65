"""The record of a stack started by `make up` (.state/stack.json) and the reuse rule for `make run`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from awstwin.core.paths import STATE_DIR
from awstwin.core.profile import Profile
from awstwin.stack.embedded import EmbeddedStack, StackInfo, endpoint_healthy
from awstwin.stack.localstack_host.server import healthy as localstack_healthy
from awstwin.stack.localstack_stack import PROFILE_NAME as LOCALSTACK_PROFILE
from awstwin.stack.localstack_stack import LocalStackStack, with_endpoints


def record_path(state_dir: Path = STATE_DIR) -> Path:
    return state_dir / "stack.json"


def read_record(state_dir: Path = STATE_DIR) -> StackInfo | None:
    try:
        return StackInfo.from_json(record_path(state_dir).read_text())
    except (OSError, ValueError, TypeError):
        return None


def write_record(info: StackInfo, state_dir: Path = STATE_DIR) -> Path:
    path = record_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(info.to_json())
    temp.replace(path)
    return path


def forget_record(state_dir: Path = STATE_DIR) -> None:
    record_path(state_dir).unlink(missing_ok=True)


def running_stack(profile: Profile, state_dir: Path = STATE_DIR) -> StackInfo | None:
    """The recorded stack, when it serves this profile's endpoint and warehouse and both answer."""
    info = read_record(state_dir)
    if info is None:
        return None
    serves = (info.aws_urls or {}).get("*", info.endpoint_url)  # LocalStack in the `localstack` stack
    if serves.rstrip("/") != profile.aws_endpoint_url.rstrip("/"):
        return None
    if info.warehouse_port != profile.warehouse_port or not endpoint_healthy(info.endpoint_url):
        return None
    if info.localstack is not None and not localstack_healthy(info.localstack["url"]):
        return None
    import psycopg2

    try:
        psycopg2.connect(
            host=info.warehouse_host,
            port=info.warehouse_port,
            dbname=profile.warehouse_db,
            user=profile.warehouse_user,
            password=profile.warehouse_password,
            connect_timeout=3,
        ).close()
    except psycopg2.Error:
        return None
    return info


@contextmanager
def stack_for_run(
    profile: Profile, state_dir: Path = STATE_DIR, echo: Callable[[str], None] = print
) -> Iterator[tuple[StackInfo, bool]]:
    """Yield (stack, reused): the running `make up` stack when there is one, else one started here and
    stopped when the block ends, however it ends."""
    info = running_stack(profile, state_dir)
    if info is not None:
        echo(f"  reusing the stack `make up` started (endpoint {info.endpoint_url}, pid {info.endpoint_pid})")
        yield info, True
        return
    with stack_class(profile)(profile, state_dir, echo=echo) as stack:
        assert stack.info is not None
        yield stack.info, False


def stack_profile(profile: Profile) -> Profile:
    """The profile as its stack serves it (the `localstack` stack splits its endpoints)."""
    return with_endpoints(profile) if profile.name == LOCALSTACK_PROFILE else profile


def stack_class(profile: Profile) -> type[EmbeddedStack] | type[LocalStackStack]:
    """The stack a profile runs on: the `localstack` stack for its profile, else the embedded one."""
    return LocalStackStack if profile.name == LOCALSTACK_PROFILE else EmbeddedStack


def describe(info: StackInfo) -> str:
    described = {
        "endpoint": info.endpoint_url,
        "warehouse": f"postgresql://{info.warehouse_host}:{info.warehouse_port}",
        "logs": list(info.logs.values()),
    }
    if info.airflow is not None:
        described["airflow"] = info.airflow.url
    return json.dumps(described, indent=2)
