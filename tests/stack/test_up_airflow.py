"""`make up` without Docker starts Airflow as a server beside the endpoint and the warehouse; `make run`
then triggers the DAG through its REST API (so the run is Airflow's own, shown in its UI) and writes
the usual run report; `make down` stops every process, Airflow's task processes included."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.security.listening import beyond_loopback, listeners

from awstwin.core.paths import STATE_DIR
from awstwin.core.ports import free_port
from awstwin.core.processes import ServiceError, session_members
from awstwin.core.profile import Profile, load_profile
from awstwin.pipeline.runner import DAG_ID, RunOptions, run_pipeline
from awstwin.stack import control
from awstwin.stack.airflow_rest import AirflowRestError
from awstwin.stack.state import read_record
from awstwin.warehouse import Warehouse

ROWS = 500


@pytest.fixture
def state() -> Iterator[Path]:
    """Outside pytest's temp root (see tests/pipeline/conftest.py), private (0700) like any state."""
    folder = Path(tempfile.mkdtemp(prefix="awstwin-up-airflow-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _profile() -> Profile:
    return load_profile(
        "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
    )


def _left(folder: Path, sessions: list[int]) -> list[str]:
    """Live processes that mention `folder` on their command line or belong to one of `sessions`
    (Airflow's processes name no folder: their sessions hold them, task processes included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] not in ("Z", "X") and (str(folder) in cmdline or int(fields[3]) in sessions):
            found.append(f"{entry.name}: {cmdline}")
    return found


def _wait_gone(folder: Path, sessions: list[int], seconds: float = 20.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while _left(folder, sessions) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _left(folder, sessions)


@pytest.mark.slow  # `make up` with Airflow's three servers, a DAG run through them, `make down`
def test_up_run_down_through_the_airflow_server(
    state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("AIRFLOW_UI_PORT", str(port))
    monkeypatch.setenv("AIRFLOW_ADMIN_PASSWORD", "Chosen-at-up-1")
    profile = _profile()
    artifacts = state / "artifacts"
    info = control.start_detached(profile, state, echo=lambda _: None, airflow=True, artifacts_dir=artifacts)
    assert info.airflow is not None
    sessions = list(info.airflow.pids.values())
    try:
        assert read_record(state) == info
        text = "\n".join(control.summary(info, "no Docker engine answered"))
        assert "The embedded stack, as local processes because no Docker engine answered" in text
        assert f"http://127.0.0.1:{port}" in text and "password from $AIRFLOW_ADMIN_PASSWORD" in text
        assert "Chosen-at-up-1" not in text
        assert f"postgresql://awsuser@127.0.0.1:{profile.warehouse_port}/dev" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:  # the UI
            assert page.status == 200 and b"<html" in page.read().lower()

        lines: list[str] = []
        options = RunOptions(
            profile=profile,
            ingest_date="2024-06-05",
            rows=ROWS,
            state_dir=state,
            airflow_template=STATE_DIR / "airflow-template",
            report_path=artifacts / "run_report.json",
        )
        report = run_pipeline(options, progress=lines.append)
        assert report.status == "success", (report.error, lines)
        states = {task["task_id"]: task["state"] for task in report.tasks}
        assert {"crawl_raw", "wait_for_glue_job", "build_dashboard"} <= set(states)
        # restore_zones runs only when publishing failed (trigger rule one_failed): skipped here.
        assert {task: state for task, state in states.items() if state != "success"} == {
            "restore_zones": "skipped"
        }, states
        assert report.rows_raw == ROWS == (report.rows_loaded or 0) + (report.rows_quarantined or 0)
        assert report.stack == "reused" and report.run_id
        assert json.loads(options.report_path.read_text())["run_id"] == report.run_id
        assert report.dashboard and report.dashboard["path"] == str(artifacts / "dashboard.html")
        assert any("[airflow] triggered" in line for line in lines), lines
        assert not options.home.exists(), "the in-process dag.test() path ran instead of the server"

        # The run is the server's own: its REST API (what the UI shows) has it with the same states.
        api = info.airflow.api()
        assert api.get(api.run_path(DAG_ID, report.run_id))["state"] == "success"
        assert {ti["task_id"]: ti["state"] for ti in api.task_instances(DAG_ID, report.run_id)} == states
        with pytest.raises(AirflowRestError, match=f"refused user 'admin'.*{info.airflow.password_file}"):
            info.airflow.api(password="admin").token()  # not the password `up` was given

        # Nothing of the stack answers beyond this machine (Airflow's log server binds every interface:
        # the scheduler must not start it). `ss -ltnp`, as a reviewer would check.
        stack_pids = [info.endpoint_pid, info.front_pid or 0, *info.airflow.pids.values()]
        stack_pids.append(Warehouse(info.warehouse_dir).pid or 0)
        listening = listeners(stack_pids)
        assert any(f":{port} " in line for line in listening), listening  # the UI: the check sees ours
        assert beyond_loopback(listening) == [], listening

        assert control.logs(["--no-follow", "-n", "5"], state_dir=state) == 0
        out = capsys.readouterr().out
        assert "airflow-scheduler |" in out and "airflow-api-server |" in out and "endpoint |" in out
        assert all(session_members(pid) for pid in sessions)
    finally:
        stopped = control.stop_detached(state)
    assert stopped and {"Airflow api-server", "Airflow scheduler", "Airflow dag-processor"} <= {
        s.split(" (")[0] for s in stopped
    }
    assert any(s.startswith("warehouse") for s in stopped), stopped
    assert _wait_gone(state, sessions) == []
    assert read_record(state) is None


def test_a_taken_ui_port_is_named_before_anything_starts(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setenv("AIRFLOW_UI_PORT", str(port))
        with pytest.raises(ServiceError, match=f"port {port} is taken.*AIRFLOW_UI_PORT={port + 1}"):
            control.start_detached(_profile(), state, echo=lambda _: None, airflow=True)
    assert read_record(state) is None
    assert _left(state, []) == []


def test_a_ui_port_that_is_no_number_is_refused(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_UI_PORT", "eighty")
    with pytest.raises(ServiceError, match="AIRFLOW_UI_PORT='eighty' is not a TCP port"):
        control.start_detached(_profile(), state, echo=lambda _: None, airflow=True)
    assert _left(state, []) == []
