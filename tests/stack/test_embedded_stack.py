"""The embedded stack starts, answers, and leaves nothing running when stopped, killed or detached."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from awstwin.core.ports import free_port
from awstwin.core.processes import group_members
from awstwin.core.profile import Profile, load_profile
from awstwin.stack import control
from awstwin.stack.embedded import EmbeddedStack, endpoint_healthy
from awstwin.stack.state import read_record, running_stack, stack_for_run
from awstwin.warehouse import Warehouse


def _profile() -> Profile:
    return load_profile(
        "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
    )


def _processes_under(folder: Path) -> list[str]:
    """Command lines of live processes that mention `folder` (endpoint state dir, Postgres data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(folder) in cmdline and state != "Z":
            found.append(f"{entry.name}: {cmdline}")
    return found


def _wait_gone(folder: Path, seconds: float = 15.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = _processes_under(folder)
        if not left:
            return []
        time.sleep(0.2)
    return _processes_under(folder)


def test_start_serves_both_and_stop_leaves_nothing(stack_dir: Path) -> None:
    profile = _profile()
    with EmbeddedStack(profile, stack_dir, echo=lambda _: None) as stack:
        assert endpoint_healthy(profile.aws_endpoint_url)
        rows = stack.warehouse.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            ("student_performance_factors",),
        )
        assert {"ingest_date", "exam_score", "loaded_at"} <= {r[0] for r in rows}
        pgid = stack.endpoint.pid
        assert _processes_under(stack_dir)
    assert not group_members(pgid)
    assert _wait_gone(stack_dir) == []


def test_a_taken_port_is_named(stack_dir: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        profile = load_profile("local", {"aws_endpoint_url": f"http://127.0.0.1:{port}"})
        with pytest.raises(RuntimeError, match=f"port {port} is taken"):
            EmbeddedStack(profile, stack_dir, echo=lambda _: None).start()
    assert _wait_gone(stack_dir) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_run_stops_the_stack(stack_dir: Path, signum: int) -> None:
    profile = _profile()
    script = textwrap.dedent(
        f"""
        import signal, time
        from awstwin.core.profile import load_profile
        from awstwin.pipeline.runner import _raise_on_signal
        from awstwin.stack.embedded import EmbeddedStack
        signal.signal(signal.SIGTERM, _raise_on_signal)
        profile = load_profile("local", {{"aws_endpoint_url": "{profile.aws_endpoint_url}",
                                         "warehouse_port": {profile.warehouse_port}}})
        with EmbeddedStack(profile, __import__("pathlib").Path("{stack_dir}")):
            print("READY", flush=True)
            time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        for line in child.stdout:
            if line.startswith("READY"):
                break
        assert _processes_under(stack_dir)
        child.send_signal(signum)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert _wait_gone(stack_dir) == []


def test_endpoint_dies_with_a_killed_parent(stack_dir: Path) -> None:
    """SIGKILL leaves no chance to clean up: the kernel still stops the endpoint (PR_SET_PDEATHSIG).
    The warehouse outlives it (Postgres daemonises), and the next run reuses or stops that cluster."""
    profile = _profile()
    script = textwrap.dedent(
        f"""
        import time
        from awstwin.core.profile import load_profile
        from awstwin.stack.embedded import EmbeddedStack
        profile = load_profile("local", {{"aws_endpoint_url": "{profile.aws_endpoint_url}",
                                         "warehouse_port": {profile.warehouse_port}}})
        EmbeddedStack(profile, __import__("pathlib").Path("{stack_dir}")).start()
        print("READY", flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        for line in child.stdout:
            if line.startswith("READY"):
                break
        child.kill()
        child.wait(timeout=30)
        left = _wait_gone(stack_dir / "emulator")
        assert left == [], left
    finally:
        Warehouse(stack_dir / "warehouse", port=profile.warehouse_port).stop()
    assert _wait_gone(stack_dir) == []


def test_up_is_reused_by_run_and_down_stops_it(stack_dir: Path) -> None:
    profile = _profile()
    info = control.start_detached(profile, stack_dir, echo=lambda _: None)
    try:
        assert read_record(stack_dir) == info
        assert info.airflow is None, "Airflow as a server is `make up`'s (.state) or asked for (airflow=True)"
        assert running_stack(profile, stack_dir) == info
        with stack_for_run(profile, stack_dir, echo=lambda _: None) as (used, reused):
            assert reused and used.endpoint_pid == info.endpoint_pid
        assert endpoint_healthy(profile.aws_endpoint_url), "a reused stack must outlive the run"
        again = control.start_detached(profile, stack_dir, echo=lambda _: None)
        assert again.endpoint_pid == info.endpoint_pid
    finally:
        stopped = control.stop_detached(stack_dir)
    assert stopped and any("endpoint" in s for s in stopped) and any("warehouse" in s for s in stopped)
    assert read_record(stack_dir) is None
    assert _wait_gone(stack_dir) == []
    assert control.stop_detached(stack_dir) is None
    assert os.path.exists(info.endpoint_log)
