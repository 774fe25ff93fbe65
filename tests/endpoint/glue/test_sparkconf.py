"""The driver JVM's options in a local Glue session's settings: its temporary folder, then the
options of $AWSTWIN_SPARK_JAVA_OPTIONS (the test suite sets -XX:TieredStopAtLevel=1). The Spark class
archive's options come between them when there is one (test_classdata.py); off here."""

from __future__ import annotations

from pathlib import Path

import pytest

from awstwin.endpoint.glue.jobs import classdata, sparkconf


@pytest.fixture(autouse=True)
def _no_class_archive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(classdata.ARCHIVE_ENV, "0")


def test_the_temporary_folder_then_the_extra_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sparkconf.JAVA_OPTIONS_ENV, " -XX:TieredStopAtLevel=1   -Xss4m ")
    conf = sparkconf.session_conf(None, tmp_path)
    assert conf["spark.driver.extraJavaOptions"] == (
        f"-Djava.io.tmpdir={tmp_path / 'java-tmp'} -XX:TieredStopAtLevel=1 -Xss4m"
    )
    assert (tmp_path / "java-tmp").is_dir()


def test_no_extra_options_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sparkconf.JAVA_OPTIONS_ENV, raising=False)
    assert sparkconf.session_conf(None, tmp_path)["spark.driver.extraJavaOptions"] == (
        f"-Djava.io.tmpdir={tmp_path / 'java-tmp'}"
    )
    assert "spark.driver.extraJavaOptions" not in sparkconf.session_conf()


def test_extra_options_without_a_scratch_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sparkconf.JAVA_OPTIONS_ENV, "-XX:TieredStopAtLevel=1")
    assert sparkconf.session_conf()["spark.driver.extraJavaOptions"] == "-XX:TieredStopAtLevel=1"
