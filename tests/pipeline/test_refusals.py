"""`make run` with a file it cannot load: refused by the preflight with exit 2, before any stack starts
and before anything is uploaded, with a message that names the file, line and column and what to do."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REAL_DATASET

from awstwin.core.profile import load_profile
from awstwin.data import generator, schema
from awstwin.pipeline import dataset, runner


def _source(tmp_path: Path) -> str:
    if REAL_DATASET.is_file():
        return REAL_DATASET.read_bytes().decode("utf-8")
    path = tmp_path / "generated.csv"
    generator.generate(path, rows=500, seed=3, crlf=True)
    return path.read_bytes().decode()


def _without_gender(text: str) -> str:
    index = schema.COLUMN_NAMES.index("Gender")
    rows = [line.split(",") for line in text.splitlines()]
    return "".join(",".join(fields[:index] + fields[index + 1 :]) + "\r\n" for fields in rows)


def _latin1(text: str) -> bytes:
    return text.replace("Public", "Públic", 1).encode("latin-1")


# name -> (the file's bytes from the real text, what the refusal must say)
BAD_FILES: dict[str, tuple[Callable[[str], bytes | str], str]] = {
    "empty.csv": (lambda _: b"", "empty.csv: the file is empty"),
    "header_only.csv": (lambda t: t.splitlines(keepends=True)[0], "line 2: no data rows after the header"),
    "random.csv": (lambda _: os.urandom(1 << 20), "not CSV text"),
    "semicolons.csv": (lambda t: t.replace(",", ";"), "separated by semicolons (';'), not commas"),
    "no_gender.csv": (_without_gender, "line 1: the header lacks Gender"),
    "latin1.csv": (_latin1, "is not valid utf-8"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_refused_before_anything_starts(
    name: str, endpoint: Any, aws: Callable[[str], Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, expected = BAD_FILES[name]
    content = make(_source(tmp_path))
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    bucket = f"refusal-{name.split('.')[0].replace('_', '-')}"
    aws("s3").create_bucket(Bucket=bucket)
    options = runner.RunOptions(
        profile=load_profile("local", {"aws_endpoint_url": endpoint.url, "bucket": bucket}),
        ingest_date="2024-07-01",
        data=path,
        state_dir=tmp_path / "state",
        report_path=tmp_path / "report.json",
    )
    monkeypatch.setattr(runner, "options_from_env", lambda: options)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = runner.main([])
    message = stderr.getvalue()
    assert code == 2, message
    assert "awstwin run REFUSED the input, nothing was started" in message and expected in message
    report = json.loads(options.report_path.read_text())
    assert report["error"]["task"] == "preflight" and expected in report["error"]["message"]
    assert list(report["stages"]) == ["preflight"]  # no stack, no provisioning, no upload
    assert aws("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert not (options.state_dir / "upload").exists()


def test_the_encoding_setting_lets_a_latin1_file_through(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(_latin1(_source(tmp_path)))
    options = runner.options_from_env({"DATA": str(path), "DATA_ENCODING": "latin-1"})
    data = dataset.from_file(options.data, options.encoding, tmp_path / "copies")
    assert data.upload is not None and "Públic".encode() in data.upload.read_bytes()
    assert data.warnings == ("read as latin-1 (DATA_ENCODING) and uploaded as UTF-8",)


def test_the_command_refuses_before_importing_the_runner(tmp_path: Path) -> None:
    """`python -m awstwin run` checks DATA with the preflight alone: no boto3, no Airflow plumbing."""
    path = tmp_path / "semicolons.csv"
    path.write_text(_source(tmp_path).replace(",", ";"))
    script = (
        "import sys\n"
        "from awstwin.pipeline import launch\n"
        "code = launch.main([])\n"
        "assert 'boto3' not in sys.modules and 'awstwin.pipeline.runner' not in sys.modules\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "DATA": str(path), "AWSTWIN_PROJECT_DIR": str(tmp_path / "project")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "awstwin run REFUSED the input, nothing was started: semicolons.csv, line 1" in done.stderr
    report = json.loads((tmp_path / "project" / "artifacts" / "run_report.json").read_text())
    assert report["status"] == "failed" and report["error"]["task"] == "preflight"
    assert list(report["stages"]) == ["preflight"]
