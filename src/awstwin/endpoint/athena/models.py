"""The Athena backend: query executions and their lifecycle, behind the real Athena API.

StartQueryExecution records the execution (QUEUED) and hands it to a worker thread, which runs it
for real (`engine.py`: DuckDB over the Glue catalog's S3 files) and records RUNNING, then SUCCEEDED,
FAILED (with Athena's StateChangeReason and AthenaError) or CANCELLED. GetQueryResults pages through
the result file in S3. Workgroups (`workgroups.py`), catalog metadata (`catalogs.py`) and saved
queries (`saved.py`) are mixed in. Query history, workgroups and saved queries persist under
`<state>/athena/`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from awstwin.endpoint.athena import locations, results
from awstwin.endpoint.athena.catalogs import CatalogApi
from awstwin.endpoint.athena.dialect import GENERIC_INTERNAL_ERROR, StatementKind
from awstwin.endpoint.athena.engine import QueryEngine, QueryRequest, classify, leading_keywords
from awstwin.endpoint.athena.exceptions import SYSTEM, InvalidRequestException, QueryCancelled, QueryFailed
from awstwin.endpoint.athena.executions import (
    CANCELLED,
    FAILED,
    INTERRUPTED_REASON,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    ExecutionStore,
    QueryExecution,
)
from awstwin.endpoint.athena.saved import SavedApi, bind_parameters, has_placeholders
from awstwin.endpoint.athena.workgroups import PRIMARY, WorkGroupApi, new_workgroup
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.operations import handler
from awstwin.endpoint.persistence import StateFile
from awstwin.endpoint.s3access import parse_s3_uri

log = logging.getLogger(__name__)

CANCELLED_REASON = "Query cancelled by user"
MAX_LIST_RESULTS = 50
MAX_RESULT_ROWS = 1000
_EXECUTE = re.compile(r"^\s*EXECUTE\s+(?P<name>\w+)(?:\s+USING\s+(?P<using>.*?))?\s*;?\s*$", re.I | re.S)
_PREPARE = re.compile(r"^\s*PREPARE\s+(?P<name>\w+)\s+FROM\s+(?P<body>.*?)\s*;?\s*$", re.I | re.S)
_DEALLOCATE = re.compile(r"^\s*DEALLOCATE\s+PREPARE\s+(?P<name>\w+)\s*;?\s*$", re.I | re.S)


def _split_top_level(text: str) -> list[str]:
    """`'a', 1, ARRAY[1, 2]` -> ["'a'", "1", "ARRAY[1, 2]"] (commas inside quotes/brackets stay)."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in ("'", '"'):
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _memory_per_query(workers: int) -> int | None:
    """`AWSTWIN_ATHENA_MEMORY_MB`, or three quarters of the machine's memory shared by the workers."""
    configured = os.environ.get("AWSTWIN_ATHENA_MEMORY_MB")
    if configured:
        return int(configured)
    try:
        total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return None
    return max(512, int(total_mb * 0.75 / workers))


class AthenaBackend(WorkGroupApi, CatalogApi, SavedApi):
    def __init__(self, ctx: EndpointContext, catalog: CatalogBackend):
        self.ctx = ctx
        self.glue = catalog
        self.lock = threading.RLock()
        self.region = ctx.settings.region
        self.account = ctx.settings.account_id
        self.state_file = StateFile.under(ctx.state_dir, "athena", "state.json")
        saved = self.state_file.load() or {}
        self.workgroups: dict[str, dict[str, Any]] = saved.get("workgroups", {})
        self.workgroups.setdefault(PRIMARY, new_workgroup(PRIMARY, None, None))
        self.tags: dict[str, dict[str, str]] = saved.get("tags", {})
        self.named_queries: dict[str, dict[str, Any]] = saved.get("named_queries", {})
        self.prepared: dict[str, dict[str, dict[str, Any]]] = saved.get("prepared", {})
        self.store = ExecutionStore(ctx.state_dir / "athena" / "executions" if ctx.state_dir else None)
        self.executions: dict[str, QueryExecution] = {}
        for record in self.store.load():
            self.executions[record.query_id] = record
            self.store.save(record)  # an execution cut off by a restart is now recorded as FAILED
        threads = max(1, int(os.environ.get("AWSTWIN_ATHENA_THREADS", os.cpu_count() or 1)))
        workers = max(1, int(os.environ.get("AWSTWIN_ATHENA_WORKERS", "4")))
        self.engine = QueryEngine(ctx, catalog, threads, _memory_per_query(workers))
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="athena-query")
        self.connections: dict[str, Any] = {}
        self.closed = False

    # -- state -----------------------------------------------------------------------------------
    def _save_state(self) -> None:
        self.state_file.save(
            {
                "workgroups": self.workgroups,
                "tags": self.tags,
                "named_queries": self.named_queries,
                "prepared": self.prepared,
            }
        )

    def _workgroup_has_queries(self, name: str) -> bool:
        return any(r.workgroup == name for r in self.executions.values()) or any(
            q["WorkGroup"] == name for q in self.named_queries.values()
        )

    def _record(self, query_id: str) -> QueryExecution:
        record = self.executions.get(query_id)
        if record is None:
            raise InvalidRequestException(f"QueryExecution {query_id} was not found")
        return record

    def close(self) -> None:
        """Stop running queries (their DuckDB work is interrupted) and the worker threads."""
        with self.lock:
            self.closed = True
            running = [r for r in self.executions.values() if r.state == RUNNING]
        for record in running:  # DuckDB hears an interrupt only while it executes: knock until it ends
            threading.Thread(target=self._interrupt_until_final, args=(record, 30.0), daemon=True).start()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.engine.close()

    # -- StartQueryExecution ---------------------------------------------------------------------
    @handler("StartQueryExecution")
    def start_query_execution(
        self,
        QueryString: str,
        ClientRequestToken: str | None = None,
        QueryExecutionContext: dict[str, str] | None = None,
        ResultConfiguration: dict[str, Any] | None = None,
        WorkGroup: str | None = None,
        ExecutionParameters: list[str] | None = None,
        ResultReuseConfiguration: dict[str, Any] | None = None,
        EngineConfiguration: dict[str, Any] | None = None,
        EngineVersion: str | None = None,
    ) -> dict[str, Any]:
        """Runs Athena SQL (Trino dialect) on DuckDB over the Glue catalog's S3 files, or Hive DDL on the
        catalog, on a worker thread; writes `<OutputLocation>/<QueryExecutionId>.csv` and `.csv.metadata`."""
        with self.lock:
            if ClientRequestToken:
                for record in self.executions.values():
                    if record.client_request_token == ClientRequestToken:
                        return {"QueryExecutionId": record.query_id}
            if self.closed:
                raise InvalidRequestException(
                    "The local Athena is shutting down; no new queries are accepted"
                )
            group = self.workgroup(WorkGroup)
            if group["State"] != "ENABLED":
                raise InvalidRequestException(f"WorkGroup {group['Name']} is disabled.")
            result_configuration = self.resolve_output_location(group, ResultConfiguration)
            kind = self._kind(QueryString, group["Name"])
            if kind.handler == "ddl":
                locations.check_ddl(QueryString)  # a LOCATION outside S3 is refused at submission
            record = QueryExecution(
                query_id=str(uuid.uuid4()),
                query=QueryString,
                statement_type=kind.statement_type,
                substatement_type=kind.substatement_type,
                workgroup=group["Name"],
                output_location=result_configuration["OutputLocation"],
                result_suffix=".csv" if kind.statement_type == "DML" else ".txt",
                submitted=time.time(),
                context={k: v for k, v in (QueryExecutionContext or {}).items() if v},
                result_configuration=result_configuration,
                execution_parameters=list(ExecutionParameters or []),
                client_request_token=ClientRequestToken,
            )
            self.executions[record.query_id] = record
            self.store.save(record)
            if self.closed:
                raise InvalidRequestException(
                    "The local Athena is shutting down; no new queries are accepted"
                )
            self.pool.submit(self._execute, record.query_id)
        return {"QueryExecutionId": record.query_id}

    def _kind(self, sql: str, workgroup: str) -> StatementKind:
        words = leading_keywords(sql, 2)
        if words[:1] == ["EXECUTE"]:
            match = _EXECUTE.match(sql)
            statement = self.prepared_statement(workgroup, match.group("name")) if match else None
            if statement is not None:
                return classify(statement["QueryStatement"])
            return StatementKind("DML", "EXECUTE", "query")
        if words[:1] == ["PREPARE"] or words[:2] == ["DEALLOCATE", "PREPARE"]:
            return StatementKind("UTILITY", "PREPARE" if words[0] == "PREPARE" else "DEALLOCATE", "prepared")
        return classify(sql)

    # -- the worker ------------------------------------------------------------------------------
    def _attach(self, query_id: str, con: Any) -> None:
        with self.lock:
            if con is None:
                self.connections.pop(query_id, None)
            else:
                self.connections[query_id] = con
                if self.executions[query_id].cancel_requested:
                    con.interrupt()

    def _execute(self, query_id: str) -> None:
        with self.lock:
            record = self.executions[query_id]
            if record.state != QUEUED or self.closed:
                return
            record.start()
            self.store.save(record)
        try:
            outcome = self._run(record)
        except QueryCancelled as cancelled:
            if self.closed and not record.cancel_requested:  # the endpoint is stopping, not the user
                error = {
                    "ErrorCategory": SYSTEM,
                    "ErrorType": 100,
                    "Retryable": True,
                    "ErrorMessage": INTERRUPTED_REASON,
                }
                self._finish(record, FAILED, INTERRUPTED_REASON, error)
            else:
                self._finish(record, CANCELLED, str(cancelled) or CANCELLED_REASON)
        except QueryFailed as failure:
            state = CANCELLED if record.cancel_requested else FAILED
            self._finish(
                record, state, failure.reason if state == FAILED else CANCELLED_REASON, failure.athena_error()
            )
        except Exception as exc:  # a bug of ours: say so, as a SYSTEM error
            log.exception("athena query %s failed inside the engine", query_id)
            name, error_type = GENERIC_INTERNAL_ERROR
            failure = QueryFailed(name, f"{type(exc).__name__}: {exc}", error_type, category=SYSTEM)
            self._finish(record, FAILED, failure.reason, failure.athena_error())
        else:
            with self.lock:
                record.engine_done = time.time()
                record.result_format = outcome.result_format
                record.columns = outcome.columns
                record.row_count = outcome.row_count
                record.update_count = outcome.update_count
                record.scanned_bytes = outcome.scanned_bytes
                record.planning_ms = outcome.planning_ms
                record.manifest_location = outcome.manifest_location
            self._write_metadata(record)
            if record.cancel_requested:
                self._finish(record, CANCELLED, CANCELLED_REASON)
            else:
                self._finish(record, SUCCEEDED)

    def _finish(
        self, record: QueryExecution, state: str, reason: str | None = None, error: Any = None
    ) -> None:
        with self.lock:
            if record.final:
                return
            record.finish(state, reason, error if state == FAILED else None)
            self.store.save(record)

    def _run(self, record: QueryExecution) -> Any:
        bucket, _ = parse_s3_uri(record.output_location)
        if not self.ctx.s3.bucket_exists(bucket):
            raise QueryFailed("", f"Unable to verify/create output bucket {bucket}", 1306)
        sql = record.query
        words = leading_keywords(sql, 2)
        if words[:1] == ["PREPARE"] or words[:2] == ["DEALLOCATE", "PREPARE"]:
            return self._prepare(record, sql)
        if words[:1] == ["EXECUTE"]:
            sql = self._prepared_sql(record, sql)
        elif record.execution_parameters or has_placeholders(sql):
            sql = bind_parameters(sql, record.execution_parameters)
        kind = classify(sql)
        request = QueryRequest(
            query_id=record.query_id,
            sql=sql,
            database=record.database.lower(),
            output_location=record.output_location,
            workgroup=record.workgroup,
            kind=kind,
            bytes_scanned_cutoff=self._cutoff(record.workgroup),
        )
        return self.engine.run(request, lambda con: self._attach(record.query_id, con))

    def _cutoff(self, workgroup: str) -> int | None:
        with self.lock:
            group = self.workgroups.get(workgroup) or {}
            value = (group.get("Configuration") or {}).get("BytesScannedCutoffPerQuery")
        return int(value) if value else None

    def _prepared_sql(self, record: QueryExecution, sql: str) -> str:
        match = _EXECUTE.match(sql)
        if match is None:
            raise QueryFailed("SYNTAX_ERROR", "line 1:1: expecting EXECUTE <name> [USING value, ...]", 1006)
        with self.lock:
            statement = self.prepared_statement(record.workgroup, match.group("name"))
        if statement is None:
            raise QueryFailed(
                "NOT_FOUND",
                f"Prepared statement not found: {match.group('name')} (workgroup {record.workgroup})",
                1301,
            )
        values = _split_top_level(match.group("using") or "") or record.execution_parameters
        return bind_parameters(statement["QueryStatement"], values)

    def _prepare(self, record: QueryExecution, sql: str) -> Any:
        from awstwin.endpoint.athena.engine import QueryOutcome

        prepare, deallocate = _PREPARE.match(sql), _DEALLOCATE.match(sql)
        with self.lock:
            if prepare is not None:
                self.save_prepared(record.workgroup, prepare.group("name"), prepare.group("body"))
            elif deallocate is not None:
                name = deallocate.group("name")
                if self.prepared_statement(record.workgroup, name) is None:
                    raise QueryFailed("NOT_FOUND", f"Prepared statement not found: {name}", 1301)
                del self.prepared[record.workgroup][name.lower()]
            else:
                raise QueryFailed("SYNTAX_ERROR", "line 1:1: expecting PREPARE <name> FROM <statement>", 1006)
            self._save_state()
        bucket, key = parse_s3_uri(record.result_uri)
        self.ctx.s3.put_bytes(bucket, key, b"", "text/plain")
        return QueryOutcome("txt", [])

    def _write_metadata(self, record: QueryExecution) -> None:
        writer = results.ResultWriter(self.ctx.s3, self.ctx.state_dir)
        writer.write_metadata(
            record.metadata_uri,
            {
                "QueryExecutionId": record.query_id,
                "StatementType": record.statement_type,
                "ColumnInfo": record.columns,
                "RowCount": max(0, record.row_count),
                "UpdateCount": record.update_count,
                "Format": record.result_format,
            },
        )

    # -- reading executions ----------------------------------------------------------------------
    @handler("GetQueryExecution")
    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        """Returns a query's state, statistics (bytes scanned, engine time), result location and, when it
        failed, StateChangeReason and AthenaError."""
        with self.lock:
            return {"QueryExecution": self._record(QueryExecutionId).to_api()}

    @handler("BatchGetQueryExecution")
    def batch_get_query_execution(self, QueryExecutionIds: list[str]) -> dict[str, Any]:
        """Returns query executions by id; unknown ids are listed as unprocessed."""
        found, missing = [], []
        with self.lock:
            for query_id in QueryExecutionIds:
                record = self.executions.get(query_id)
                if record is None:
                    missing.append(
                        {
                            "QueryExecutionId": query_id,
                            "ErrorCode": "INVALID_INPUT",
                            "ErrorMessage": f"QueryExecution {query_id} was not found",
                        }
                    )
                else:
                    found.append(record.to_api())
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    @handler("ListQueryExecutions", page_size=MAX_LIST_RESULTS)
    def list_query_executions(
        self,
        WorkGroup: str | None = None,
    ) -> dict[str, Any]:
        """Lists a workgroup's query ids, newest first, paged; the history survives restarts."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            records = sorted(
                (r for r in self.executions.values() if r.workgroup == group),
                key=lambda r: r.submitted,
                reverse=True,
            )
            ids = [r.query_id for r in records]
        return {"QueryExecutionIds": ids}

    @handler("StopQueryExecution")
    def stop_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        """Interrupts a running query; it ends CANCELLED."""
        with self.lock:
            record = self._record(QueryExecutionId)
            if record.final:
                return {}
            record.cancel_requested = True
            if record.state == QUEUED:
                record.finish(CANCELLED, CANCELLED_REASON)
                self.store.save(record)
                return {}
        threading.Thread(target=self._interrupt_until_final, args=(record,), daemon=True).start()
        return {}

    def _interrupt_until_final(self, record: QueryExecution, seconds: float = 60.0) -> None:
        """DuckDB only hears an interrupt while it executes: keep knocking until the query ends."""
        deadline = time.monotonic() + seconds
        while not record.final and time.monotonic() < deadline:
            with self.lock:
                con = self.connections.get(record.query_id)
            if con is not None:
                with contextlib.suppress(Exception):
                    con.interrupt()
            time.sleep(0.05)

    @handler("GetQueryResults")
    def get_query_results(
        self,
        QueryExecutionId: str,
        NextToken: str | None = None,
        MaxResults: int | None = None,
        QueryResultType: str | None = None,
    ) -> dict[str, Any]:
        """Pages through a query's result rows (NextToken, MaxResults) with Athena column types, read back
        from its result file in S3."""
        with self.lock:
            record = self._record(QueryExecutionId)
            state, reason = record.state, record.reason
        if MaxResults is not None and MaxResults > MAX_RESULT_ROWS:
            raise InvalidRequestException(
                f"1 validation error detected: Value '{MaxResults}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value less than or equal to {MAX_RESULT_ROWS}"
            )
        if state in (QUEUED, RUNNING):
            raise InvalidRequestException(f"Query has not yet finished. Current state: {state}")
        if state != SUCCEEDED:
            detail = f" ({reason})" if reason else ""
            raise InvalidRequestException(
                f"Query did not finish successfully. Final query state: {state}{detail}"
            )
        if QueryResultType == "DATA_MANIFEST":
            if not record.manifest_location:
                raise InvalidRequestException(f"Query {QueryExecutionId} wrote no data manifest")
            lines = results.read_manifest(self.ctx.s3, record.manifest_location)
            rows = [{"Data": [{"VarCharValue": line}]} for line in lines]
            return {"ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": []}}}
        metadata = results.read_metadata(self.ctx.s3, record.metadata_uri) or {}
        columns = metadata.get("ColumnInfo", record.columns)
        rows, token = results.read_page(
            self.ctx.s3,
            record.result_uri,
            record.result_format or "csv",
            NextToken,
            MaxResults or MAX_RESULT_ROWS,
        )
        out: dict[str, Any] = {
            "ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": columns}},
            "NextToken": token,
        }
        if record.update_count is not None:
            out["UpdateCount"] = record.update_count
        return out

    @handler("GetQueryRuntimeStatistics")
    def get_query_runtime_statistics(self, QueryExecutionId: str) -> dict[str, Any]:
        """Returns a query's timeline and rows and bytes read and written."""
        with self.lock:
            record = self._record(QueryExecutionId)
            stats = record.statistics()
            rows = {"InputBytes": record.scanned_bytes, "OutputRows": max(0, record.row_count)}
        timeline = {
            k: stats[k]
            for k in (
                "QueryQueueTimeInMillis",
                "ServicePreProcessingTimeInMillis",
                "QueryPlanningTimeInMillis",
                "EngineExecutionTimeInMillis",
                "ServiceProcessingTimeInMillis",
                "TotalExecutionTimeInMillis",
            )
        }
        return {"QueryRuntimeStatistics": {"Timeline": timeline, "Rows": rows}}
