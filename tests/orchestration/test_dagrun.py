"""DAG runs in a child process: every task's state comes from Airflow's DB (an all_done task after a
failure does not make the run a success), each failure carries the task's own error, and a signal
to the caller stops the child and everything under it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from awstwin.core.paths import STATE_DIR
from awstwin.core.processes import group_members
from awstwin.core.profile import load_profile
from awstwin.orchestration.dagrun import run_dag
from awstwin.orchestration.environment import airflow_environment
from awstwin.orchestration.home import prepare_home

DAG = """
import time

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def boom():
    raise ValueError("boom from the test DAG")


with DAG("probe", schedule=None, start_date=pendulum.datetime(2024, 1, 1), tags=["test"]) as dag:
    ok = PythonOperator(task_id="ok", python_callable=lambda: {"answer": 42})
    fails = PythonOperator(task_id="fails", python_callable=boom)
    cleanup = PythonOperator(task_id="cleanup", python_callable=lambda: None, trigger_rule="all_done")
    ok >> fails >> cleanup

with DAG("sleeper", schedule=None, start_date=pendulum.datetime(2024, 1, 1), tags=["test"]) as sleeper:
    PythonOperator(task_id="sleep", python_callable=lambda: time.sleep(300))
"""


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("dagrun")
    dags = root / "dags"
    dags.mkdir()
    (dags / "probe.py").write_text(DAG)
    home = root / "home"
    env = airflow_environment(load_profile("local"), home, dags)
    prepare_home(home, STATE_DIR / "airflow-template", env)
    return dags, env


def test_every_task_state_and_the_failed_tasks_own_error(
    airflow: tuple[Path, dict[str, str]], tmp_path: Path
):
    dags, env = airflow
    lines: list[str] = []
    result = run_dag("probe", dags, {}, env, tmp_path / "probe.log", echo=lines.append)
    states = {t.task_id: t.state for t in result.tasks}
    assert states == {"ok": "success", "fails": "failed", "cleanup": "success"}
    assert not result.ok  # whatever the run's own state says
    assert result.first_error() == ("fails", "ValueError: boom from the test DAG")
    assert result.returned["ok"] == {"answer": 42}  # what a task returned (its XCom), for the report
    assert any("fails FAILED" in line and "boom" in line for line in lines)
    assert (tmp_path / "probe.log").read_text().count("boom from the test DAG") >= 1


def test_a_missing_dag_is_reported(airflow: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    dags, env = airflow
    result = run_dag("nope", dags, {}, env, tmp_path / "nope.log")
    assert not result.ok
    assert result.first_error() == ("<dag>", f"DAG 'nope' not found in {dags}")


CALLER = """
import json, signal, sys
from pathlib import Path
from awstwin.orchestration.dagrun import DagRunProcess
from awstwin.pipeline.runner import _raise_on_signal

signal.signal(signal.SIGTERM, _raise_on_signal)
dags, env, log = Path(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3])
process = DagRunProcess("sleeper", dags, env, log, echo=lambda line: print(line, flush=True))
print("CHILD", process.process.pid, flush=True)
process.run({})
"""


def test_sigterm_to_the_caller_stops_the_run(airflow: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """The caller's main thread waits on the child while a reader thread runs: the signal must act
    within seconds even when the kernel delivers it to that other thread."""
    dags, env = airflow
    argv = [sys.executable, "-c", CALLER, str(dags), json.dumps(env), str(tmp_path / "caller.log")]
    caller = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    child = None
    try:
        for line in caller.stdout:
            if line.startswith("CHILD"):
                child = int(line.split()[1])
            if "sleep running" in line:
                break
        assert child is not None
        caller.send_signal(signal.SIGTERM)
        caller.wait(timeout=20)
    finally:
        if caller.poll() is None:
            caller.kill()
    assert caller.returncode == 128 + signal.SIGTERM
    assert group_members(child) == []
