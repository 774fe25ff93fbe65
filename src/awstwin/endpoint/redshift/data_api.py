"""The Redshift Data API: statements that run asynchronously on a Redshift Serverless workgroup.

Authentication as AWS documents it
(https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_ExecuteStatement.html):
`SecretArn` names a secret of the endpoint's Secrets Manager holding `username` and `password`;
without one, the caller's IAM identity logs in with temporary credentials (`IAM:<user>`, what
redshift-serverless GetCredentials gives). Statements run on the warehouse through the Redshift
front (`runner.py`); results are kept 24 hours and read by GetStatementResult (typed JSON fields) or
GetStatementResultV2 (CSV, for `ResultFormat=CSV`). Provisioned clusters (`ClusterIdentifier`) are
not served locally: they are answered as AWS answers an unknown endpoint.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from typing import Any

import psycopg2
from botocore.exceptions import ClientError

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.operations import handler
from awstwin.endpoint.redshift import catalog, results
from awstwin.endpoint.redshift.parameters import ParameterError, bind
from awstwin.endpoint.redshift.runner import DataSession, Runner, SessionBusy, error_text
from awstwin.endpoint.redshift.serverless import ServerlessBackend
from awstwin.endpoint.redshift.statements import ACTIVE, DONE, FINISHED, Part, Statement, Target
from awstwin.endpoint.redshift.warehouse import WarehouseUnreachable

# https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html (considerations)
MAX_ACTIVE_STATEMENTS = 500  # STARTED and SUBMITTED statements per workgroup
MAX_SQL_BYTES = 100 * 1024
CLIENT_TOKEN_SECONDS = 8 * 3600
RETENTION_SECONDS = 24 * 3600
LOGIN_SECONDS = 900  # temporary credentials the Data API takes for a statement (GetCredentials' default)
ID_PATTERN = re.compile(r"^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$")
# Texts AWS answers with (seen from AWS in SDK users' reports and tests against the real service).
NO_ENDPOINT = "Redshift endpoint doesn't exist in this region."
NO_TARGET = "Either ClusterIdentifier or WorkgroupName needs to be specified."
NO_QUERY = "Query does not exist."
NO_RESULT = "Query does not have result. Please check query status with DescribeStatement."


def invalid(message: str) -> AwsError:
    return AwsError(message, code="ValidationException")


def missing(statement_id: str, message: str = NO_QUERY) -> AwsError:
    return AwsError(message, code="ResourceNotFoundException", fields={"ResourceId": statement_id})


class DataApiBackend:
    def __init__(self, ctx: EndpointContext, serverless: ServerlessBackend, runner: Runner):
        self.ctx = ctx
        self.serverless = serverless
        self.runner = runner
        self.lock = threading.RLock()
        self.statements: dict[str, Statement] = {}
        self._tokens: dict[str, tuple[float, str, dict[str, Any]]] = {}

    def close(self) -> None:
        with self.lock:
            statements = list(self.statements.values())
        self.runner.close(statements)

    # ---- who and where -----------------------------------------------------------------------------

    def _target(
        self,
        workgroup_name: str | None,
        cluster_identifier: str | None,
        database: str | None,
        secret_arn: str | None,
        db_user: str | None,
        *,
        default_database: bool = False,
    ) -> Target:
        if workgroup_name and cluster_identifier:
            raise invalid("ClusterIdentifier and WorkgroupName can't both be specified.")
        if cluster_identifier:
            raise invalid(NO_ENDPOINT)  # no provisioned clusters locally: Redshift Serverless only
        if not workgroup_name:
            raise invalid(NO_TARGET)
        workgroup = self.serverless.workgroup(workgroup_name)
        if workgroup is None:
            raise invalid(NO_ENDPOINT)
        name = workgroup["workgroupName"]
        if not database:
            if not default_database:
                raise invalid("Database is required when connecting to a serverless workgroup.")
            database = self.serverless.namespace_of(workgroup)["dbName"]
        if secret_arn:
            user, password = self._secret(secret_arn)
            return Target(name, database, user, password, secret_arn=secret_arn)
        if db_user:
            raise invalid(
                "DbUser is for provisioned clusters; a serverless workgroup derives the database user from "
                "the caller's IAM identity (give SecretArn to log in as another user)."
            )
        login = self.serverless.credentials(workgroup, LOGIN_SECONDS, needed_seconds=60)
        return Target(name, database, login["dbUser"], login["dbPassword"], temporary=True)

    def _secret(self, secret_arn: str) -> tuple[str, str]:
        try:
            value = self.ctx.client("secretsmanager").get_secret_value(SecretId=secret_arn)
        except ClientError as exc:
            raise invalid(
                f"Secrets Manager could not read {secret_arn}: {exc.response['Error']['Message']}"
            ) from exc
        try:
            document = json.loads(value.get("SecretString") or "")
            return str(document["username"]), str(document["password"])
        except (ValueError, KeyError, TypeError):
            raise invalid(f"Secret {secret_arn} must be a JSON document with username and password") from None

    # ---- statements -------------------------------------------------------------------------------

    @handler("ExecuteStatement")
    def execute_statement(
        self,
        Sql: str,  # noqa: N803 - the API's member names
        ClusterIdentifier: str | None = None,  # noqa: N803
        SecretArn: str | None = None,  # noqa: N803
        DbUser: str | None = None,  # noqa: N803
        Database: str | None = None,  # noqa: N803
        WithEvent: bool | None = None,  # noqa: N803
        StatementName: str | None = None,  # noqa: N803
        Parameters: list[dict[str, str]] | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
        ClientToken: str | None = None,  # noqa: N803
        ResultFormat: str | None = None,  # noqa: N803
        SessionKeepAliveSeconds: int | None = None,  # noqa: N803
        SessionId: str | None = None,  # noqa: N803
        WaitTimeSeconds: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Runs one SQL statement asynchronously on a workgroup's warehouse (through the Redshift
        front), with `:name` parameters, a secret or temporary credentials, and sessions."""
        request = dict(locals())
        request.pop("self")
        return self._submit([Sql], request, is_batch=False)

    @handler("BatchExecuteStatement")
    def batch_execute_statement(
        self,
        Sqls: list[str],  # noqa: N803
        ClusterIdentifier: str | None = None,  # noqa: N803
        SecretArn: str | None = None,  # noqa: N803
        DbUser: str | None = None,  # noqa: N803
        Database: str | None = None,  # noqa: N803
        WithEvent: bool | None = None,  # noqa: N803
        StatementName: str | None = None,  # noqa: N803
        Parameters: list[dict[str, str]] | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
        ClientToken: str | None = None,  # noqa: N803
        ResultFormat: str | None = None,  # noqa: N803
        SessionKeepAliveSeconds: int | None = None,  # noqa: N803
        SessionId: str | None = None,  # noqa: N803
        ExecutionMode: str | None = None,  # noqa: N803
        WaitTimeSeconds: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Runs SQL statements in order, as one transaction (or each on its own with
        ExecutionMode=AUTO_COMMIT); each has its own id `<Id>:<n>` and result."""
        request = dict(locals())
        request.pop("self")
        return self._submit(list(Sqls), request, is_batch=True)

    def _submit(self, sqls: list[str], request: dict[str, Any], *, is_batch: bool) -> dict[str, Any]:
        token = request.get("ClientToken")
        fingerprint = _fingerprint(sqls, request)
        self._forget_old()
        if token:
            with self.lock:
                seen = self._tokens.get(token)
            if seen is not None and seen[1] == fingerprint:
                return seen[2]
        for sql in sqls:
            if not sql.strip():
                raise invalid("The SQL statement is empty.")
            if len(sql.encode()) > MAX_SQL_BYTES:
                raise invalid(
                    f"The SQL statement is longer than the {MAX_SQL_BYTES // 1024} KB the Data API takes."
                )
        try:
            bound = bind(sqls, request.get("Parameters"))
        except ParameterError as exc:
            raise invalid(str(exc)) from None
        session, target = self._session_and_target(request)
        statement_id = str(uuid.uuid4())
        parts = [
            Part(statement_id if not is_batch else f"{statement_id}:{n}", sql, bound[n - 1])
            for n, sql in enumerate(sqls, start=1)
        ]
        statement = Statement(
            statement_id,
            parts,
            target,
            is_batch,
            name=request.get("StatementName"),
            parameters=request.get("Parameters"),
            result_format=request.get("ResultFormat") or "JSON",
            session_id=session.id if session is not None else None,
            keep_alive=request.get("SessionKeepAliveSeconds"),
            transaction=(request.get("ExecutionMode") or "TRANSACTION") == "TRANSACTION",
            execution_mode=request.get("ExecutionMode") if is_batch else None,
        )
        with self.lock:
            active = sum(
                1
                for s in self.statements.values()
                if s.status in ACTIVE and s.target.workgroup_name == target.workgroup_name
            )
            if active >= MAX_ACTIVE_STATEMENTS:
                if session is not None:
                    self.runner.release(session, None)
                raise AwsError(
                    f"Active statements exceeded the allowed quota ({MAX_ACTIVE_STATEMENTS}).",
                    code="ActiveStatementsExceededException",
                )
            self.statements[statement_id] = statement
        self.runner.submit(statement, session)
        answer: dict[str, Any] = {
            "Id": statement_id,
            "CreatedAt": statement.created_at,
            "Database": target.database,
            "DbUser": target.user if target.temporary else None,
            "SecretArn": target.secret_arn,
            "WorkgroupName": target.workgroup_name,
            "SessionId": statement.session_id,
        }
        if request.get("WaitTimeSeconds"):
            statement.done.wait(request["WaitTimeSeconds"])
            answer.update(
                Status=statement.status,
                RedshiftPid=statement.redshift_pid,
                HasResultSet=any(p.has_result_set for p in statement.parts),
            )
        if token:
            with self.lock:
                self._tokens[token] = (time.time(), fingerprint, answer)
        return answer

    def _session_and_target(self, request: dict[str, Any]) -> tuple[DataSession | None, Target]:
        session_id = request.get("SessionId")
        if session_id:
            given = [
                k
                for k in ("WorkgroupName", "ClusterIdentifier", "Database", "SecretArn", "DbUser")
                if request.get(k)
            ]
            if given:
                raise invalid(
                    f"SessionId can't be specified with {', '.join(given)}: the session decides them."
                )
            try:
                session = self.runner.claim_session(session_id)
            except SessionBusy:
                raise invalid(
                    f"Session {session_id} is running another statement; wait until it finishes."
                ) from None
            if session is None:
                raise AwsError(
                    f"Session {session_id} does not exist or has ended.",
                    code="ResourceNotFoundException",
                    fields={"ResourceId": session_id},
                )
            return session, session.target
        target = self._target(
            request.get("WorkgroupName"),
            request.get("ClusterIdentifier"),
            request.get("Database"),
            request.get("SecretArn"),
            request.get("DbUser"),
        )
        keep_alive = request.get("SessionKeepAliveSeconds")
        session = self.runner.open_session(target, keep_alive) if keep_alive else None
        return session, target

    def _forget_old(self) -> None:
        now = time.time()
        with self.lock:
            for key in [
                k
                for k, s in self.statements.items()
                if s.status in DONE and now - s.created_at > RETENTION_SECONDS
            ]:
                del self.statements[key]
            for key in [k for k, (at, _, _) in self._tokens.items() if now - at > CLIENT_TOKEN_SECONDS]:
                del self._tokens[key]

    def _find(self, statement_id: str) -> tuple[Statement, Part | None]:
        if not ID_PATTERN.match(statement_id):
            raise invalid(f"id must satisfy regex pattern: {ID_PATTERN.pattern}")
        base = statement_id.split(":", 1)[0]
        with self.lock:
            statement = self.statements.get(base)
        if statement is None:
            raise missing(statement_id)
        part = statement.part(statement_id)
        if part is None and statement_id != base:
            raise missing(statement_id)
        return statement, part

    @handler("DescribeStatement")
    def describe_statement(self, Id: str, WaitTimeSeconds: int | None = None) -> dict[str, Any]:  # noqa: N803
        """Returns a statement's state, timings, row count, error and, for a batch, each statement's."""
        statement, part = self._find(Id)
        if WaitTimeSeconds:
            statement.done.wait(WaitTimeSeconds)
        return statement.describe(part)

    def _result(self, statement_id: str, wait: int | None, wanted: str) -> tuple[Statement, Part]:
        statement, part = self._find(statement_id)
        if wait:
            statement.done.wait(wait)
        if part is None or part.status != FINISHED or part.result is None:
            raise missing(statement_id, NO_RESULT)
        if statement.result_format != wanted:
            other = "GetStatementResultV2" if wanted == "JSON" else "GetStatementResult"
            raise invalid(
                f"The statement's ResultFormat is {statement.result_format}: read its result with {other}."
            )
        return statement, part

    @handler("GetStatementResult")
    def get_statement_result(
        self,
        Id: str,  # noqa: N803
        NextToken: str | None = None,  # noqa: N803
        WaitTimeSeconds: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Returns a finished statement's rows as typed fields (longValue, stringValue, isNull, ...)
        with ColumnMetadata, in pages of about 1 MB."""
        _, part = self._result(Id, WaitTimeSeconds, "JSON")
        assert part.result is not None
        return results.json_page(part.id, part.result, NextToken)

    @handler("GetStatementResultV2")
    def get_statement_result_v2(
        self,
        Id: str,  # noqa: N803
        NextToken: str | None = None,  # noqa: N803
        WaitTimeSeconds: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Returns a finished statement's rows as CSV text (ResultFormat=CSV), header first."""
        _, part = self._result(Id, WaitTimeSeconds, "CSV")
        assert part.result is not None
        return results.csv_page(part.id, part.result, NextToken)

    @handler("CancelStatement")
    def cancel_statement(self, Id: str) -> dict[str, Any]:  # noqa: N803
        """Cancels a statement that waits or runs (the warehouse cancels its query); it ends ABORTED."""
        statement, _ = self._find(Id)
        if statement.status in DONE:
            raise invalid(
                f"Could not cancel a query that is already in {statement.status} state with ID: {Id}"
            )
        self.runner.cancel(statement)
        return {"Status": True}

    @handler("ListStatements", page_size=100)
    def list_statements(
        self,
        StatementName: str | None = None,  # noqa: N803
        Status: str | None = None,  # noqa: N803
        RoleLevel: bool | None = None,  # noqa: N803
        Database: str | None = None,  # noqa: N803
        ClusterIdentifier: str | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Lists statements of the last 24 hours, newest first: FINISHED ones unless `Status` says
        otherwise (ALL for every state), by name prefix, database or workgroup."""
        if ClusterIdentifier and WorkgroupName:
            raise invalid("ClusterIdentifier and WorkgroupName can't both be specified.")
        wanted = Status or FINISHED
        workgroup = self.serverless.workgroup(WorkgroupName) if WorkgroupName else None
        with self.lock:
            found = sorted(self.statements.values(), key=lambda s: s.created_at, reverse=True)
        listed = [
            s.listed()
            for s in found
            if (wanted == "ALL" or s.status == wanted)
            and (not StatementName or (s.name or "").startswith(StatementName))
            and (not Database or s.target.database == Database)
            and not ClusterIdentifier
            and (
                not WorkgroupName
                or (workgroup is not None and s.target.workgroup_name == workgroup["workgroupName"])
            )
        ]
        return {"Statements": listed}

    @handler("ListSessions", page_size=100)
    def list_sessions(
        self,
        SessionId: str | None = None,  # noqa: N803
        Status: str | None = None,  # noqa: N803
        RoleLevel: bool | None = None,  # noqa: N803
        ClusterIdentifier: str | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
        Database: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Lists the Data API sessions of the last 24 hours: AVAILABLE and BUSY ones unless `Status`
        names another."""
        if SessionId and (Status or ClusterIdentifier or WorkgroupName or Database):
            raise invalid(
                "When SessionId is given, Status, ClusterIdentifier, WorkgroupName and Database can't be."
            )
        with self.runner.lock:
            sessions = sorted(self.runner.sessions.values(), key=lambda s: s.created_at, reverse=True)
            listed = [
                s.wire()
                for s in sessions
                if (not SessionId or s.id == SessionId)
                and (SessionId or (s.status == Status if Status else s.status in ("AVAILABLE", "BUSY")))
                and not ClusterIdentifier
                and (not WorkgroupName or s.target.workgroup_name == WorkgroupName)
                and (not Database or s.target.database == Database)
            ]
        return {"Sessions": listed}

    # ---- the catalog -------------------------------------------------------------------------------

    def _catalog(self, read: Any, request: dict[str, Any], *, database: str | None = None) -> Any:
        target = self._target(
            request.get("WorkgroupName"),
            request.get("ClusterIdentifier"),
            database or request.get("Database"),
            request.get("SecretArn"),
            request.get("DbUser"),
            default_database=True,
        )
        try:
            session = self.runner.warehouse.connect(target.user, target.password, target.database)
        except WarehouseUnreachable as exc:
            raise AwsError(str(exc), code="DatabaseConnectionException", status=500) from exc
        try:
            return read(session.connection)
        except psycopg2.Error as exc:
            raise invalid(error_text(exc)) from exc
        finally:
            session.close()

    @handler("ListDatabases", page_size=1000)
    def list_databases(
        self,
        ClusterIdentifier: str | None = None,  # noqa: N803
        Database: str | None = None,  # noqa: N803
        SecretArn: str | None = None,  # noqa: N803
        DbUser: str | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Lists the warehouse's databases (read as the statement user)."""
        return {"Databases": self._catalog(catalog.databases, dict(locals()))}

    @handler("ListSchemas", page_size=1000)
    def list_schemas(
        self,
        Database: str,  # noqa: N803
        ClusterIdentifier: str | None = None,  # noqa: N803
        SecretArn: str | None = None,  # noqa: N803
        DbUser: str | None = None,  # noqa: N803
        ConnectedDatabase: str | None = None,  # noqa: N803
        SchemaPattern: str | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Lists a database's schemas matching a LIKE pattern."""
        schemas = self._catalog(lambda c: catalog.schemas(c, SchemaPattern), dict(locals()))
        return {"Schemas": schemas}

    @handler("ListTables", page_size=1000)
    def list_tables(
        self,
        Database: str,  # noqa: N803
        ClusterIdentifier: str | None = None,  # noqa: N803
        SecretArn: str | None = None,  # noqa: N803
        DbUser: str | None = None,  # noqa: N803
        ConnectedDatabase: str | None = None,  # noqa: N803
        SchemaPattern: str | None = None,  # noqa: N803
        TablePattern: str | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Lists tables and views (name, schema, type) matching schema and table LIKE patterns."""
        tables = self._catalog(lambda c: catalog.tables(c, SchemaPattern, TablePattern), dict(locals()))
        return {"Tables": tables}

    @handler("DescribeTable", page_size=1000)
    def describe_table(
        self,
        Database: str,  # noqa: N803
        ClusterIdentifier: str | None = None,  # noqa: N803
        SecretArn: str | None = None,  # noqa: N803
        DbUser: str | None = None,  # noqa: N803
        ConnectedDatabase: str | None = None,  # noqa: N803
        Schema: str | None = None,  # noqa: N803
        Table: str | None = None,  # noqa: N803
        WorkgroupName: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Returns a table's columns as ColumnMetadata (type, precision, scale, nullable, default)."""
        columns = self._catalog(lambda c: catalog.columns(c, Schema, Table), dict(locals()))
        return {"TableName": Table, "ColumnList": columns}


def _fingerprint(sqls: list[str], request: dict[str, Any]) -> str:
    significant = {k: v for k, v in request.items() if k not in ("ClientToken", "WaitTimeSeconds")}
    text = json.dumps([sqls, significant], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
