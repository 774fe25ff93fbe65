"""One query execution: its record, its lifecycle (QUEUED -> RUNNING -> final), its wire shape.

Each execution is persisted as its own small JSON file (`<state>/athena/executions/<id>.json`), so
recording a state change costs the same with ten or ten thousand queries in the history, and the
history survives a restart. An execution found QUEUED or RUNNING at start-up was cut off by a
restart: it is reported FAILED (SYSTEM, retryable) instead of pretending to still run.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awstwin.endpoint.athena.dialect import ENGINE_VERSION
from awstwin.endpoint.athena.exceptions import SYSTEM
from awstwin.endpoint.persistence import StateFile

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"
FINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELLED})
INTERRUPTED_REASON = (
    "GENERIC_INTERNAL_ERROR: the local endpoint stopped while this query was running; run it again"
)


def _ms(seconds: float | None) -> int:
    return max(0, int(round((seconds or 0.0) * 1000)))


@dataclass
class QueryExecution:
    query_id: str
    query: str
    statement_type: str
    substatement_type: str
    workgroup: str
    output_location: str  # the folder (ResultConfiguration.OutputLocation as resolved)
    result_suffix: str  # .csv | .txt
    submitted: float
    context: dict[str, str] = field(default_factory=dict)
    result_configuration: dict[str, Any] = field(default_factory=dict)
    execution_parameters: list[str] = field(default_factory=list)
    client_request_token: str | None = None
    state: str = QUEUED
    reason: str | None = None
    athena_error: dict[str, Any] | None = None
    started: float | None = None
    engine_done: float | None = None
    completed: float | None = None
    planning_ms: int = 0
    scanned_bytes: int = 0
    result_format: str | None = None
    columns: list[dict[str, Any]] = field(default_factory=list)
    row_count: int = 0
    update_count: int | None = None
    manifest_location: str | None = None
    cancel_requested: bool = False

    @property
    def result_uri(self) -> str:
        return f"{self.output_location.rstrip('/')}/{self.query_id}{self.result_suffix}"

    @property
    def metadata_uri(self) -> str:
        return self.result_uri + ".metadata"

    @property
    def database(self) -> str:
        return self.context.get("Database") or "default"

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.state = RUNNING
        self.started = time.time()

    def finish(self, state: str, reason: str | None = None, error: dict[str, Any] | None = None) -> None:
        now = time.time()
        self.state = state
        self.reason = reason
        self.athena_error = error
        self.engine_done = self.engine_done or now
        self.completed = now
        if self.started is None:
            self.started = now

    def statistics(self) -> dict[str, Any]:
        end = self.completed or time.time()
        queue = (self.started or end) - self.submitted
        engine = (self.engine_done or end) - (self.started or end)
        service = end - (self.engine_done or end)
        stats = {
            "EngineExecutionTimeInMillis": _ms(engine),
            "DataScannedInBytes": self.scanned_bytes,
            "TotalExecutionTimeInMillis": _ms(end - self.submitted),
            "QueryQueueTimeInMillis": _ms(queue),
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": self.planning_ms,
            "ServiceProcessingTimeInMillis": _ms(service),
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }
        if self.manifest_location:
            stats["DataManifestLocation"] = self.manifest_location
        return stats

    def to_api(self) -> dict[str, Any]:
        """The `QueryExecution` shape of GetQueryExecution / BatchGetQueryExecution."""
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.reason:
            status["StateChangeReason"] = self.reason
        if self.completed is not None and self.final:
            status["CompletionDateTime"] = self.completed
        if self.athena_error:
            status["AthenaError"] = dict(self.athena_error)
        result_configuration = {
            k: v for k, v in self.result_configuration.items() if k != "OutputLocation" and v is not None
        }
        result_configuration["OutputLocation"] = self.result_uri
        out: dict[str, Any] = {
            "QueryExecutionId": self.query_id,
            "Query": self.query,
            "StatementType": self.statement_type,
            "ResultConfiguration": result_configuration,
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": dict(self.context),
            "Status": status,
            "Statistics": self.statistics(),
            "WorkGroup": self.workgroup,
            "EngineVersion": dict(ENGINE_VERSION),
            "SubstatementType": self.substatement_type,
        }
        if self.execution_parameters:
            out["ExecutionParameters"] = list(self.execution_parameters)
        return out

    # -- persistence -----------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> QueryExecution:
        names = {f.name for f in dataclasses.fields(cls)}
        record = cls(**{k: v for k, v in data.items() if k in names})
        if not record.final:
            record.finish(
                FAILED,
                INTERRUPTED_REASON,
                {
                    "ErrorCategory": SYSTEM,
                    "ErrorType": 100,
                    "Retryable": True,
                    "ErrorMessage": INTERRUPTED_REASON,
                },
            )
        return record


class ExecutionStore:
    """The query history on disk: one StateFile per execution; nothing is written without a state dir."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def save(self, record: QueryExecution) -> None:
        if self.folder is None:
            return
        StateFile(self.folder / f"{record.query_id}.json").save(record.to_state())

    def delete(self, query_id: str) -> None:
        if self.folder is not None:
            (self.folder / f"{query_id}.json").unlink(missing_ok=True)

    def load(self) -> list[QueryExecution]:
        if self.folder is None or not self.folder.is_dir():
            return []
        records = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue  # a half-written file of a crash: that execution is lost, not the history
            records.append(QueryExecution.from_state(data))
        return records
