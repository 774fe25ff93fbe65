"""What a finished DAG run left behind, read back for the run report, and the report's copy in S3.

Every figure comes from where the run put it, never from the DAG's own claims: row counts and
quarantine reasons from the warehouse tables, KPIs from the KPI mart, the dashboard from what its task
returned. A run that published nothing (it failed before publish_warehouse committed) reports no
counts of its own: what it staged, and the date's counts as its last good run left them, apart.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from awstwin.core import aws
from awstwin.core.profile import Profile
from awstwin.dashboard.data import report_kpis
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.pipeline.counts import connect, quarantine_reasons, staged_counts, warehouse_counts
from awstwin.pipeline.report import RunReport

PUBLISH_TASK = "publish_warehouse"  # the date's rows, quarantined rows and marts, in one transaction
DASHBOARD_TASK = "build_dashboard"
REPORT_FILE = "run_report.json"


def _succeeded(dag: DagRunResult, task_id: str) -> bool:
    return any(t.task_id == task_id and t.state == "success" for t in dag.tasks)


def read_kpis(profile: Profile, ingest_date: str) -> dict[str, Any]:
    with contextlib.closing(connect(profile)) as connection:
        return report_kpis(connection, ingest_date)


def read_outcome(profile: Profile, report: RunReport, dag: DagRunResult) -> None:
    """Fill the report's counts, quarantine reasons, KPIs and dashboard for its ingest date."""
    date = report.ingest_date
    report.published = _succeeded(dag, PUBLISH_TASK)
    loaded, quarantined = warehouse_counts(profile, date)
    if not report.published:  # the date's rows are another run's: say so, apart from this run's
        report.rows_loaded = report.rows_quarantined = None
        report.last_good = {"rows_loaded": loaded, "rows_quarantined": quarantined}
        staged = staged_counts(profile, report.run) if report.run else None
        report.staged = {"rows_loaded": staged[0], "rows_quarantined": staged[1]} if staged else None
        return
    report.rows_loaded, report.rows_quarantined = loaded, quarantined
    report.quarantine_reasons = quarantine_reasons(profile, date)
    report.kpis = read_kpis(profile, date)
    published = dag.returned.get(DASHBOARD_TASK) if _succeeded(dag, DASHBOARD_TASK) else None
    if isinstance(published, dict):
        report.dashboard = {"path": published.get("path"), "s3_uri": published.get("s3_uri")}


def publish_report(profile: Profile, report: RunReport) -> str:
    """Put the report at s3://<bucket>/reports/<ingest_date>/run=<id>/run_report.json and, for a run
    that published, also at reports/<ingest_date>/run_report.json next to the date's dashboard (a
    failed run never replaces the date's report); returns the URI of the run's own copy.
    (Written before the stack stops, so its stages lack stack_stop and its total the stop's seconds.)"""
    s3 = aws.client(profile, "s3")
    date_key = profile.report_key(report.ingest_date, REPORT_FILE)
    run_key = (
        profile.report_key(report.ingest_date, f"run={report.run}/{REPORT_FILE}") if report.run else date_key
    )
    report.s3_uri = f"s3://{profile.bucket}/{run_key}"
    body = (json.dumps(report.to_dict(), indent=2) + "\n").encode()
    keys = [run_key] + ([date_key] if report.published and run_key != date_key else [])
    for key in keys:
        s3.put_object(Bucket=profile.bucket, Key=key, Body=body, ContentType="application/json")
    return report.s3_uri
