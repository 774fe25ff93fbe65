"""What the Data API keeps about a statement: its SQL, where and as whom it runs, its state, its result.

An ExecuteStatement is one `Part`; a BatchExecuteStatement is one `Part` per SQL, with ids
`<id>:1`, `<id>:2`, ... (https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_SubStatementData.html).
States go SUBMITTED -> PICKED -> STARTED -> FINISHED | FAILED | ABORTED, as DescribeStatement reports
them. The wire shapes (DescribeStatement, ListStatements, SubStatementData) are built here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from awstwin.endpoint.redshift.results import ResultSet

SUBMITTED, PICKED, STARTED = "SUBMITTED", "PICKED", "STARTED"
FINISHED, FAILED, ABORTED = "FINISHED", "FAILED", "ABORTED"
ACTIVE = (SUBMITTED, PICKED, STARTED)
DONE = (FINISHED, FAILED, ABORTED)


@dataclass(frozen=True)
class Target:
    """Where a statement runs and as whom (the login is never shown)."""

    workgroup_name: str
    database: str
    user: str
    password: str = field(repr=False)
    secret_arn: str | None = None
    temporary: bool = False  # logged in with temporary credentials: DbUser is reported


@dataclass
class Part:
    id: str
    sql: str
    bound: tuple[str, dict[str, str] | None]  # the SQL in psycopg2's form and its values
    status: str = SUBMITTED
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    duration_ns: int = -1
    error: str | None = None
    result: ResultSet | None = None
    result_rows: int = -1
    result_size: int = -1
    redshift_pid: int | None = None

    def move(self, status: str) -> None:
        self.status = status
        self.updated_at = time.time()

    @property
    def has_result_set(self) -> bool:
        return self.result is not None

    def wire(self) -> dict[str, Any]:
        """SubStatementData."""
        return {
            "Id": self.id,
            "QueryString": self.sql,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Duration": self.duration_ns,
            "Error": self.error,
            "HasResultSet": self.has_result_set,
            "ResultRows": self.result_rows,
            "ResultSize": self.result_size,
        }


@dataclass
class Statement:
    id: str
    parts: list[Part]
    target: Target
    is_batch: bool
    name: str | None = None
    parameters: list[dict[str, str]] | None = None
    result_format: str = "JSON"
    session_id: str | None = None
    keep_alive: int | None = None  # SessionKeepAliveSeconds asked for with this statement
    transaction: bool = True  # a batch runs as one transaction unless ExecutionMode=AUTO_COMMIT
    execution_mode: str | None = None
    created_at: float = field(default_factory=time.time)
    status: str = SUBMITTED
    error: str | None = None
    redshift_pid: int | None = None
    cancelled: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def updated_at(self) -> float:
        return max(part.updated_at for part in self.parts)

    def move(self, status: str, error: str | None = None) -> None:
        self.status = status
        if error is not None:
            self.error = error
        if status in DONE:
            self.done.set()

    def part(self, statement_id: str) -> Part | None:
        """The part an id names: the statement's own id is its only part unless it is a batch."""
        if statement_id == self.id:
            return None if self.is_batch else self.parts[0]
        return next((p for p in self.parts if p.id == statement_id), None)

    def _common(self) -> dict[str, Any]:
        target = self.target
        return {
            "Id": self.id,
            "SecretArn": target.secret_arn,
            "DbUser": target.user if target.temporary else None,
            "Database": target.database,
            "WorkgroupName": target.workgroup_name,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "QueryParameters": self.parameters,
            "ResultFormat": self.result_format,
            "SessionId": self.session_id,
        }

    def describe(self, part: Part | None = None) -> dict[str, Any]:
        """DescribeStatement of the statement, or of one of its parts (a batch's `<id>:n`)."""
        shown = part or (None if self.is_batch else self.parts[0])
        answer = self._common()
        answer["RedshiftPid"] = self.redshift_pid
        if self.execution_mode:
            answer["ExecutionMode"] = self.execution_mode
        if shown is not None:
            answer.update(
                Id=shown.id,
                Status=shown.status,
                Error=shown.error,
                QueryString=shown.sql,
                Duration=shown.duration_ns,
                HasResultSet=shown.has_result_set,
                ResultRows=shown.result_rows,
                ResultSize=shown.result_size,
                CreatedAt=shown.created_at,
                UpdatedAt=shown.updated_at,
            )
            return answer
        durations = [p.duration_ns for p in self.parts if p.duration_ns >= 0]
        answer.update(
            Status=self.status,
            Error=self.error,
            Duration=sum(durations) if durations else -1,
            HasResultSet=any(p.has_result_set for p in self.parts),
            ResultRows=sum(max(p.result_rows, 0) for p in self.parts),
            ResultSize=sum(max(p.result_size, 0) for p in self.parts),
            SubStatements=[p.wire() for p in self.parts],
        )
        return answer

    def listed(self) -> dict[str, Any]:
        """StatementData, as ListStatements shows it."""
        answer = {
            "Id": self.id,
            "SecretArn": self.target.secret_arn,
            "Status": self.status,
            "StatementName": self.name,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "QueryParameters": self.parameters,
            "IsBatchStatement": self.is_batch,
            "ResultFormat": self.result_format,
            "SessionId": self.session_id,
        }
        if self.is_batch:
            answer["QueryStrings"] = [p.sql for p in self.parts]
        else:
            answer["QueryString"] = self.parts[0].sql
        return answer
