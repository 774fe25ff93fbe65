"""`make run`: the whole pipeline, end to end, on the stack the profile names.

Environment: DATA (a CSV path; else a generated dataset of ROWS rows, default 6607, with SEED),
DATA_ENCODING (the file's encoding, default utf-8), INGEST_DATE (default today, UTC), PROFILE
(default local).

The run walks the stages in awstwin.pipeline.stages (check the input: a file that cannot load is
refused there, exit 2, before anything starts; choose the target, prepare the stack, provision
infra/pipeline.yaml, upload the CSV to the run's own folder s3://<bucket>/raw/student_performance/
ingest_date=<date>/run=<id>/student_performance.csv, run the DAG, which publishes the run only when
every check passed, read the counts from the warehouse, judge, publish the report), writes
artifacts/run_report.json, and stops what it started. The exit code is the truth: 0 only when every
task succeeded and raw = loaded + quarantined.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from awstwin.core.guardian import guarded_run
from awstwin.core.profile import load_profile
from awstwin.core.runlock import LockHeld, run_lock
from awstwin.pipeline.report import RunReport
from awstwin.pipeline.run import (
    DAG_ID,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    PipelineRun,
    Progress,
    RunOptions,
    StageError,
)
from awstwin.pipeline.stages import PREFLIGHT, run_stages
from awstwin.pipeline.targets import profile_name
from awstwin.stack.state import stack_profile

# What `make run`'s callers (tests, the bench) use; the rest of a run lives in pipeline.run and .stages.
__all__ = ["DAG_ID", "LockHeld", "RunOptions", "main", "options_from_env", "run_and_report", "run_pipeline"]


def options_from_env(environ: dict[str, str] | None = None) -> RunOptions:
    env = dict(os.environ if environ is None else environ)
    today = datetime.now(UTC).date().isoformat()
    ingest = env.get("INGEST_DATE") or today
    try:
        ingest = date.fromisoformat(ingest).isoformat()
    except ValueError:
        raise ValueError(f"INGEST_DATE={ingest!r} is not a date: use YYYY-MM-DD") from None
    data = env.get("DATA") or None
    return RunOptions(
        profile=load_profile(profile_name(env.get("PROFILE"))),
        ingest_date=ingest,
        data=Path(data) if data else None,
        rows=int(env.get("ROWS") or DEFAULT_ROWS),
        seed=int(env.get("SEED") or DEFAULT_SEED),
        encoding=env.get("DATA_ENCODING") or None,
    )


def command_name() -> str:
    """How the lock file names this command: `make run` when make started it."""
    return "make run" if os.environ.get("MAKELEVEL") else "python -m awstwin run"


def run_pipeline(
    options: RunOptions, progress: Callable[[str], None] | None = None, command: str | None = None
) -> RunReport:
    """Run every stage and return the report (also written to `options.report_path`).

    The run holds its state dir's lock (awstwin.core.runlock; LockHeld when another command does,
    before anything is written) and its guardian (awstwin.core.guardian): whatever the run started
    is stopped when it ends, even when it is killed."""
    command = f"{command or command_name()} (profile {options.profile.name}, run {options.run})"
    with run_lock(options.state_dir, command) as lock, guarded_run(lock.fd):
        return _run(options, progress, lock.took_over)


def _run(options: RunOptions, progress: Callable[[str], None] | None, took_over: str | None) -> RunReport:
    started = time.perf_counter()
    options = dataclasses.replace(options, profile=stack_profile(options.profile))  # endpoints split
    report = RunReport(profile=options.profile.name, ingest_date=options.ingest_date, run=options.run)
    run = PipelineRun(options, report, say=progress or Progress())
    if took_over:
        report.notes.append(took_over)
        run.say(f"note: {took_over}")
    try:
        run_stages(run)
    except StageError as exc:
        report.fail(exc.stage, str(exc))
    except KeyboardInterrupt:
        report.fail("interrupted", "stopped by the user (Ctrl-C)")
        raise
    except SystemExit as exc:
        report.fail("interrupted", f"stopped by a signal (exit {exc.code})")
        raise
    finally:
        report.total_seconds = round(time.perf_counter() - started, 2)
        report.write(options.report_path)
    return report


def _raise_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """`python -m awstwin run`: exit 0 on success, 1 when the pipeline failed, 2 on bad input."""
    if argv:
        print(
            "usage: python -m awstwin run   (settings via DATA, ROWS, SEED, INGEST_DATE, PROFILE)",
            file=sys.stderr,
        )
        return 2
    try:
        options = options_from_env()
    except ValueError as exc:
        print(f"awstwin run: {exc}", file=sys.stderr)
        return 2
    return run_and_report(options)


def run_and_report(options: RunOptions, command: str | None = None) -> int:
    """`make run` once its options are known: run, print the summary, return the exit code (0 success,
    1 failed or another command holds the lock, 2 refused input, 130 interrupted)."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_on_signal)
    progress = Progress()
    progress(f"awstwin run: profile {options.profile.name}, report {options.report_path}")
    try:
        report = run_pipeline(options, progress, command)
    except LockHeld as exc:
        print(f"awstwin run: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nawstwin run: interrupted; the stack was stopped", file=sys.stderr)
        return 130
    print()
    print(report.summary())
    print(f"report       {options.report_path}")
    if report.status != "success":
        error = report.error or {"task": "?", "message": "unknown"}
        if error["task"] == PREFLIGHT:
            print(
                f"\nawstwin run REFUSED the input, nothing was started: {error['message']}", file=sys.stderr
            )
            return 2
        print(f"\nawstwin run FAILED: task {error['task']} failed: {error['message']}", file=sys.stderr)
        for name, path in report.logs.items():
            print(f"  {name} log: {path}", file=sys.stderr)
        return 1
    return 0
