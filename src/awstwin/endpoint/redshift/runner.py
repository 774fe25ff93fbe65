"""Running Data API statements on the warehouse: a worker pool, sessions that outlive a statement, cancel.

A statement waits SUBMITTED until a worker takes it (PICKED), logs in through the Redshift front
(so every Redshift translation, COPY and UNLOAD applies), runs (STARTED) and ends FINISHED, FAILED
with the warehouse's error, or ABORTED by CancelStatement, which cancels the running query as
Redshift does. A batch runs its statements in order in one transaction (ExecutionMode TRANSACTION),
or each on its own (AUTO_COMMIT). A statement asked to keep its session alive
(SessionKeepAliveSeconds) leaves its connection open for later statements with that SessionId, with
their temp tables and session settings, until the keep-alive runs out after the last one finished.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.errors

from awstwin.endpoint.redshift import results
from awstwin.endpoint.redshift.statements import (
    ABORTED,
    DONE,
    FAILED,
    FINISHED,
    PICKED,
    STARTED,
    SUBMITTED,
    Part,
    Statement,
    Target,
)
from awstwin.endpoint.redshift.warehouse import Session, Warehouse, WarehouseUnreachable

log = logging.getLogger("awstwin.redshift_data")

WORKERS = 8  # statements running at once; more wait SUBMITTED, as in a Redshift queue
# https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html (considerations): results are kept
# 24 hours and a result may hold up to 500 MB; sessions live at most 24 hours.
MAX_RESULT_BYTES = 500 * 1024 * 1024
RETENTION_SECONDS = 24 * 3600
MAX_SESSION_SECONDS = 24 * 3600
FETCH_ROWS = 2000


class ResultTooLarge(Exception):
    pass


@dataclass
class DataSession:
    """A warehouse connection kept between statements (SessionId)."""

    id: str
    target: Target
    keep_alive: int
    created_at: float
    connection: Session | None = None
    busy: bool = True
    closed: bool = False
    expires_at: float = 0.0
    current: str | None = None  # the statement running in it
    updated_at: float = 0.0

    @property
    def status(self) -> str:
        return "CLOSED" if self.closed else "BUSY" if self.busy else "AVAILABLE"

    def wire(self) -> dict[str, Any]:
        """SessionData, as ListSessions shows it."""
        return {
            "SessionId": self.id,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at or self.created_at,
            "Database": self.target.database,
            "DbUser": self.target.user if self.target.temporary else None,
            "WorkgroupName": self.target.workgroup_name,
            "SessionAliveSeconds": self.keep_alive,
            "SessionTtl": self.expires_at if not self.busy and self.expires_at else None,
            "CurrentStatementId": self.current if self.busy else None,
        }


def error_text(exc: psycopg2.Error) -> str:
    """The warehouse's error as the Data API reports it ("ERROR: ...\\n Position: 12")."""
    diag = exc.diag
    primary = diag.message_primary or " ".join(str(exc).split()) or type(exc).__name__
    text = f"ERROR: {primary}"
    if diag.statement_position:
        text += f"\n Position: {diag.statement_position}"
    return text


class Runner:
    """`admin_for(workgroup name)` is the user and password that may cancel any query on it."""

    def __init__(
        self,
        warehouse: Warehouse,
        admin_for: Callable[[str], tuple[str, str]],
        workers: int = WORKERS,
    ):
        self.warehouse = warehouse
        self.admin_for = admin_for
        self.lock = threading.RLock()
        self.sessions: dict[str, DataSession] = {}
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="redshift-data")
        self._running: dict[str, Session] = {}
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="redshift-data-sessions", daemon=True)
        self._reaper.start()

    # ---- sessions ----------------------------------------------------------------------------------

    def open_session(self, target: Target, keep_alive: int) -> DataSession:
        """A new session for a statement that asks to keep one (busy until that statement ends)."""
        session = DataSession(str(uuid.uuid4()), target, min(keep_alive, MAX_SESSION_SECONDS), time.time())
        with self.lock:
            self.sessions[session.id] = session
        return session

    def claim_session(self, session_id: str) -> DataSession | None:
        """The session for a statement with SessionId, marked busy; None when it is not there; raises
        SessionBusy when another statement runs in it."""
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None or session.closed:
                return None
            if session.busy:
                raise SessionBusy(session_id)
            session.busy = True
            return session

    def release(self, session: DataSession, keep_alive: int | None) -> None:
        """A statement in `session` ended: the session waits for the next one until its keep-alive ends."""
        with self.lock:
            if keep_alive is not None:
                session.keep_alive = min(keep_alive, MAX_SESSION_SECONDS)
            session.busy = False
            session.updated_at = time.time()
            session.expires_at = session.updated_at + session.keep_alive
            if session.connection is None or session.keep_alive <= 0:
                self._close(session)

    def _close(self, session: DataSession) -> None:
        session.closed = True
        session.busy = False
        if session.connection is not None:
            with contextlib.suppress(Exception):
                session.connection.close()
            session.connection = None

    def _reap(self) -> None:
        while not self._stop.wait(1.0):
            now = time.time()
            with self.lock:
                for session in self.sessions.values():
                    too_old = now - session.created_at > MAX_SESSION_SECONDS
                    if not session.closed and not session.busy and (session.expires_at <= now or too_old):
                        self._close(session)
                for key in [
                    k for k, s in self.sessions.items() if s.closed and now - s.created_at > RETENTION_SECONDS
                ]:
                    del self.sessions[key]

    # ---- statements --------------------------------------------------------------------------------

    def submit(self, statement: Statement, session: DataSession | None) -> None:
        if session is not None:
            session.current = statement.id
        self._pool.submit(self._run, statement, session)

    def cancel(self, statement: Statement) -> None:
        """Abort a statement that waits, or cancel its running query (it then ends ABORTED)."""
        with self.lock:
            statement.cancelled = True
            if statement.status == SUBMITTED:
                for part in statement.parts:
                    part.move(ABORTED)
                statement.move(ABORTED)
                return
            running = statement.id in self._running
        if running and statement.redshift_pid:
            self._cancel_backend(statement.target, statement.redshift_pid)

    def _cancel_backend(self, target: Target, pid: int) -> None:
        """Cancel the query a backend runs, as the workgroup's admin (`pg_cancel_backend`).

        Not libpq's cancel request: psycopg2 holds the interpreter lock while it waits for one, which
        would stall an in-process front, and the statement's own temporary password may have expired.
        """
        try:
            user, password = self.admin_for(target.workgroup_name)
            session = self.warehouse.connect(user, password, target.database)
        except Exception as exc:  # noqa: BLE001 - the statement runs on; say why it was not cancelled
            log.warning("could not cancel backend %s: %s", pid, exc)
            return
        try:
            with session.connection.cursor() as cursor:
                cursor.execute("SELECT pg_cancel_backend(%s)", (pid,))
        except psycopg2.Error as exc:
            log.warning("could not cancel backend %s: %s", pid, exc)
        finally:
            session.close()

    def _run(self, statement: Statement, session: DataSession | None) -> None:
        with self.lock:
            if statement.cancelled or statement.status in DONE:
                if session is not None:
                    self.release(session, statement.keep_alive)
                return
            statement.move(PICKED)
            for part in statement.parts:
                part.move(PICKED)
        connection: Session | None = None
        try:
            connection = self._connection(statement, session)
            statement.redshift_pid = connection.backend_pid
            with self.lock:
                self._running[statement.id] = connection
                cancelled = statement.cancelled
            if cancelled:  # cancelled while it logged in: nothing ran
                self._abort_rest(statement, statement.parts)
                return
            statement.move(STARTED)
            self._run_parts(statement, connection.connection)
        except WarehouseUnreachable as exc:
            for part in statement.parts:
                part.error = str(exc)
                part.move(FAILED)
            statement.move(FAILED, str(exc))
        except Exception as exc:  # a bug of ours: the statement fails and says so
            log.exception("statement %s failed in the endpoint", statement.id)
            for part in statement.parts:
                if part.status not in DONE:
                    part.move(FAILED)
            statement.move(FAILED, f"{type(exc).__name__}: {exc}")
        finally:
            with self.lock:
                self._running.pop(statement.id, None)
            if session is not None:
                self.release(session, statement.keep_alive)
            elif connection is not None:
                connection.close()
            statement.done.set()

    def _connection(self, statement: Statement, session: DataSession | None) -> Session:
        if (
            session is not None
            and session.connection is not None
            and not session.connection.connection.closed
        ):
            return session.connection
        target = statement.target
        connection = self.warehouse.connect(target.user, target.password, target.database)
        results.fetch_as_text(connection.connection)
        if session is not None:
            session.connection = connection
        return connection

    def _run_parts(self, statement: Statement, connection: Any) -> None:
        transaction = statement.is_batch and statement.transaction
        if transaction:
            connection.autocommit = False
        failure: str | None = None
        try:
            for index, part in enumerate(statement.parts):
                if statement.cancelled:
                    self._abort_rest(statement, statement.parts[index:], connection if transaction else None)
                    return
                try:
                    self._execute(connection, part)
                except psycopg2.errors.QueryCanceled:
                    if not transaction and not connection.autocommit:
                        connection.rollback()
                    self._abort_rest(statement, statement.parts[index:], connection if transaction else None)
                    return
                except (psycopg2.Error, ResultTooLarge) as exc:
                    part.error = error_text(exc) if isinstance(exc, psycopg2.Error) else str(exc)
                    part.move(FAILED)
                    failure = failure or part.error
                    if transaction:
                        connection.rollback()
                        for later in statement.parts[index + 1 :]:
                            later.move(ABORTED)
                        statement.move(FAILED, part.error)
                        return
                    if not statement.is_batch:
                        statement.move(FAILED, part.error)
                        return
            if transaction:
                connection.commit()
            statement.move(FAILED if failure else FINISHED, failure)
        finally:
            if transaction and not connection.closed:
                with contextlib.suppress(psycopg2.Error):
                    if connection.status != psycopg2.extensions.STATUS_READY:
                        connection.rollback()
                    connection.autocommit = True

    def _abort_rest(self, statement: Statement, parts: list[Part], rollback: Any = None) -> None:
        if rollback is not None:
            with contextlib.suppress(psycopg2.Error):
                rollback.rollback()
        for part in parts:
            if part.status not in DONE:
                part.move(ABORTED)
        statement.move(ABORTED)

    def _execute(self, connection: Any, part: Part) -> None:
        part.move(STARTED)
        started = time.perf_counter_ns()
        sql, values = part.bound
        try:
            with connection.cursor() as cursor:
                if values is None:
                    cursor.execute(sql)
                else:
                    cursor.execute(sql, values)
                description = cursor.description
                if description:
                    rows: list[tuple[Any, ...]] = []
                    size = 0
                    while batch := cursor.fetchmany(FETCH_ROWS):
                        size += sum(results.text_size(row) for row in batch)
                        if size > MAX_RESULT_BYTES:
                            raise ResultTooLarge(
                                f"ERROR: Query result is larger than the {MAX_RESULT_BYTES // 2**20} MB the "
                                "Data API keeps; UNLOAD it to S3 instead"
                            )
                        rows.extend(batch)
                    tables, not_null = results.describe_tables(cursor, description)
                    columns = results.column_metadata(description, tables, not_null)
                    part.result = results.ResultSet(
                        columns, [int(c.type_code) for c in description], rows, size
                    )
                    part.result_rows, part.result_size = len(rows), size
                else:
                    part.result_rows, part.result_size = max(cursor.rowcount, 0), 0
        finally:
            part.duration_ns = time.perf_counter_ns() - started
        part.move(FINISHED)

    def close(self, statements: list[Statement] | None = None) -> None:
        """Stop: queued statements never start, running ones (`statements`) are cancelled."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        for statement in statements or []:
            if statement.status not in DONE:
                self.cancel(statement)
        with self.lock:
            sessions = list(self.sessions.values())
        with self.lock:
            for session in sessions:
                if not session.busy:
                    self._close(session)


class SessionBusy(Exception):
    def __init__(self, session_id: str):
        super().__init__(session_id)
        self.session_id = session_id
