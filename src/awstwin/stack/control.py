"""`make up` / `make down` / `make logs`: the stack in the background, for several commands to use.

Without a Docker engine (always, on this machine) `up` starts the embedded stack detached: the
endpoint and the warehouse keep running after `up` returns, their pids, ports and logs recorded in
.state/stack.json; `make run` then reuses them instead of starting its own, and `down` stops them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from awstwin.pipeline.paths import STATE_DIR
from awstwin.pipeline.profile import ProfileError, load_profile
from awstwin.stack.embedded import EmbeddedStack, stop_recorded
from awstwin.stack.processes import ServiceError
from awstwin.stack.state import forget_record, read_record, running_stack, write_record


def _profile_name(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--profile", default=os.environ.get("PROFILE") or "local")
    known, _ = parser.parse_known_args(argv)
    return str(known.profile)


def up(argv: list[str] | None = None) -> int:
    try:
        profile = load_profile(_profile_name(argv or []))
    except ProfileError as exc:
        print(f"awstwin up: {exc}", file=sys.stderr)
        return 2
    running = running_stack(profile)
    if running is not None:
        print(f"awstwin up: already running (endpoint {running.endpoint_url}, pid {running.endpoint_pid})")
        return 0
    stale = read_record()
    if stale is not None:  # recorded but not answering: clean up what is left of it first
        stop_recorded(stale)
        forget_record()
    print("awstwin up: no Docker engine used; starting the embedded stack in the background")
    stack = EmbeddedStack(profile)
    try:
        info = stack.start(detached=True)
    except (ServiceError, OSError, RuntimeError) as exc:
        print(f"awstwin up: {exc}", file=sys.stderr)
        return 1
    path = write_record(info)
    print(f"awstwin up: running; `make run` uses it, `make down` stops it (state in {path})")
    return 0


def down(argv: list[str] | None = None) -> int:
    info = read_record()
    if info is None:
        print("awstwin down: no stack recorded in .state/stack.json; nothing to stop")
        return 0
    stopped = stop_recorded(info)
    forget_record()
    print("awstwin down: stopped " + (", ".join(stopped) if stopped else "nothing (it had already exited)"))
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
