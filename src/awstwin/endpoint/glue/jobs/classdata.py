"""Class data sharing for the local Glue Spark drivers: one archive of the classes a driver loads.

A Spark driver's JVM finds, reads, parses and verifies thousands of classes from about 250 jars
every time it starts; that is most of a short job's start-up and a good part of its CPU. Java's
application class data sharing (https://docs.oracle.com/en/java/javase/17/vm/class-data-sharing.html)
writes those classes once into an archive that every later JVM maps instead. Measured on this
team's 2-core machine, the real job's workload on 6,607 rows in a fresh JVM: 19.2-19.5 s of JVM
CPU and 11.2-11.3 s wall without, 12.4-14.0 s and 7.2-8.1 s with the archive; results are the same
(the classes are, only their loading changes).

The archive is made once per Java and Spark installation by `python -m
awstwin.endpoint.glue.jobs.warm.archive` (which `make install` runs; warm/archive.py). It lives
beside the Python environment whose PySpark it is made from (`<sys.prefix>/var/awstwin/`), named by
a fingerprint of the Java runtime and of every jar (path, size, modification time), since Java
refuses an archive whose class path changed. When there is none, drivers start as before and the
endpoint builds it in the background at its first Spark job. `AWSTWIN_SPARK_CLASS_ARCHIVE=0` turns it
off.

Java refuses to archive from a class path with a non-empty folder on it, and the class path must be
the same for every JVM that maps the archive: so a run's Spark settings reach spark-submit as
`--properties-file` (`submit_args`), not as a SPARK_CONF_DIR of its own, which spark-submit puts
first on the class path.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import sys
from functools import cache
from pathlib import Path

ARCHIVE_ENV = "AWSTWIN_SPARK_CLASS_ARCHIVE"  # "0", "false", "no": no archive, none built


def enabled() -> bool:
    return os.environ.get(ARCHIVE_ENV, "").lower() not in ("0", "false", "no")


def folder() -> Path:
    """Where the archives of this Python environment's PySpark live."""
    return Path(sys.prefix) / "var" / "awstwin"


def java_executable() -> Path | None:
    """The `java` spark-submit runs: $JAVA_HOME/bin/java, else the first on PATH (resolved)."""
    home = os.environ.get("JAVA_HOME")
    found = Path(home) / "bin" / "java" if home else None
    if found is None or not found.exists():
        which = shutil.which("java")
        found = Path(which) if which else None
    return found.resolve() if found is not None else None


@cache
def fingerprint() -> str | None:
    """What the archive is valid for: the Java runtime and every jar of Spark's class path."""
    from pyspark.find_spark_home import _find_spark_home

    java = java_executable()
    if java is None:
        return None
    spark_home = Path(_find_spark_home()).resolve()
    digest = hashlib.sha256(str(java).encode())
    release = java.parent.parent / "release"
    if release.exists():
        digest.update(release.read_bytes())
    digest.update(str(spark_home).encode())
    for jar in sorted((spark_home / "jars").glob("*.jar")):
        stat = jar.stat()
        digest.update(f"{jar.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def archive_path() -> Path | None:
    key = fingerprint()
    return folder() / f"spark-classes-{key}.jsa" if key else None


def archive() -> Path | None:
    """The archive for this Java and Spark, when it is built and sharing is on."""
    if not enabled():
        return None
    path = archive_path()
    return path if path is not None and path.is_file() else None


def java_options() -> list[str]:
    """The driver JVM's options for the archive ([] without one): map it, and keep quiet about it."""
    path = archive()
    if path is None:
        return []
    # -Xshare:auto: a JVM that cannot map it (another Java, say) runs without it instead of failing.
    return [f"-XX:SharedArchiveFile={path}", "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]


def submit_args(properties: Path) -> list[str]:
    """spark-submit's arguments that hand it a run's settings without a folder on its class path."""
    return ["--properties-file", str(properties), "pyspark-shell"]


def pyspark_submit_args(properties: Path) -> str:
    """The same as PYSPARK_SUBMIT_ARGS, which PySpark splits like a shell when a script starts Spark."""
    return shlex.join(submit_args(properties))
