"""`make up` / `make down` / `make logs`: the stack in the background, for several commands to use.

With a Docker engine `up` is `docker compose up -d --wait` (awstwin.stack.compose) and prints where
each service answers; `make run` then runs the DAG in that stack. Without one (always, on this
machine) `up` says why and starts the embedded stack detached: the endpoint and the warehouse keep
running after `up` returns, their pids, ports and logs recorded in .state/stack.json; `make run` then
reuses them instead of starting its own. `down` and `logs` act on whichever of the two is up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from awstwin.pipeline.paths import STATE_DIR
from awstwin.pipeline.profile import Profile, ProfileError, load_profile
from awstwin.stack import compose
from awstwin.stack.embedded import EmbeddedStack, StackInfo, stop_recorded
from awstwin.stack.processes import ServiceError
from awstwin.stack.state import forget_record, read_record, record_path, running_stack, write_record


def _profile_name(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--profile", default=os.environ.get("PROFILE") or "local")
    known, _ = parser.parse_known_args(argv)
    return str(known.profile)


def start_detached(
    profile: Profile, state_dir: Path = STATE_DIR, echo: Callable[[str], None] = print
) -> StackInfo:
    """Start the embedded stack in the background (or find it running) and record it."""
    running = running_stack(profile, state_dir)
    if running is not None:
        echo(f"already running (endpoint {running.endpoint_url}, pid {running.endpoint_pid})")
        return running
    stale = read_record(state_dir)
    if stale is not None:  # recorded but not answering: clean up what is left of it first
        stop_recorded(stale)
        forget_record(state_dir)
    info = EmbeddedStack(profile, state_dir, echo=echo).start(detached=True)
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


def up(argv: list[str] | None = None) -> int:
    try:
        profile = load_profile(_profile_name(argv or []))
    except ProfileError as exc:
        print(f"awstwin up: {exc}", file=sys.stderr)
        return 2
    available, reason = compose.docker_available()
    if available:
        return _compose_up(reason)
    print(f"awstwin up: {reason}; starting the embedded stack instead (in the background)")
    try:
        start_detached(profile)
    except (ServiceError, OSError, RuntimeError) as exc:
        print(f"awstwin up: {exc}", file=sys.stderr)
        return 1
    print(f"awstwin up: running; `make run` uses it, `make down` stops it ({record_path()})")
    return 0


def down(argv: list[str] | None = None) -> int:
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


def _follow(paths: list[Path], follow: bool, lines: int) -> None:
    handles = {}
    for path in paths:
        if not path.exists():
            continue
        text = path.read_text(errors="replace").splitlines()
        for line in text[-lines:]:
            print(f"{path.stem:>9} | {line}")
        handle = path.open(errors="replace")
        handle.seek(0, os.SEEK_END)
        handles[path] = handle
    while follow:
        quiet = True
        for path, handle in handles.items():
            for line in handle.readlines():
                quiet = False
                print(f"{path.stem:>9} | {line.rstrip()}", flush=True)
        if quiet:
            time.sleep(0.5)


def logs(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awstwin logs", description="show the stack's logs")
    parser.add_argument("--no-follow", action="store_true", help="print the last lines and exit")
    parser.add_argument("-n", "--lines", type=int, default=50)
    args = parser.parse_args(argv or [])
    if compose.is_up():
        with contextlib.suppress(KeyboardInterrupt):
            return compose.logs(follow=not args.no_follow, tail=args.lines)
        return 0
    info = read_record()
    paths = [Path(info.endpoint_log), Path(info.warehouse_log)] if info else []
    if not paths:
        paths = sorted((STATE_DIR / "logs").glob("*.log"))
    if not paths:
        print("awstwin logs: no stack logs yet (start one with `make up` or `make run`)")
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        _follow(paths, not args.no_follow, args.lines)
    return 0
