"""Where a rendered dashboard goes: artifacts/dashboard.html (the latest, for `make dashboard`) and
s3://<bucket>/reports/<ingest_date>/dashboard.html (one per ingest date, next to the run's reports).

`build_dashboard` is the one call the DAG's dashboard task makes; it returns a JSON-ready dict for
XCom and for run_report.json.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from awstwin.core.paths import ARTIFACTS_DIR
from awstwin.dashboard.marts import check_ingest_date
from awstwin.dashboard.render import render_dashboard

FILE_NAME = "dashboard.html"
CONTENT_TYPE = "text/html; charset=utf-8"


def s3_key(ingest_date: str | dt.date) -> str:
    return f"reports/{check_ingest_date(ingest_date)}/{FILE_NAME}"


@dataclass(frozen=True)
class PublishedDashboard:
    ingest_date: str
    path: str | None  # local file, when an artifacts folder was given
    s3_uri: str | None  # when a bucket was given
    size_bytes: int
    render_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_file(html: str, artifacts_dir: Path) -> Path:
    """Write atomically, so `make dashboard` never serves half a page."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    target = artifacts_dir / FILE_NAME
    partial = target.with_name(f".{FILE_NAME}.partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)
    return target


def publish_dashboard(
    html: str,
    ingest_date: str | dt.date,
    *,
    artifacts_dir: Path | None = ARTIFACTS_DIR,
    s3_client: Any = None,
    bucket: str | None = None,
    render_seconds: float = 0.0,
) -> PublishedDashboard:
    """Write the page locally (artifacts_dir) and/or to S3 (s3_client + bucket); either may be off."""
    date = check_ingest_date(ingest_date)
    body = html.encode("utf-8")
    path = write_file(html, Path(artifacts_dir)) if artifacts_dir is not None else None
    uri = None
    if bucket:
        if s3_client is None:
            raise ValueError(f"a bucket ({bucket}) was given for the dashboard of {date} but no S3 client")
        key = s3_key(date)
        s3_client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPE)
        uri = f"s3://{bucket}/{key}"
    return PublishedDashboard(date, str(path) if path else None, uri, len(body), round(render_seconds, 3))


def build_dashboard(
    connection: Any,
    ingest_date: str | dt.date,
    *,
    s3_client: Any = None,
    bucket: str | None = None,
    artifacts_dir: Path | None = ARTIFACTS_DIR,
) -> dict[str, Any]:
    """Render the dashboard of one ingest date from the marts and publish it; returns
    {"ingest_date", "path", "s3_uri", "size_bytes", "render_seconds"}."""
    started = time.perf_counter()
    html = render_dashboard(connection, ingest_date)
    seconds = time.perf_counter() - started
    published = publish_dashboard(
        html,
        ingest_date,
        artifacts_dir=artifacts_dir,
        s3_client=s3_client,
        bucket=bucket,
        render_seconds=seconds,
    )
    return published.to_dict()
