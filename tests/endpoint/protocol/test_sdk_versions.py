"""S3, Glue, Athena and Logs from other botocore releases, each in a side environment of its own.

- `oldest`: botocore 1.35.99, the last release before S3's default checksums (1.36) and long after
  Athena's awsJson; the oldest this endpoint supports (README).
- `previous`: 1.44.8, the lock before this one: Athena still awsJson 1.1.
- `newest`: whatever PyPI has now (Athena rest-json since 1.44.18).
Environments are made with uv under `.build/sdk-envs/` (ignored by git) and reused; a test skips with
the reason when the registry does not answer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ENVS = REPO / ".build" / "sdk-envs"
SCRIPT = Path(__file__).with_name("sdk_calls.py")
# Installs other botocore releases from the registry (the newest always asks it).
pytestmark = [pytest.mark.network, pytest.mark.slow]

SDKS = {"oldest": "1.35.99", "previous": "1.44.8", "newest": None}


def _uv() -> str | None:
    found = shutil.which("uv") or str(REPO / ".tools" / "bin" / "uv")
    return found if Path(found).exists() else None


def _side_python(label: str, version: str | None) -> Path:
    uv = _uv()
    if uv is None:
        pytest.skip("no uv to build a side environment with (make installs it under .tools/)")
    folder = ENVS / (f"{label}-{version}" if version else label)
    python = folder / "bin" / "python"
    if not python.exists():
        made = subprocess.run(
            [uv, "venv", "--quiet", "--python", sys.executable, str(folder)], capture_output=True
        )
        if made.returncode != 0:
            pytest.skip(f"uv venv failed: {made.stderr.decode()[-300:]}")
    wanted = [f"boto3=={version}", f"botocore=={version}"] if version else ["boto3", "botocore"]
    upgrade = [] if version else ["--upgrade"]
    installed = subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), *upgrade, *wanted],
        capture_output=True,
        timeout=600,
    )
    if installed.returncode != 0:
        pytest.skip(f"could not install {wanted} (no registry answer?): {installed.stderr.decode()[-400:]}")
    return python


@pytest.mark.parametrize("label", list(SDKS))
def test_other_botocore_releases_drive_every_service(label, endpoint):
    python = _side_python(label, SDKS[label])
    result = subprocess.run(
        [str(python), str(SCRIPT), endpoint.url], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if SDKS[label]:
        assert report["botocore"] == SDKS[label]
    expected = {"oldest": "json", "previous": "json"}.get(label)
    if expected:
        assert report["athena"] == expected
