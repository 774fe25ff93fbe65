"""One function per measurement; each returns {metric: value} and runs in a fresh process."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from awstwin.core.ports import free_port

REPO = Path(__file__).resolve().parents[3]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def endpoint() -> dict[str, float]:
    """Cold start of `python -m awstwin.endpoint` to its first health answer, and idle memory."""
    port = free_port()
    state = Path(tempfile.mkdtemp(prefix="awstwin-bench-"))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "awstwin.endpoint", "--port", str(port), "--state-dir", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_awstwin/health", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - start > 60:
                    raise RuntimeError("the endpoint did not answer within 60 s") from None
                time.sleep(0.05)
        ready = time.perf_counter() - start
        time.sleep(2)
        return {"endpoint.ready_seconds": ready, "endpoint.idle_rss_mb": _rss_mb(proc.pid)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)


def generator() -> dict[str, float]:
    """1M rows of the synthetic dataset, streamed to disk."""
    from awstwin.data.generator import generate

    out = Path(tempfile.mkdtemp(prefix="awstwin-bench-")) / "students.csv"
    start = time.perf_counter()
    generate(out, rows=1_000_000)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = out.stat().st_size / 1e6
    shutil.rmtree(out.parent, ignore_errors=True)
    return {
        "generator.seconds_1m": seconds,
        "generator.rows_per_second": 1_000_000 / seconds,
        "generator.peak_rss_mb": peak,
        "generator.file_mb": size,
    }


def warehouse() -> dict[str, float]:
    """Embedded Postgres: create + start a new cluster, then a fast stop."""
    from awstwin.warehouse import Warehouse

    folder = Path(tempfile.mkdtemp(prefix="awstwin-bench-wh-"))
    server = Warehouse(folder, port=0)
    start = time.perf_counter()
    server.start()
    started = time.perf_counter() - start
    start = time.perf_counter()
    server.stop()
    stopped = time.perf_counter() - start
    shutil.rmtree(folder, ignore_errors=True)
    return {"warehouse.start_seconds": started, "warehouse.stop_seconds": stopped}


def _pipeline(prefix: str, rows: int) -> dict[str, float]:
    """A whole `make run` (this checkout's .state, warm after the first), read back from its report."""
    env = {**os.environ, "ROWS": str(rows), "INGEST_DATE": "2000-01-01"}  # a date of its own
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "awstwin", "run"], cwd=REPO, env=env, capture_output=True)
    wall = time.perf_counter() - start
    report = json.loads((REPO / "artifacts" / "run_report.json").read_text())
    if done.returncode != 0 or report.get("status") != "success":
        raise RuntimeError(f"make run failed: {report.get('error') or done.stderr.decode()[-500:]}")
    stages = report.get("stages", {})
    return {
        f"{prefix}.total_seconds": wall,
        f"{prefix}.glue_job_seconds": stages.get("task:wait_for_glue_job", 0.0)
        + stages.get("task:start_glue_job", 0.0),
        f"{prefix}.dag_seconds": stages.get("dag_run", 0.0),
        f"{prefix}.rows_per_second": rows / wall,
    }


def pipeline() -> dict[str, float]:
    return _pipeline("pipeline", 6607)


def pipeline_1m() -> dict[str, float]:
    return _pipeline("pipeline_1m", 1_000_000)


def redshift_front() -> dict[str, float]:
    """The Redshift front's overhead over Postgres, and its own COPY from S3 and UNLOAD."""
    from awstwin.bench import redshift_front as measured

    return measured.measure()


def redshift_data() -> dict[str, float]:
    """The Redshift Data API over the front: a statement's round trip, a large result's pages."""
    from awstwin.bench import redshift_data as measured

    return measured.measure()


MEASURES = {
    "endpoint": endpoint,
    "generator": generator,
    "warehouse": warehouse,
    "redshift_front": redshift_front,
    "redshift_data": redshift_data,
    "pipeline": pipeline,
    "pipeline_1m": pipeline_1m,
}
