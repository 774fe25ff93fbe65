"""One `make run`: its options, the state every stage reads and fills in, and what a target must do.

The stages (awstwin.pipeline.stages) and the targets (awstwin.pipeline.targets) both take a
`PipelineRun`: the options, the report being written, the input, the chosen target, the DAG run's
result, and `say`, the one reporter every progress line goes through.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from awstwin.core.paths import REPORT_PATH, SPARK_JOBS_DIR, STATE_DIR, TEMPLATE
from awstwin.core.profile import Profile
from awstwin.orchestration.dagrun import DagRunResult
from awstwin.pipeline.dataset import Dataset
from awstwin.pipeline.report import RunReport
from awstwin.pipeline.runs import new_run

DAG_ID = "student_performance_etl"
DEFAULT_ROWS = 6607
DEFAULT_SEED = 42


class StageError(RuntimeError):
    """A stage failed; `stage` names it for the report (its `error.task`)."""

    def __init__(self, stage: str, message: str):
        super().__init__(message)
        self.stage = stage


@dataclass
class RunOptions:
    profile: Profile
    ingest_date: str
    data: Path | None = None
    rows: int = DEFAULT_ROWS
    seed: int = DEFAULT_SEED
    state_dir: Path = STATE_DIR
    airflow_home: Path | None = None  # default: <state_dir>/airflow
    airflow_template: Path = STATE_DIR / "airflow-template"  # migrated once, copied into new homes
    report_path: Path = REPORT_PATH
    template: Path = TEMPLATE
    scripts_dir: Path = SPARK_JOBS_DIR
    template_overrides: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None  # DATA_ENCODING; default UTF-8
    run: str = field(default_factory=new_run)  # this run's folders and staging tables (run=<id>)

    @property
    def home(self) -> Path:
        return self.airflow_home or self.state_dir / "airflow"


class Progress:
    """The reporter of `make run`: each line with the seconds since the run started."""

    def __init__(self, out: Callable[[str], None] | None = None):
        self.started = time.perf_counter()
        self.out = out or (lambda line: print(line, flush=True))

    def __call__(self, message: str) -> None:
        self.out(f"[{time.perf_counter() - self.started:6.1f}s] {message}")


@dataclass
class PipelineRun:
    """One run in progress. A target may replace `options` (the AWS target makes its profile concrete)."""

    options: RunOptions
    report: RunReport
    say: Callable[[str], None]  # the reporter: one progress line
    data: Dataset | None = None  # the input, once the prepare_data stage has read it
    target: Target | None = None  # the stack the DAG runs on, once chosen
    dag: DagRunResult | None = None  # the finished DAG run

    @property
    def profile(self) -> Profile:
        return self.options.profile

    @property
    def input(self) -> Dataset:
        if self.data is None:
            raise RuntimeError("the input is read by the prepare_data stage, which has not run")
        return self.data

    @property
    def conf(self) -> dict[str, Any]:
        """The DAG run's conf, the same on every target."""
        return {
            "ingest_date": self.options.ingest_date,
            "expected_rows": self.input.rows,
            "run": self.options.run,
        }

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage into the report's `stages` and turn any error in it into a StageError naming it."""
        with self.report.stage(name):
            try:
                yield
            except StageError:
                raise
            except Exception as exc:
                raise StageError(name, f"{type(exc).__name__}: {exc}") from exc


class Target(Protocol):
    """Where the DAG runs: one implementation per stack (awstwin.pipeline.targets). The runner calls
    prepare, provision and run_dag at their places in the stage list, and conclude once at the end,
    after a failure or an interruption too. A target times its own steps with `run.stage(name)`."""

    kind: str  # run_report.json's `stack` family: embedded, compose or aws

    def prepare(self, run: PipelineRun) -> None:
        """Make the stack ready for this run: start or find it, check its warehouse, start Airflow."""

    def provision(self, run: PipelineRun) -> None:
        """Create or update the pipeline's AWS resources (infra/pipeline.yaml) where the stack needs it."""

    def run_dag(self, run: PipelineRun) -> DagRunResult:
        """Run the DAG once with `run.conf` and say how every task ended."""
        ...

    def conclude(self, run: PipelineRun) -> None:
        """Stop whatever prepare started (safe after any failure, and when prepare never ran)."""
