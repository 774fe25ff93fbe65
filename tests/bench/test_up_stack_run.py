"""The bench's `pipeline_6607_up` for real, once: `python -m awstwin up` in a checkout of the bench's
own, a run through it, `down`; nothing of the stack may be left running. In a network namespace of its
own (as the bench runs it), so the local profile's fixed ports are free whatever else runs here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from awstwin.bench.suites import pipelines

SCRIPT = """
import json, sys
from pathlib import Path
from awstwin.bench.suites.pipelines import run_up
from awstwin.bench.up_stack import UpStack, make_checkout

stack = UpStack(make_checkout(Path(sys.argv[1]) / "checkout"))
try:
    sample = run_up(stack, None, 300)
    processes = stack.processes
finally:
    stack.down()
print(json.dumps({"metrics": sample.metrics, "sessions": processes.sessions, "left": processes.running()}))
"""


@pytest.mark.slow  # the embedded stack with Airflow's three servers, a whole run, `down`
@pytest.mark.spark  # the run's Glue job
@pytest.mark.skipif(not pipelines.own_network_available(), reason="needs root, unshare and ip")
def test_the_bench_brings_make_up_up_runs_through_it_and_leaves_nothing_running() -> None:
    folder = Path(tempfile.mkdtemp(prefix="awstwin-bench-up-test-"))
    folder.chmod(0o755)  # the warehouse runs as an unprivileged user under root
    try:
        done = subprocess.run(
            pipelines.in_own_network([sys.executable, "-c", SCRIPT, str(folder)]),
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert len(result["sessions"]) == 5, "endpoint, Redshift front, Airflow's three"
        assert result["left"] == [], "`down` left processes of the stack running"
        metrics = result["metrics"]
        assert metrics["peak_rss_mb"] > 0 and "make_up_s" in metrics
        assert "dag_run" in metrics["top_stages"] and "wait_for_glue_job" in metrics["top_tasks"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
