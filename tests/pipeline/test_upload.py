"""The upload stage: the run's file goes to its own folder under one name, and nothing else moves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import REAL_DATASET

from awstwin.core.profile import load_profile
from awstwin.data import generator
from awstwin.pipeline import dataset
from awstwin.pipeline.upload import upload_input


def test_each_run_uploads_to_its_own_folder_under_one_name(
    endpoint: Any, aws: Callable[[str], Any], tmp_path: Path
) -> None:
    profile = load_profile("local", {"aws_endpoint_url": endpoint.url, "bucket": "upload-test-bucket"})
    aws("s3").create_bucket(Bucket=profile.bucket)
    hidden = tmp_path / "_students.csv"  # a name Spark, Athena and the crawlers would skip
    generator.generate(hidden, rows=5, seed=1)
    uri = upload_input(profile, "2024-01-01", "20240101t000000_aaaa", dataset.from_file(hidden))
    assert uri == (
        f"s3://{profile.bucket}/raw/student_performance/ingest_date=2024-01-01/run=20240101t000000_aaaa/"
        "student_performance.csv"
    )
    upload_input(profile, "2024-01-01", "20240101t000100_bbbb", dataset.from_file(hidden))
    keys = sorted(o["Key"] for o in aws("s3").list_objects_v2(Bucket=profile.bucket)["Contents"])
    assert keys == [  # the earlier upload of the date is still there: only publishing supersedes it
        "raw/student_performance/ingest_date=2024-01-01/run=20240101t000000_aaaa/student_performance.csv",
        "raw/student_performance/ingest_date=2024-01-01/run=20240101t000100_bbbb/student_performance.csv",
    ]
    body = aws("s3").get_object(Bucket=profile.bucket, Key=keys[0])["Body"].read()
    assert body == hidden.read_bytes()


def test_a_file_in_another_encoding_is_uploaded_as_utf8(
    endpoint: Any, aws: Callable[[str], Any], tmp_path: Path
) -> None:
    profile = load_profile("local", {"aws_endpoint_url": endpoint.url, "bucket": "upload-encoding-bucket"})
    aws("s3").create_bucket(Bucket=profile.bucket)
    lines = REAL_DATASET.read_text().splitlines(keepends=True)[:4] if REAL_DATASET.is_file() else []
    if not lines:
        generator.generate(tmp_path / "g.csv", rows=3, seed=2)
        lines = (tmp_path / "g.csv").read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("Male", "Mâle").replace("Female", "Femâle")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("".join(lines).encode("latin-1"))
    data = dataset.from_file(latin, "latin-1", tmp_path / "copies")
    assert data.upload is not None and data.rows == 3
    assert any("latin-1" in warning for warning in data.warnings)
    key = upload_input(profile, "2024-01-01", "20240101t000000_cccc", data).split(f"{profile.bucket}/", 1)[1]
    body = aws("s3").get_object(Bucket=profile.bucket, Key=key)["Body"].read()
    assert body == "".join(lines).encode("utf-8") and data.summary()["sha256"] == dataset.sha256_of(latin)
