"""runlock: one run at a time per state dir, a message naming the holder, a killed holder's lock taken
over with a note, and a refused command that leaves the running one's report alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from awstwin.core import runlock
from awstwin.core.profile import load_profile
from awstwin.core.runlock import LockHeld, holder_of, run_lock
from awstwin.pipeline import launch, runner
from awstwin.pipeline.run import RunOptions
from awstwin.stack import control

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from awstwin.core.runlock import run_lock
    with run_lock(Path(sys.argv[1]), "make run (profile local, run r-first)"):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes stdin, or kills us
    """
)


@pytest.fixture
def holder(tmp_path: Path):
    """Another process holding tmp_path's lock until stdin closes."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_a_second_command_is_refused_naming_pid_start_and_command(tmp_path: Path, holder) -> None:
    with pytest.raises(LockHeld) as refused, run_lock(tmp_path, "make run (second)"):
        pytest.fail("took a lock another live process holds")
    message = str(refused.value)
    assert f"pid {holder.pid}" in message
    assert "since 20" in message and " UTC " in message  # since when, as a date and time
    assert "make run (profile local, run r-first)" in message  # which command
    assert f"kill {holder.pid}" in message  # what to do
    assert refused.value.holder["pid"] == holder.pid
    assert holder_of(tmp_path)["pid"] == holder.pid


def test_a_clean_release_frees_the_lock_without_a_note(tmp_path: Path, holder) -> None:
    holder.stdin.close()
    holder.wait()
    assert holder_of(tmp_path) is None
    with run_lock(tmp_path, "make run (second)") as lock:
        assert lock.took_over is None
        assert json.loads(runlock.lock_path(tmp_path).read_text())["pid"] == os.getpid()
    assert runlock.lock_path(tmp_path).read_text() == ""  # released: nobody named


def test_a_killed_holders_lock_is_taken_over_with_a_note(tmp_path: Path, holder) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with run_lock(tmp_path, "make run (second)") as lock:
        assert lock.took_over is not None
        assert f"pid {holder.pid}" in lock.took_over and "without releasing" in lock.took_over


def test_the_same_process_may_take_it_again_and_only_the_outer_release_frees_it(tmp_path: Path) -> None:
    with run_lock(tmp_path, "outer"):
        with run_lock(tmp_path, "inner") as inner:
            assert inner.holder["command"] == "outer"
        probe = subprocess.run(
            [sys.executable, "-c", HOLDER, str(tmp_path)], input="", capture_output=True, text=True
        )
        assert probe.returncode != 0 and "LockHeld" in probe.stderr
    assert holder_of(tmp_path) is None


def _options(tmp_path: Path) -> RunOptions:
    return RunOptions(
        profile=load_profile("local"),
        ingest_date="2024-05-01",
        state_dir=tmp_path,
        report_path=tmp_path / "artifacts" / "run_report.json",
    )


def test_a_refused_run_leaves_the_running_ones_report_alone(tmp_path: Path, holder, capsys) -> None:
    options = _options(tmp_path)
    options.report_path.parent.mkdir()
    options.report_path.write_text('{"run": "r-first"}\n')
    assert runner.run_and_report(options, "make run") == 1
    err = capsys.readouterr().err
    assert f"pid {holder.pid}" in err and "make run (profile local, run r-first)" in err
    assert options.report_path.read_text() == '{"run": "r-first"}\n'
    assert sorted(p.name for p in options.report_path.parent.iterdir()) == ["run_report.json"]


def test_a_refused_input_does_not_write_the_running_ones_report(
    tmp_path: Path, holder, monkeypatch, capsys
) -> None:
    report = tmp_path / "artifacts" / "run_report.json"
    report.parent.mkdir()
    report.write_text("{}\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    monkeypatch.setattr(launch, "STATE_DIR", tmp_path)
    monkeypatch.setattr(launch, "REPORT_PATH", report)
    monkeypatch.setenv("DATA", str(empty))
    assert launch.main([]) == 2
    err = capsys.readouterr().err
    assert "REFUSED" in err and "not written" in err and f"pid {holder.pid}" in err
    assert report.read_text() == "{}\n"


@pytest.mark.parametrize("command", ["up", "down"])
def test_make_up_and_down_are_refused_while_a_run_holds_the_lock(
    tmp_path: Path, holder, monkeypatch, capsys, command: str
) -> None:
    monkeypatch.setattr(control, "STATE_DIR", tmp_path)
    started = []
    monkeypatch.setattr(control, f"_{command}", lambda argv: started.append(argv) or 0)
    assert getattr(control, command)([]) == 1
    assert started == []  # nothing was started or stopped
    err = capsys.readouterr().err
    assert f"awstwin {command}: make {command} refused" in err and f"pid {holder.pid}" in err
