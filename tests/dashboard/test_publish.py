"""The dashboard task's outputs (a local file and an S3 object per ingest date) and `make dashboard`."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.dashboard.warehouse_rows import GENERATED_DATE, LoadedDate

from awstwin.core.paths import PROJECT_DIR
from awstwin.dashboard import build_dashboard
from awstwin.dashboard.data import MartsNotBuiltError
from awstwin.dashboard.serve import main


def test_build_dashboard_writes_the_file_and_the_s3_object(
    connection: Any, generated: LoadedDate, aws: Callable[[str], Any], tmp_path: Path
) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="dashboard-test")
    result = build_dashboard(
        connection,
        GENERATED_DATE,
        s3_client=s3,
        bucket="dashboard-test",
        artifacts_dir=tmp_path / "artifacts",
    )
    page = tmp_path / "artifacts" / "dashboard.html"
    assert result["path"] == str(page) and result["ingest_date"] == GENERATED_DATE
    assert result["s3_uri"] == f"s3://dashboard-test/reports/{GENERATED_DATE}/dashboard.html"
    body = page.read_bytes()
    assert result["size_bytes"] == len(body) and b"Findings" in body
    stored = s3.get_object(Bucket="dashboard-test", Key=f"reports/{GENERATED_DATE}/dashboard.html")
    assert stored["Body"].read() == body
    assert stored["ContentType"].startswith("text/html")
    assert not list((tmp_path / "artifacts").glob(".*partial"))


def test_a_date_without_marts_is_refused_by_name(
    connection: Any, generated: LoadedDate, tmp_path: Path
) -> None:
    with pytest.raises(MartsNotBuiltError, match=r"no row for ingest_date 1999-01-01: build the marts"):
        build_dashboard(connection, "1999-01-01", artifacts_dir=tmp_path)
    assert not (tmp_path / "dashboard.html").exists()


def test_make_dashboard_serves_the_page_and_prints_its_url(tmp_path: Path) -> None:
    page = tmp_path / "dashboard.html"
    page.write_text("<!DOCTYPE html><title>t</title><p>the latest dashboard</p>")
    command = [sys.executable, "-m", "awstwin", "dashboard", "--file", str(page), "--port", "0"]
    server = subprocess.Popen(
        command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = server.stdout.readline()
        assert "http://127.0.0.1:" in line, (line, server.poll())
        url = line[line.index("http://") :].split()[0]
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.headers["Content-Type"].startswith("text/html")
            assert answer.read() == page.read_bytes()
        page.write_text("<p>a newer run</p>")  # each request reads the file afresh
        with urllib.request.urlopen(url + "dashboard.html", timeout=10) as answer:
            assert answer.read() == b"<p>a newer run</p>"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "etc/passwd", timeout=10)
        assert missing.value.code == 404
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_make_dashboard_without_a_page_says_to_run_first(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["--file", str(tmp_path / "none.html")]) == 2
    assert "run `make run` first" in capsys.readouterr().err
