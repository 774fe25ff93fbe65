"""The stage sequence: one ordered list, walked once; the target asked where stacks differ; the
target always concludes; a timed stage's seconds land in the report under its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from awstwin.core.profile import load_profile
from awstwin.orchestration.dagrun import DagRunResult, TaskResult
from awstwin.pipeline import stages
from awstwin.pipeline.report import RunReport
from awstwin.pipeline.run import PipelineRun, RunOptions, StageError
from awstwin.pipeline.stages import STAGES, Stage, run_stages


class RecordingTarget:
    """A target that does no work and records what the runner asked of it."""

    kind = "embedded"

    def __init__(self, failing: str | None = None) -> None:
        self.calls: list[str] = []
        self.failing = failing

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name == self.failing:
            raise StageError(name, f"{name} refused")

    def prepare(self, run: PipelineRun) -> None:
        self._call("prepare")

    def provision(self, run: PipelineRun) -> None:
        self._call("provision")

    def run_dag(self, run: PipelineRun) -> DagRunResult:
        self._call("run_dag")
        return DagRunResult("d", "r", "success", tasks=[TaskResult("t", "Op", "success", 1.5)], seconds=2.0)

    def conclude(self, run: PipelineRun) -> None:
        self.calls.append("conclude")


def _run(tmp_path: Path) -> PipelineRun:
    options = RunOptions(profile=load_profile("local"), ingest_date="2024-05-01", state_dir=tmp_path, rows=5)
    return PipelineRun(options, RunReport(profile="local", ingest_date="2024-05-01"), say=lambda _: None)


def _with_target(target: RecordingTarget, names: tuple[str, ...]) -> tuple[Stage, ...]:
    """The real list, cut to `names`, with the target stage handing over `target`."""

    def choose(run: PipelineRun) -> None:
        run.target = target

    chosen = {"target": Stage("target", choose)}
    return tuple(chosen.get(stage.name, stage) for stage in STAGES if stage.name in names)


def test_the_stage_list_is_the_documented_order() -> None:
    names = [stage.name for stage in STAGES]
    assert names == [
        "prepare_data",
        "target",
        "prepare",
        "provision",
        "upload",
        "dag_run",
        "read_counts",
        "reconciliation",
        "publish_report",
    ]
    assert len(set(names)) == len(names)


def test_the_target_is_asked_in_order_and_concludes(tmp_path: Path) -> None:
    run, target = _run(tmp_path), RecordingTarget()
    run_stages(run, _with_target(target, ("prepare_data", "target", "prepare", "provision", "dag_run")))
    assert target.calls == ["prepare", "provision", "run_dag", "conclude"]
    assert run.report.rows_raw == 5 and run.report.stages["dag_run"] == 2.0
    assert run.report.stages["task:t"] == 1.5 and "prepare_data" in run.report.stages


def test_a_failing_stage_stops_the_walk_and_the_target_still_concludes(tmp_path: Path) -> None:
    run, target = _run(tmp_path), RecordingTarget(failing="provision")
    with pytest.raises(StageError, match="provision refused"):
        run_stages(run, _with_target(target, ("prepare_data", "target", "prepare", "provision", "dag_run")))
    assert target.calls == ["prepare", "provision", "conclude"]


def test_a_new_stage_is_one_entry_timed_under_its_name(tmp_path: Path) -> None:
    seen: list[str] = []

    def preflight(run: PipelineRun) -> None:
        seen.append(run.input.path.name)

    def broken(run: PipelineRun) -> None:
        raise ValueError("the input has no header")

    run = _run(tmp_path)
    run_stages(run, (STAGES[0], Stage("preflight", preflight, timed=True)))
    assert seen == [run.input.path.name] and "preflight" in run.report.stages
    with pytest.raises(StageError) as failed:
        run_stages(_run(tmp_path), (STAGES[0], Stage("preflight", broken, timed=True)))
    assert failed.value.stage == "preflight" and str(failed.value) == "ValueError: the input has no header"


def test_the_verdict_needs_the_dag_and_the_reconciliation(tmp_path: Path) -> None:
    run = _run(tmp_path)
    stages.prepare_data(run)
    run.dag = DagRunResult("d", "r", "success", tasks=[TaskResult("t", "Op", "success", 1.0)])
    run.report.rows_loaded, run.report.rows_quarantined = 4, 1
    stages.reconcile(run)
    assert run.report.status == "success"
    run.report.rows_loaded = 3
    run.report.status = "failed"
    stages.reconcile(run)
    assert run.report.status == "failed"
    assert run.report.error == {"task": "reconciliation", "message": "raw 5 rows != loaded 3 + quarantined 1"}
