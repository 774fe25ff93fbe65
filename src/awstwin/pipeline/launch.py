"""`python -m awstwin run`: refuse an unusable DATA file before the runner is even imported.

Importing the runner brings boto3, numpy and Airflow's plumbing (seconds on a busy machine); the
preflight itself takes milliseconds. So the command checks DATA first with the preflight alone and
exits 2 on a refusal, writing the same artifacts/run_report.json the runner would. Everything else,
and the check again as its first stage (for every caller of run_pipeline), is the runner's.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from awstwin.core.paths import REPORT_PATH, STATE_DIR
from awstwin.core.runlock import LockHeld, run_lock
from awstwin.data.preflight import PreflightRefused, check_file
from awstwin.pipeline.report import RunReport

PREFLIGHT = "preflight"  # the runner's stage of the same name


def refusal(environ: dict[str, str]) -> RunReport | None:
    """The report of a refused DATA file, or None when there is no file or it passes."""
    data = environ.get("DATA")
    if not data:
        return None
    started = time.perf_counter()
    try:
        check_file(Path(data).expanduser(), environ.get("DATA_ENCODING") or None)
    except PreflightRefused as exc:
        ingest_date = environ.get("INGEST_DATE") or datetime.now(UTC).date().isoformat()
        report = RunReport(profile=environ.get("PROFILE") or "local", ingest_date=ingest_date)
        report.dataset = {"source": data}
        report.fail(PREFLIGHT, str(exc))
        report.stages[PREFLIGHT] = report.total_seconds = round(time.perf_counter() - started, 2)
        return report
    return None


def main(argv: list[str] | None = None) -> int:
    refused = refusal(dict(os.environ)) if not argv else None
    if refused is not None and refused.error is not None:
        print(
            f"awstwin run REFUSED the input, nothing was started: {refused.error['message']}", file=sys.stderr
        )
        try:  # the report belongs to the run holding the lock, if one does
            with run_lock(STATE_DIR, "python -m awstwin run (refusing its input)"):
                refused.write(REPORT_PATH)
        except LockHeld as exc:
            print(f"report       not written: {exc}", file=sys.stderr)
            return 2
        print(f"report       {REPORT_PATH}", file=sys.stderr)
        return 2
    from awstwin.pipeline import runner

    return runner.main(argv)
