"""What a finished DAG run left behind, read back for the run report, and the report's copy in S3.

Every figure comes from where the run put it, never from the DAG's own claims: row counts and
quarantine reasons from the warehouse tables, KPIs from the KPI mart (only when this run built it, so
a failed re-run never reports the marts of an earlier one), the dashboard from what its task returned.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from awstwin.core import aws
from awstwin.core.profile import Profile
from awstwin.dashboard.data import report_kpis
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.pipeline.counts import connect, quarantine_reasons, warehouse_counts
from awstwin.pipeline.report import RunReport

MARTS_TASK = "build_marts"
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
    report.rows_loaded, report.rows_quarantined = warehouse_counts(profile, date)
    report.quarantine_reasons = quarantine_reasons(profile, date)
    if _succeeded(dag, MARTS_TASK):
        report.kpis = read_kpis(profile, date)
    published = dag.returned.get(DASHBOARD_TASK) if _succeeded(dag, DASHBOARD_TASK) else None
    if isinstance(published, dict):
        report.dashboard = {"path": published.get("path"), "s3_uri": published.get("s3_uri")}


def publish_report(profile: Profile, report: RunReport) -> str:
    """Put the report at s3://<bucket>/reports/<ingest_date>/run_report.json; returns that URI.
    (Written before the stack stops, so its stages lack stack_stop and its total the stop's seconds.)"""
    key = profile.report_key(report.ingest_date, REPORT_FILE)
    report.s3_uri = f"s3://{profile.bucket}/{key}"
    body = json.dumps(report.to_dict(), indent=2) + "\n"
    aws.client(profile, "s3").put_object(
        Bucket=profile.bucket, Key=key, Body=body.encode(), ContentType="application/json"
    )
    return report.s3_uri
