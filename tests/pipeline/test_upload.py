"""The upload stage: the ingest date's raw partition holds exactly the run's file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from awstwin.core.profile import load_profile
from awstwin.pipeline import dataset
from awstwin.pipeline.upload import upload_input


def test_a_rerun_replaces_the_dates_upload(endpoint: Any, aws: Callable[[str], Any], tmp_path: Path) -> None:
    profile = load_profile("local", {"aws_endpoint_url": endpoint.url, "bucket": "upload-test-bucket"})
    aws("s3").create_bucket(Bucket=profile.bucket)
    first = tmp_path / "a.csv"
    first.write_text("Hours_Studied\n1\n")
    second = tmp_path / "b.csv"
    second.write_text("Hours_Studied\n2\n3\n")
    upload_input(profile, "2024-01-02", dataset.from_file(first))
    assert upload_input(profile, "2024-01-01", dataset.from_file(first))[1] == 0
    uri, replaced = upload_input(profile, "2024-01-01", dataset.from_file(second))
    assert replaced == 1
    assert uri == f"s3://{profile.bucket}/raw/student_performance/ingest_date=2024-01-01/b.csv"
    keys = [o["Key"] for o in aws("s3").list_objects_v2(Bucket=profile.bucket)["Contents"]]
    assert sorted(keys) == [
        "raw/student_performance/ingest_date=2024-01-01/b.csv",
        "raw/student_performance/ingest_date=2024-01-02/a.csv",
    ]


def test_rows_are_counted_as_csv_records(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b'A,B\r\n1,\r\n2,"x\r\ny"\r\n\r\n')
    data = dataset.from_file(path)
    assert data.rows == 2
    assert data.source == str(path)
    assert len(data.sha256) == 64
