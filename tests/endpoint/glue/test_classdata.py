"""The Spark class archive (awstwin.endpoint.glue.jobs.classdata, built by its warm.archive): a driver
started the way a job run starts one maps it, with the run's settings still applied and Spark still
quiet; options name it only when it exists and sharing is on; one builder at a time, and never a
half-written archive.

Java's class data sharing: https://docs.oracle.com/en/java/javase/17/vm/class-data-sharing.html
(a JVM given -XX:SharedArchiveFile maps the archive's classes; with -Xshare:auto one that cannot map
it runs without it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from awstwin.core.filelock import exclusive
from awstwin.endpoint.glue.jobs import classdata, sparkconf
from awstwin.endpoint.glue.jobs.warm import archive as class_archive

# What a run's Python does when its script starts Spark (PySpark reads PYSPARK_SUBMIT_ARGS); it
# reports the driver JVM's mapped archives, a setting from the properties file, and the result.
DRIVER = """
import json
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
jvm = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
mapped = sorted({line.split()[-1] for line in open(f"/proc/{jvm}/maps") if "/spark-classes-" in line})
total = spark.range(1000).selectExpr("sum(id) AS total").first().total
print(json.dumps({"mapped": mapped, "partitions": spark.conf.get("spark.sql.shuffle.partitions"),
                  "total": total}))
spark.stop()
"""


def _start_driver(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    conf = sparkconf.session_conf(None, tmp_path / "scratch")
    conf["spark.sql.shuffle.partitions"] = "3"
    properties = sparkconf.write_properties(tmp_path / "spark-conf", conf)
    env = {k: v for k, v in env.items() if k != "SPARK_CONF_DIR"}
    env["PYSPARK_SUBMIT_ARGS"] = classdata.pyspark_submit_args(properties)
    return subprocess.run(
        [sys.executable, "-c", DRIVER], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.spark
def test_a_run_s_driver_maps_the_archive_with_its_settings_and_quiet_logs(tmp_path: Path) -> None:
    archive = classdata.archive()
    assert archive is not None, "tests/conftest.py builds the archive before the suite"
    done = _start_driver(tmp_path, dict(os.environ))
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"mapped": [str(archive)], "partitions": "3", "total": 499500}
    # log4j2.properties still applies (named in the Java options now, not found on the class path)
    assert " INFO " not in done.stderr and "[cds]" not in done.stdout + done.stderr, done.stderr[-3000:]


@pytest.mark.spark
def test_with_sharing_off_the_driver_maps_no_archive_and_computes_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(classdata.ARCHIVE_ENV, "0")  # the runner reads it where it writes the settings
    done = _start_driver(tmp_path, dict(os.environ))
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"mapped": [], "partitions": "3", "total": 499500}


def test_options_name_the_archive_only_when_it_exists_and_sharing_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classdata, "folder", lambda: tmp_path)
    monkeypatch.delenv(classdata.ARCHIVE_ENV, raising=False)
    assert classdata.java_options() == []
    path = classdata.archive_path()
    assert path is not None and path.parent == tmp_path and path.name.startswith("spark-classes-")
    path.write_bytes(b"archive")
    assert classdata.java_options()[0] == f"-XX:SharedArchiveFile={path}"
    assert "-Xshare:auto" in classdata.java_options()  # a JVM that cannot map it runs without it
    assert (
        f"-XX:SharedArchiveFile={path}"
        in sparkconf.session_conf(None, tmp_path)["spark.driver.extraJavaOptions"]
    )
    monkeypatch.setenv(classdata.ARCHIVE_ENV, "0")
    assert classdata.java_options() == [] and class_archive.build() is None


def test_a_second_builder_gives_way_and_nothing_half_written_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classdata, "folder", lambda: tmp_path)
    monkeypatch.delenv(classdata.ARCHIVE_ENV, raising=False)
    path = classdata.archive_path()
    assert path is not None
    (tmp_path / f".{path.name}.123.part").write_bytes(b"half")  # a builder that died mid-way
    with exclusive(class_archive.lock_path(path)) as mine:
        assert mine
        assert class_archive.build() is None  # another holds the lock: no second JVM, no waiting
    assert classdata.archive() is None and classdata.java_options() == []
    assert (tmp_path / f".{path.name}.123.part").exists()  # another builder's, while it runs


def test_the_fingerprint_names_this_java_and_spark() -> None:
    key = classdata.fingerprint()
    assert key is not None and len(key) == 16 and int(key, 16) >= 0
    assert classdata.java_executable() is not None
