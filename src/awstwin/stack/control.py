"""`make up` / `make down` / `make logs`: the stack in the background, for several commands to use.

With a Docker engine `up` is `docker compose up -d --wait` (awstwin.stack.compose) and prints where
each service answers; `make run` then runs the DAG in that stack. Without one (always, on this
machine) `up` says why and starts the embedded stack detached: the endpoint, the warehouse and
Airflow as a server (UI and REST API on 127.0.0.1:AIRFLOW_UI_PORT, default 8080; scheduler;
dag-processor: awstwin.stack.airflow_local) keep running after `up` returns, their pids, ports and
logs recorded in .state/stack.json. `make run` then provisions and uploads on that stack and
triggers the DAG through Airflow's REST API, so the run shows in the UI (awstwin.pipeline.targets).
`down` and `logs` act on whichever of the two stacks is up; `down` leaves no process behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from awstwin.core import local_secrets
from awstwin.core.paths import REPORT_PATH, STATE_DIR
from awstwin.core.processes import ServiceError
from awstwin.core.profile import Profile, ProfileError, load_profile, parse_env_file, profile_path
from awstwin.core.runlock import LockHeld, run_lock
from awstwin.stack import airflow_local, compose
from awstwin.stack.embedded import StackInfo, stop_recorded
from awstwin.stack.localstack_stack import PROFILE_NAME as LOCALSTACK_PROFILE
from awstwin.stack.state import (
    forget_record,
    read_record,
    record_path,
    running_stack,
    stack_class,
    stack_profile,
    write_record,
)
from awstwin.warehouse import Warehouse

STACKS = {"embedded": "local", LOCALSTACK_PROFILE: LOCALSTACK_PROFILE}  # STACK= -> its profile


def _profile_name(argv: list[str]) -> str:
    """PROFILE (or --profile), else the profile of STACK (or --stack: embedded, localstack)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--profile", default=os.environ.get("PROFILE") or "")
    parser.add_argument("--stack", default=os.environ.get("STACK") or "")
    known, _ = parser.parse_known_args(argv)
    if known.stack and known.stack not in STACKS:
        raise ProfileError(
            f"STACK={known.stack!r}: choose one of {', '.join(STACKS)} (compose: a Docker engine)"
        )
    if known.stack and known.profile in ("", "local"):  # the Makefile's PROFILE default gives way
        return STACKS[known.stack]
    return str(known.profile or "local")


def start_detached(
    profile: Profile,
    state_dir: Path = STATE_DIR,
    echo: Callable[[str], None] = print,
    airflow: bool | None = None,
    artifacts_dir: Path | None = None,
) -> StackInfo:
    """Start the embedded stack in the background (or find it running) and record it.

    `airflow`: also start Airflow as a server (UI port from AIRFLOW_UI_PORT, default 8080). None (the
    default) means what `make up` does: Airflow for the project's own stack (.state), none for a stack
    in another state folder (tests: they ask with airflow=True and a free AIRFLOW_UI_PORT).
    `artifacts_dir`: where the DAG's dashboard task also writes its page (default artifacts/)."""
    with_airflow = state_dir == STATE_DIR if airflow is None else airflow
    running = running_stack(profile, state_dir)
    if running is not None and (not with_airflow or _airflow_answers(running)):
        echo(f"already running (endpoint {running.endpoint_url}, pid {running.endpoint_pid})")
        return running
    if running is not None:  # endpoint and warehouse answer, Airflow does not: start Airflow alone
        return _restart_airflow(profile, state_dir, running, echo, artifacts_dir)
    stale = read_record(state_dir)
    if stale is not None:  # recorded but not answering: clean up what is left of it first
        stop_recorded(stale)
        forget_record(state_dir)
    stack = stack_class(profile)(stack_profile(profile), state_dir, echo=echo)
    port = airflow_local.ui_port() if with_airflow else None
    info = stack.start(detached=True, airflow_port=port, artifacts_dir=artifacts_dir or REPORT_PATH.parent)
    write_record(info, state_dir)
    return info


def _airflow_answers(info: StackInfo) -> bool:
    return info.airflow is not None and airflow_local.healthy(info.airflow)


def _restart_airflow(
    profile: Profile,
    state_dir: Path,
    info: StackInfo,
    echo: Callable[[str], None],
    artifacts_dir: Path | None,
) -> StackInfo:
    if info.airflow is not None:
        echo("  airflow   not answering: stopping what is left of it, starting it again")
        airflow_local.stop_recorded(info.airflow)
        info.airflow = None
        write_record(info, state_dir)
    stack = stack_class(profile)(stack_profile(profile), state_dir, echo=echo)
    stack.warehouse = Warehouse(
        info.warehouse_dir,
        port=info.backend_port,
        host=info.warehouse_host,
        user=profile.warehouse_user,
        password=profile.warehouse_password,
        database=profile.warehouse_db,
    )
    info.airflow = stack.start_airflow(airflow_local.ui_port(), artifacts_dir or REPORT_PATH.parent)
    write_record(info, state_dir)
    return info


def stop_detached(state_dir: Path = STATE_DIR) -> list[str] | None:
    """Stop the recorded stack; None when none was recorded."""
    info = read_record(state_dir)
    if info is None:
        return None
    stopped = stop_recorded(info)
    forget_record(state_dir)
    return stopped


def summary(info: StackInfo, reason: str = "") -> list[str]:
    """What runs where in the embedded stack (what `make up` prints)."""
    profile = load_profile(info.profile)
    warehouse = f"postgresql://{profile.warehouse_user}@{info.warehouse_host}:{info.warehouse_port}/"
    if info.localstack is not None:
        rows = [
            ("LocalStack 4.14.0 (S3, Logs, IAM, STS)", str(info.localstack["url"])),
            ("Glue, Athena, Secrets Manager (emulator)", info.endpoint_url),
        ]
    else:
        rows = [("AWS endpoint (S3, Glue, Athena, Logs, ...)", info.endpoint_url)]
    where = warehouse + profile.warehouse_db + _password_note(profile)
    rows.append(("warehouse (Redshift front over Postgres)", where))
    if info.airflow is not None:
        rows += [
            ("Airflow UI and REST API", info.airflow.url),
            ("Airflow login", info.airflow.credentials_text()),
            ("Airflow metadata", info.airflow.metadata_db),
        ]
    logs = sorted({str(Path(path).parent) for path in info.logs.values()})
    rows.append(("logs (`make logs`)", ", ".join(logs)))
    why = f" because {reason}" if reason else ""
    name = "`localstack` stack" if info.localstack is not None else "embedded stack"
    lines = [f"The {name}, as local processes{why}:"]
    return lines + [f"  {name:<44}{where}" for name, where in rows]


def _password_note(profile: Profile) -> str:
    """Where the warehouse password is, when it is the one generated for this checkout (never shown)."""
    if parse_env_file(profile_path(profile.name)).get("WAREHOUSE_PASSWORD"):
        return ""
    return f" (password: AWSTWIN_WAREHOUSE_PASSWORD in {local_secrets.path_in(STATE_DIR)})"


def _compose_up(engine: str) -> int:
    print(f"awstwin up: {engine}; starting docker-compose.yml (first start builds the images)")
    try:
        compose.up()
        print("\n".join(compose.summary(compose.resolved_config())))
    except compose.ComposeError as exc:
        print(f"awstwin up: {exc}", file=sys.stderr)
        return 1
    print("awstwin up: running; `make run` runs the DAG in it, `make down` stops it")
    return 0


def _locked(name: str, command: Callable[[list[str] | None], int], argv: list[str] | None) -> int:
    """Run `make up` / `make down` under the checkout's run lock: never while a run uses the stack."""
    try:
        with run_lock(STATE_DIR, f"make {name}"):
            return command(argv)
    except LockHeld as exc:
        print(f"awstwin {name}: {exc}", file=sys.stderr)
        return 1


def up(argv: list[str] | None = None) -> int:
    return _locked("up", _up, argv)


def down(argv: list[str] | None = None) -> int:
    return _locked("down", _down, argv)


def _up(argv: list[str] | None = None) -> int:
    try:
        profile = load_profile(_profile_name(argv or []))
    except ProfileError as exc:
        print(f"awstwin up: {exc}", file=sys.stderr)
        return 2
    if profile.name == LOCALSTACK_PROFILE:
        reason = "STACK=localstack"
        print("awstwin up: starting the `localstack` stack (LocalStack + the emulator, no Docker)")
    else:
        available, reason = compose.docker_available()
        if available:
            return _compose_up(reason)
        print(f"awstwin up: {reason}; starting the embedded stack instead (in the background)")
        reason = "no Docker engine answered"
    try:
        info = start_detached(profile)
    except (ServiceError, OSError, RuntimeError) as exc:
        print(f"awstwin up: {exc}", file=sys.stderr)
        return 1
    if info is not None:
        print("\n".join(summary(info, reason)))
    print(
        "awstwin up: running; `make run` runs the DAG in it (visible in the Airflow UI), "
        f"`make down` stops it ({record_path()})"
    )
    return 0


def _down(argv: list[str] | None = None) -> int:
    if compose.is_up():
        try:
            compose.down()
        except compose.ComposeError as exc:
            print(f"awstwin down: {exc}", file=sys.stderr)
            return 1
        print(
            "awstwin down: stopped the compose stack (its volumes keep the data; "
            "`python -m awstwin.stack.compose down --volumes` deletes them)"
        )
        return 0
    stopped = stop_detached()
    if stopped is None:
        print("awstwin down: no stack recorded in .state/stack.json; nothing to stop")
    else:
        print(
            "awstwin down: stopped " + (", ".join(stopped) if stopped else "nothing (it had already exited)")
        )
    return 0


def _follow(paths: dict[str, Path], follow: bool, lines: int) -> None:
    """Print the last `lines` of each log, each line after its log's name; with `follow`, go on."""
    width = max((len(name) for name in paths), default=0)
    handles = {}
    for name, path in paths.items():
        if not path.exists():
            continue
        text = path.read_text(errors="replace").splitlines()
        for line in text[-lines:]:
            print(f"{name:>{width}} | {line}")
        handle = path.open(errors="replace")
        handle.seek(0, os.SEEK_END)
        handles[name] = handle
    while follow:
        quiet = True
        for name, handle in handles.items():
            for line in handle.readlines():
                quiet = False
                print(f"{name:>{width}} | {line.rstrip()}", flush=True)
        if quiet:
            time.sleep(0.5)


def logs(argv: list[str] | None = None, state_dir: Path = STATE_DIR) -> int:
    parser = argparse.ArgumentParser(prog="python -m awstwin logs", description="show the stack's logs")
    parser.add_argument("--no-follow", action="store_true", help="print the last lines and exit")
    parser.add_argument("-n", "--lines", type=int, default=50)
    args = parser.parse_args(argv or [])
    if compose.is_up():
        with contextlib.suppress(KeyboardInterrupt):
            return compose.logs(follow=not args.no_follow, tail=args.lines)
        return 0
    info = read_record(state_dir)
    paths = {name: Path(path) for name, path in info.logs.items()} if info else {}
    if not paths:
        paths = {path.stem: path for path in sorted((state_dir / "logs").glob("*.log"))}
    if not paths:
        print("awstwin logs: no stack logs yet (start one with `make up` or `make run`)")
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        _follow(paths, not args.no_follow, args.lines)
    return 0
