"""artifacts/run_report.json: what a run did, how long each stage took, and why it failed if it did."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunReport:
    """What a run did. Row counts are this run's own: rows_loaded and rows_quarantined are what it
    published, and stay None when it published nothing (a failed run). Then `staged` says what it had
    written before it stopped, and `last_good` what the date holds, from its last good run."""

    profile: str
    ingest_date: str
    run: str | None = None  # this run's id: its run=<id> folders and <table>_stage_<id> tables
    status: str = "failed"  # "success" only once every check has passed
    published: bool = False  # the date now holds this run's rows (zones, warehouse, marts)
    dataset: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the input lost on its way (preflight)
    notes: list[str] = field(default_factory=list)  # about the run itself (a run lock taken over)
    rows_raw: int | None = None  # rows in this run's file
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    quarantine_reasons: dict[str, int] = field(default_factory=dict)  # "<Column>:<problem>" -> rows
    staged: dict[str, int] | None = None  # a failed run: {"rows_loaded", "rows_quarantined"} it staged
    last_good: dict[str, int] | None = None  # a failed run: the date's published counts, not this run's
    kpis: dict[str, Any] | None = None  # the KPI mart's figures (2 decimals) and n
    dashboard: dict[str, Any] | None = None  # {"path", "s3_uri"} of the rendered page
    s3_uri: str | None = None  # this report's copy in s3://<bucket>/reports/<ingest_date>/
    stages: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    error: dict[str, str] | None = None
    stack: str = ""  # "started" (and stopped) by this run, or "reused" from `make up`
    run_id: str | None = None  # the Airflow DAG run
    tasks: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage; its seconds are recorded even when it fails."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round(time.perf_counter() - started, 2)

    def fail(self, task: str, message: str) -> None:
        if self.error is None:  # the first failure is the cause; later ones are consequences
            self.error = {"task": task, "message": message}
        self.status = "failed"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["error"] is None:
            del data["error"]
        return data

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of this process's own, renamed over the report when complete: a reader (or another
        # command) never sees half a report, and two writers never share a temp file.
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        temp.replace(path)
        return path

    def _status_line(self) -> str:
        if self.status == "success":
            return "SUCCESS"
        if self.published:
            return f"FAILED after publishing: ingest_date {self.ingest_date} holds this run's rows"
        return (
            f"FAILED: nothing was published; ingest_date {self.ingest_date} is as its last good run left it"
        )

    def _rows_lines(self) -> list[str]:
        if self.published or self.status == "success":
            return [
                f"rows         raw {self.rows_raw}, loaded {self.rows_loaded}, "
                f"quarantined {self.rows_quarantined}"
            ]
        staged = ""
        if self.staged:
            staged = (
                f"; it staged {self.staged['rows_loaded']} valid + {self.staged['rows_quarantined']} "
                "quarantined (not published)"
            )
        lines = [f"rows         this run: raw {self.rows_raw}, nothing loaded{staged}"]
        if self.last_good is not None:
            if self.last_good.get("rows_loaded") or self.last_good.get("rows_quarantined"):
                good = self.last_good
                lines.append(
                    f"last good    ingest_date {self.ingest_date} holds loaded {good['rows_loaded']}, "
                    f"quarantined {good['rows_quarantined']}: from its last good run, not this one"
                )
            else:
                lines.append(f"last good    ingest_date {self.ingest_date} has no published rows")
        return lines

    def summary(self) -> str:
        lines = [
            f"status       {self._status_line()}",
            f"dataset      {self.dataset.get('source')} ({self.dataset.get('rows')} rows, "
            f"sha256 {str(self.dataset.get('sha256', ''))[:12]}...)",
            f"ingest_date  {self.ingest_date}" + (f", run {self.run}" if self.run else ""),
            *self._rows_lines(),
        ]
        lines += [f"warning      {warning}" for warning in self.warnings]
        lines += [f"note         {note}" for note in self.notes]
        if self.quarantine_reasons:
            reasons = ", ".join(f"{reason} {rows}" for reason, rows in self.quarantine_reasons.items())
            lines.append(f"quarantine   {reasons}")
        if self.kpis:
            lines.append("kpis         " + ", ".join(f"{name} {value}" for name, value in self.kpis.items()))
        if self.dashboard:
            where = [self.dashboard.get("path"), self.dashboard.get("s3_uri")]
            lines.append("dashboard    " + " ".join(str(w) for w in where if w))
        lines += [
            "stages       " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.stages.items()),
            f"total        {self.total_seconds:.1f} s",
        ]
        if self.error:
            lines.append(f"error        task {self.error['task']} failed: {self.error['message']}")
        return "\n".join(lines)
