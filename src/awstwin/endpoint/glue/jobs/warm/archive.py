"""Building the Spark class archive (classdata.py says what it is and why): a JVM runs the warm-up
workload (warmup.py: CSV, SQL, a window, Parquet, a Python worker, the kinds of work a Glue job does)
with `-XX:ArchiveClassesAtExit` and exits; the archive is written beside its final name and renamed
into place once the JVM has exited cleanly, so no driver ever maps a half-written one. One builder at a
time (a lock file), and a new fingerprint's archive replaces the old one.

`python -m awstwin.endpoint.glue.jobs.warm.archive` builds it (`make install` runs it); an endpoint
builds it in the background at its first Spark job when it is missing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from awstwin.core.filelock import exclusive
from awstwin.core.parent_death import die_with_parent
from awstwin.endpoint.glue.jobs import sparkconf
from awstwin.endpoint.glue.jobs.classdata import (
    ARCHIVE_ENV,
    archive,
    archive_path,
    enabled,
    pyspark_submit_args,
)

log = logging.getLogger(__name__)

MODULE = "awstwin.endpoint.glue.jobs.warm.archive"  # the builder runs it as `python -m`
BUILD_TIMEOUT_SECONDS = 900.0
_background: threading.Thread | None = None
_background_lock = threading.Lock()


def lock_path(target: Path) -> Path:
    """The lock one builder of `target` holds while it builds."""
    return target.with_name(f".{target.name}.lock")


def build(timeout: float = BUILD_TIMEOUT_SECONDS) -> Path | None:
    """Build the archive unless it exists or another process is building it; the archive, or None."""
    target = archive_path()
    if not enabled() or target is None:
        return None
    if target.is_file():
        return target
    with exclusive(lock_path(target), wait=False) as mine:  # makes the folder too
        if not mine or target.is_file():
            return target if target.is_file() else None
        for stale in target.parent.glob(".spark-classes-*.part"):
            stale.unlink(missing_ok=True)  # left by a builder that was killed: none runs now
        with tempfile.TemporaryDirectory(prefix="awstwin-classdata-") as scratch:
            staging = target.with_name(f".{target.name}.{os.getpid()}.part")
            log_path = Path(scratch) / "build.log"
            began = time.monotonic()
            try:
                with log_path.open("wb") as out:
                    done = subprocess.run(
                        [sys.executable, "-m", MODULE, "--dump", str(staging), scratch],
                        preexec_fn=die_with_parent(),  # noqa: PLW1509 - ends with the endpoint
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        timeout=timeout,
                        check=False,
                    )
                if done.returncode != 0 or not staging.is_file():
                    tail = log_path.read_text(errors="replace")[-2000:]
                    log.warning("the Spark class archive was not built (exit %s): %s", done.returncode, tail)
                    return None
                os.replace(staging, target)
            except subprocess.TimeoutExpired:
                log.warning("the Spark class archive was not built in %.0f s", timeout)
                return None
            finally:
                staging.unlink(missing_ok=True)
            for old in target.parent.glob("spark-classes-*.jsa"):
                if old != target:
                    old.unlink(missing_ok=True)  # made for a Java or Spark that is gone
            log.info("Spark class archive built in %.1f s: %s", time.monotonic() - began, target)
            return target


def build_in_background() -> None:
    """Start building the archive in a thread of this process if it is missing (once per process)."""
    global _background
    if not enabled() or archive() is not None:
        return
    with _background_lock:
        if _background is not None:
            return
        _background = threading.Thread(target=_build_quietly, name="spark-class-archive", daemon=True)
        _background.start()


def _build_quietly() -> None:
    try:
        build()
    except Exception:  # an archive is an optimisation: never a reason for a run to fail
        log.warning("building the Spark class archive failed", exc_info=True)


def _dump(staging: Path, scratch: Path) -> int:
    """In the builder's process: run the warm-up workload in a JVM that writes its classes to `staging`
    when it exits, then close its gateway and wait for that exit."""
    from awstwin.endpoint.glue.jobs.warm import warmup

    conf = sparkconf.session_conf(None, scratch)
    options = conf.get("spark.driver.extraJavaOptions", "")
    conf["spark.driver.extraJavaOptions"] = f"{options} -XX:ArchiveClassesAtExit={staging}".strip()
    conf["spark.app.name"] = "awstwin-spark-class-archive"
    properties = sparkconf.write_properties(scratch / "spark-conf", conf)
    os.environ.pop("SPARK_CONF_DIR", None)
    os.environ["PYSPARK_SUBMIT_ARGS"] = pyspark_submit_args(properties)
    from pyspark import SparkContext

    warmup.run(scratch / "work")
    context = SparkContext._active_spark_context
    gateway = SparkContext._gateway
    if context is not None:
        context.stop()
    jvm = getattr(gateway, "proc", None) if gateway is not None else None
    if jvm is None:
        return 1
    with contextlib.suppress(OSError):
        jvm.stdin.close()  # the gateway exits when its stdin closes: the JVM writes the archive then
    return 0 if jvm.wait(timeout=BUILD_TIMEOUT_SECONDS) == 0 else 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--dump"]:
        return _dump(Path(args[1]), Path(args[2]))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not enabled():
        print(f"Spark class archive: off ({ARCHIVE_ENV}={os.environ.get(ARCHIVE_ENV)})")
        return 0
    built = build()
    if built is None:
        print("Spark class archive: not built (Spark drivers start without it; see above)")
        return 0
    print(f"Spark class archive: {built} ({built.stat().st_size / 2**20:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
