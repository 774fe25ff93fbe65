"""`make data`: a clear exit 2 when kagglehub or credentials are missing; the file lands in data/."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from awstwin.data import download, generator, schema


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_without_credentials_exit_2_says_what_is_missing_and_how_to_get_it(
    no_credentials: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data" / schema.CSV_FILE_NAME
    assert download.main(["--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert "no Kaggle credentials found" in message
    assert "~/.kaggle/kaggle.json" in message and "KAGGLE_USERNAME" in message
    assert download.DATASET_URL in message and "DATA=" in message
    if download._import_kagglehub() is None:
        assert "pip install kagglehub" in message
    assert not out.exists()


def test_credentials_are_found_where_kagglehub_reads_them(
    no_credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert download.credential_sources() == []
    (no_credentials / ".kaggle").mkdir()
    (no_credentials / ".kaggle" / "kaggle.json").write_text('{"username": "u", "key": "k"}')
    assert download.credential_sources() == [str(no_credentials / ".kaggle" / "kaggle.json")]
    monkeypatch.setenv("KAGGLE_USERNAME", "u")
    monkeypatch.setenv("KAGGLE_KEY", "k")
    assert download.credential_sources()[0] == "KAGGLE_USERNAME/KAGGLE_KEY"


def test_a_file_already_there_is_checked_not_downloaded(
    no_credentials: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / schema.CSV_FILE_NAME
    generator.generate(out, rows=20, crlf=True)
    assert download.main(["--out", str(out)]) == 0
    assert "already there: 20 rows" in capsys.readouterr().out
    out.write_text("a,b\n1,2\n")
    assert download.main(["--out", str(out)]) == 1
    assert "header is not the Student Performance Factors header" in capsys.readouterr().err


def test_the_downloaded_csv_is_copied_out_of_kagglehubs_cache(
    no_credentials: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache" / "versions" / "1"
    generator.generate(cache / schema.CSV_FILE_NAME, rows=30)
    asked: list[str] = []

    def dataset_download(handle: str) -> str:  # kagglehub's call, answered from a local folder
        asked.append(handle)
        return str(cache)

    monkeypatch.setitem(sys.modules, "kagglehub", types.SimpleNamespace(dataset_download=dataset_download))
    monkeypatch.setenv("KAGGLE_USERNAME", "u")
    monkeypatch.setenv("KAGGLE_KEY", "k")
    out = tmp_path / "data" / schema.CSV_FILE_NAME
    assert download.main(["--out", str(out)]) == 0
    assert asked == ["lainguyn123/student-performance-factors"]
    assert out.read_bytes() == (cache / schema.CSV_FILE_NAME).read_bytes()
    assert "30 rows" in capsys.readouterr().out
