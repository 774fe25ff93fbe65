"""The bench's `pipeline_6607_up` plumbing, without a stack: the bench checkout, the environment its
commands get, which processes count as the stack's, the comparison it yields and the report's
figures it keeps. Real processes (a `sleep` in a session of its own) stand in for the stack's
services; nothing here is timed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from awstwin.bench.options import Options
from awstwin.bench.process_tree import rss_mb, tree
from awstwin.bench.suites import pipelines
from awstwin.bench.up_stack import LINKED, NO_DOCKER, StackProcesses, UpStack, make_checkout
from awstwin.core.paths import PROJECT_DIR
from awstwin.stack.airflow_local import AirflowInfo
from awstwin.stack.embedded import StackInfo


def _session_leader() -> subprocess.Popen:
    """A process leading a session of its own, with a child: what `start_group` makes of a service.
    Returned once the child runs: on a busy machine `sh` forks it some time after Popen returns."""
    leader = subprocess.Popen(["sh", "-c", "sleep 300 & wait"], start_new_session=True)
    children = Path(f"/proc/{leader.pid}/task/{leader.pid}/children")
    while not children.read_text().split():
        assert leader.poll() is None, "the session leader ended before it started its child"
        time.sleep(0.01)
    return leader


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _info(tmp_path: Path, endpoint: int, airflow: dict[str, int]) -> StackInfo:
    return StackInfo(
        kind="embedded",
        profile="local",
        endpoint_url="http://127.0.0.1:4566",
        endpoint_pid=endpoint,
        endpoint_log="endpoint.log",
        endpoint_state_dir=str(tmp_path / "emulator"),
        warehouse_dir=str(tmp_path / "warehouse"),  # no postmaster.pid: no warehouse running
        warehouse_host="127.0.0.1",
        warehouse_port=5439,
        warehouse_log="warehouse.log",
        detached=True,
        started_at=0.0,
        airflow=AirflowInfo(
            url="http://127.0.0.1:8080",
            home=str(tmp_path / "airflow"),
            pids=airflow,
            logs={},
            scheduler_health_url="",
            password_file="",
            password_source="generated",
            metadata_db="",
        ),
    )


def test_the_bench_checkout_links_what_a_stack_reads_and_keeps_its_own_state(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path / "checkout")
    for name in LINKED:
        assert (checkout / name).is_symlink() and (checkout / name).resolve() == (
            PROJECT_DIR / name
        ).resolve()
    assert not (checkout / ".state").exists() and not (checkout / "artifacts").exists()
    stack = UpStack(
        checkout, environ={"STACK": "localstack", "AIRFLOW_UI_PORT": "9", "DATA": "x", "KEEP": "1"}
    )
    env = stack.env(ROWS="10")
    assert env["AWSTWIN_PROJECT_DIR"] == str(checkout) and env["PROFILE"] == "local"
    assert env["DOCKER_HOST"] == NO_DOCKER, "`up` takes the embedded stack whatever the machine has"
    assert "STACK" not in env and "AIRFLOW_UI_PORT" not in env and "DATA" not in env
    assert env["KEEP"] == "1" and env["ROWS"] == "10"
    assert stack.state_dir == checkout / ".state"
    assert stack.report_path == checkout / "artifacts" / "run_report.json"


def test_the_stacks_processes_are_its_services_sessions_with_everything_below_them(tmp_path: Path) -> None:
    endpoint, scheduler, unrelated = _session_leader(), _session_leader(), _session_leader()
    try:
        found = StackProcesses.of(_info(tmp_path, endpoint.pid, {"scheduler": scheduler.pid}))
        assert found.sessions == (endpoint.pid, scheduler.pid) and found.roots == ()
        running = found.running()
        assert endpoint.pid in running and scheduler.pid in running
        assert len(running) == 4, "each leader's `sleep` child counts too"
        assert unrelated.pid not in running
        assert tree((), found.sessions) == set(running)
        gone = 2**22 + 1  # above pid_max's default: no such process, so only the sessions count
        assert rss_mb(gone) == 0 and rss_mb(gone, sessions=found.sessions) > 0
        _stop(endpoint)
        _stop(scheduler)
        assert found.running() == [], "stopped (and reaped) processes are not running"
    finally:
        for process in (endpoint, scheduler, unrelated):
            if process.poll() is None:
                _stop(process)


def test_a_run_in_its_own_network_namespace_runs_the_same_command() -> None:
    argv = pipelines.in_own_network(["/usr/bin/python3", "-c", "print(1)"])
    assert argv[:2] == ["unshare", "-n"] and argv[-3:] == ["/usr/bin/python3", "-c", "print(1)"]
    assert "ip link set lo up" in argv[4]


def test_where_the_time_went_keeps_the_slowest_stages_and_tasks() -> None:
    report = {
        "total_seconds": 40.0,
        "stages": {f"s{i}": float(i) for i in range(8)},
        "tasks": [{"task_id": f"t{i}", "duration": float(i)} for i in range(8)] + [{"task_id": "x"}],
    }
    figures = pipelines.where_time_went(report)
    assert figures["report_total_s"] == 40.0
    assert list(figures["top_stages"]) == ["s7", "s6", "s5", "s4", "s3"]
    assert list(figures["top_tasks"]) == ["t7", "t6", "t5", "t4", "t3"]


@pytest.mark.parametrize("namespaces", [True, False])
def test_the_up_comparison_has_make_run_as_its_baseline_when_it_can_have_its_own_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, namespaces: bool
) -> None:
    monkeypatch.setattr(pipelines, "own_network_available", lambda: namespaces)
    downs: list[Path] = []
    monkeypatch.setattr(UpStack, "down", lambda self: downs.append(self.checkout))
    comparisons = pipelines.up_comparison(tmp_path, tmp_path / "warm", 6607, None, Options(pipeline_runs=2))
    comparison = next(comparisons)
    assert comparison.name == "pipeline_6607_up" and comparison.warmup and comparison.max_runs == 2
    assert {goal.what for goal in comparison.goals} == {"seconds", "ratio", "peak_rss_mb"}
    assert (comparison.baseline is not None) == namespaces
    assert (comparison.baseline_name == "`make run`, warm state folder") == namespaces
    assert downs == [], "nothing measured yet"
    assert list(comparisons) == []
    assert downs == [tmp_path / "up-checkout"], "`down` once the comparison was measured"
