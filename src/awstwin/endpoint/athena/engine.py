"""Runs one Athena statement for real: DuckDB in-process over the Glue catalog's S3 files.

A `Session` is one query's DuckDB connection: every catalog table the statement names becomes the
view `awsdatacatalog.<db>.<table>` over its files (`sources.py`), Athena views are expanded from
their stored SQL, `information_schema` is built from the catalog, and the statement (translated by
`translate.py`) runs against them. `QueryEngine.run` dispatches on the statement kind: queries write
`<id>.csv`, DDL and utility statements `<id>.txt` (`ddl.py`), CTAS and INSERT write table files
(`writes.py`). DuckDB's errors become Athena's (`dialect.ERROR_RULES`).
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from awstwin.endpoint.athena import dialect, sandbox, sources, translate
from awstwin.endpoint.athena.ddl import DdlRunner
from awstwin.endpoint.athena.dialect import StatementKind, column_info, quote_identifier, text_column_info
from awstwin.endpoint.athena.exceptions import SYSTEM, QueryCancelled, QueryFailed
from awstwin.endpoint.athena.query import (
    LEADING_SPACE_OR_COMMENT,
    Compiled,
    QueryOutcome,
    QueryRequest,
    strip_leading_comments,
)
from awstwin.endpoint.athena.results import ResultWriter, register_renderers, result_uri, scratch_dir
from awstwin.endpoint.athena.views import decode_view, view_table_input
from awstwin.endpoint.athena.warm import WarmConnections
from awstwin.endpoint.athena.writes import TableWriter
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.models import CatalogBackend

MAX_VIEW_DEPTH = 16
_WORD = re.compile(r"\(|[A-Za-z_]+")


def leading_keywords(sql: str, count: int = 4) -> list[str]:
    """The statement's first words, upper-cased, past comments (how Athena classifies it)."""
    text = strip_leading_comments(sql)
    words = []
    pos = 0
    while len(words) < count:
        while (match := LEADING_SPACE_OR_COMMENT.match(text, pos)) and match.end() > pos:
            pos = match.end()
        match = _WORD.match(text, pos)
        if match is None:
            break
        words.append(match.group(0).upper())
        pos = match.end()
        if words[-1] == "(":
            break
    return words


_EXPLAIN = re.compile(r"\s*EXPLAIN(\s+ANALYZE)?(\s*\([^)]*\))?", re.IGNORECASE)


def explained_query(sql: str) -> str:
    """The query of an EXPLAIN, with everything before it blanked out (not removed): its errors keep
    their line and column in the statement, as Athena reports them."""
    blank = len(sql) - len(strip_leading_comments(sql))
    match = _EXPLAIN.match(sql, blank)
    end = match.end() if match else blank
    return re.sub(r"[^\n]", " ", sql[:end]) + sql[end:]


_CTAS = re.compile(r"\bAS\s*(?:\(\s*)*(?:SELECT|WITH|VALUES|TABLE)\b", re.IGNORECASE)


def classify(sql: str) -> StatementKind:
    words = leading_keywords(sql)
    kind = dialect.classify(words)
    if words[:2] == ["CREATE", "TABLE"] and not _CTAS.search(sql):
        return StatementKind("DDL", "CREATE_TABLE", "ddl")
    return kind


class Session:
    """One statement's DuckDB connection and the catalog tables loaded into it."""

    def __init__(
        self,
        engine: QueryEngine,
        sql: str,
        database: str,
        cutoff: int | None = None,
        scratch: Path | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ):
        self.engine = engine
        self.cutoff = cutoff
        self.sql = sql
        self.database = database
        self.scratch = scratch if scratch is not None else scratch_dir(engine.state_dir)
        self.con = con if con is not None else engine.connect(self.scratch)
        # Catalog tables are resolved first and their DuckDB views made only once the connection is
        # locked to their files (`sandbox.lock`): the DuckDB work waits here in order until then.
        self._steps: list[Callable[[], Any]] = []
        self._files: set[Path] = set()
        self._allowed: set[Path] | None = None
        self.scanned_bytes = 0
        self.loaded: dict[tuple[str, str], bool] = {}  # (db, table) -> loaded with partition pruning
        self.column_types: dict[str, set[str]] = {}  # column name -> the types it has in the tables read
        self.scanned: dict[tuple[str, str], int] = {}

    def _defer(self, step: Callable[[], Any]) -> None:
        self._steps.append(step)

    def _materialize(self) -> None:
        """Lock the connection to the files resolved so far, then create the views over them."""
        if self._allowed is None:
            sandbox.lock(self.con, [self.scratch], self._files)
            self._allowed = set(self._files)
        elif not self._files <= self._allowed:
            raise RuntimeError("a locked Athena session was asked to read files it was not opened for")
        steps, self._steps = self._steps, []
        for step in steps:
            step()

    # -- tables ----------------------------------------------------------------------------------
    def load_tables(self, sql: str, refs: list[translate.TableRef], depth: int = 0) -> None:
        groups: dict[tuple[str, str], list[translate.TableRef]] = {}
        for ref in refs:
            if ref.catalog and ref.catalog != dialect.ENGINE_CATALOG:
                raise QueryFailed(
                    "CATALOG_NOT_FOUND",
                    f"line {ref.line}:{ref.col}: Catalog '{ref.catalog}' does not exist",
                    1301,
                )
            groups.setdefault((ref.database, ref.name), []).append(ref)
        for (database, name), group in groups.items():
            self._load_table(database, name, group, depth)

    def _load_table(self, database: str, name: str, refs: list[translate.TableRef], depth: int) -> None:
        key = (database, name)
        if key in self.loaded and not self.loaded[key]:
            return
        first = refs[0]
        if database == dialect.INFORMATION_SCHEMA:
            self._information_schema(name, first)
            self.loaded[key] = False
            return
        catalog = self.engine.catalog
        try:
            catalog.get_database(Name=database)
        except AwsError:
            raise QueryFailed(
                "SCHEMA_NOT_FOUND", f"line {first.line}:{first.col}: Schema '{database}' does not exist", 1301
            ) from None
        try:
            table = catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            raise QueryFailed(
                "TABLE_NOT_FOUND",
                f"line {first.line}:{first.col}: Table '{first.qualified}' does not exist",
                1301,
            ) from None
        schema = f"{dialect.ENGINE_CATALOG}.{quote_identifier(database)}"
        self._defer(lambda: self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        target = f"{dialect.ENGINE_CATALOG}.{quote_identifier(database)}.{quote_identifier(name)}"
        view = decode_view(table)
        if view is not None:
            self._load_view(target, view, first, depth)
            self.loaded[key] = False
            return
        keep = None
        if key not in self.loaded and table.get("PartitionKeys"):
            probe = sources.TableSource(database, name, table, sources.StorageFormat.from_table(table))
            filters = [translate.partition_filter(ref, probe.partition_keys) for ref in refs]
            if all(f is not None for f in filters):
                keep = lambda values: any(f(values) for f in filters)  # noqa: E731
        source = sources.resolve(catalog, self.engine.s3, database, name, table, keep)
        for column, hive in source.columns + source.partition_keys:
            self.column_types.setdefault(column, set()).add(hive.name)
        self._files.update(f.path for f in source.files)
        self._defer(
            lambda: self.con.execute(
                f"CREATE OR REPLACE VIEW {target} AS {sources.relation_sql(source, self.con)}"
            )
        )
        self.scanned[key] = source.scanned_bytes
        self.loaded[key] = keep is not None

    def _load_view(self, target: str, view: dict[str, Any], ref: translate.TableRef, depth: int) -> None:
        if depth > MAX_VIEW_DEPTH:
            raise QueryFailed("VIEW_IS_RECURSIVE", f"line {ref.line}:{ref.col}: View is recursive", 1107)
        sql = view["originalSql"]
        try:
            tree = translate.parse(sql)
        except QueryFailed as failure:
            raise QueryFailed(
                "VIEW_IS_STALE",
                f"line {ref.line}:{ref.col}: View '{ref.qualified}' is stale or in invalid state: "
                f"{failure.reason}",
                1107,
            ) from None
        refs = translate.table_refs(sql, tree, view.get("schema") or self.database)
        self.load_tables(sql, refs, depth + 1)
        translate.qualify_tables(refs)
        translate.keep_dates(tree, self.date_columns)
        translate.rewrite_unnest(tree)
        self._defer(lambda: self.install_macros(tree))
        body = translate.to_duckdb(tree)
        names = [c["name"] for c in view.get("columns") or []]
        if names:
            body = f"SELECT * FROM ({body}) AS q({', '.join(quote_identifier(n) for n in names)})"
        self._defer(lambda: self.con.execute(f"CREATE OR REPLACE VIEW {target} AS {body}"))

    def _information_schema(self, name: str, ref: translate.TableRef) -> None:
        from awstwin.endpoint.athena.information_schema import TABLES, build

        if name not in TABLES:
            raise QueryFailed(
                "TABLE_NOT_FOUND", f"line {ref.line}:{ref.col}: Table '{ref.qualified}' does not exist", 1301
            )
        registered = f"__awstwin_information_schema_{name}"
        table = build(self.engine.catalog, name)
        schema = f"{dialect.ENGINE_CATALOG}.{dialect.INFORMATION_SCHEMA_IN_DUCKDB}"

        def create() -> None:
            self.con.register(registered, table)
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            self.con.execute(
                f"CREATE OR REPLACE VIEW {schema}.{quote_identifier(name)} AS SELECT * FROM {registered}"
            )

        self._defer(create)

    @property
    def date_columns(self) -> set[str]:
        return {name for name, kinds in self.column_types.items() if kinds == {"date"}}

    def install_macros(self, tree: exp.Expression) -> None:
        for name, body in translate.macros_needed(tree).items():
            self.con.execute(f"CREATE OR REPLACE MACRO {name}{body}")

    # -- compiling -------------------------------------------------------------------------------
    def compile(self, tree: exp.Expression, sql: str | None = None) -> Compiled:
        sql = sql if sql is not None else self.sql
        refs = translate.table_refs(sql, tree, self.database)
        self.load_tables(sql, refs)
        self._materialize()
        translate.qualify_tables(refs)
        translate.name_outputs(tree)
        translate.keep_dates(tree, self.date_columns)
        translate.rewrite_unnest(tree)
        self.install_macros(tree)
        duck_sql = translate.to_duckdb(tree)
        try:
            relation = self.con.sql(duck_sql)
        except duckdb.Error as error:
            raise self.engine.failure(error, sql) from None
        self.scanned_bytes = sum(self.scanned.values())
        if self.cutoff is not None and self.scanned_bytes > self.cutoff:
            raise QueryCancelled(
                f"Query cancelled! : Bytes scanned limit was exceeded ({self.scanned_bytes} bytes to read, "
                f"the workgroup allows {self.cutoff} per query)"
            )
        names = translate.output_names(list(relation.columns), tree)
        return Compiled(duck_sql, names, list(relation.types))


class QueryEngine:
    """Turns a `QueryRequest` into result files (and catalog changes), for real."""

    _settings_verified = False

    def __init__(self, ctx: Any, catalog: CatalogBackend, threads: int, memory_limit_mb: int | None = None):
        self.ctx = ctx
        self.catalog = catalog
        self.threads = threads
        self.memory_limit_mb = memory_limit_mb
        self.state_dir: Path = ctx.state_dir
        self.warm = WarmConnections(self._open)

    def _open(self) -> tuple[Path, duckdb.DuckDBPyConnection]:
        scratch = scratch_dir(self.state_dir)
        return scratch, self.connect(scratch)

    def close(self) -> None:
        """Close the spare connection."""
        self.warm.close()

    @property
    def s3(self) -> Any:
        return self.ctx.s3

    def connect(self, scratch: Path) -> duckdb.DuckDBPyConnection:
        """A query's own DuckDB (`sandbox.py`): spills into the query's scratch folder, the one folder
        it may write to once `Session` locks it."""
        spill = scratch / "spill"
        spill.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {"threads": self.threads, "temp_directory": str(spill)}
        if self.memory_limit_mb:  # each query is its own DuckDB instance: share the memory between workers
            config["memory_limit"] = f"{self.memory_limit_mb}MB"
        con = sandbox.connect(config)
        if not QueryEngine._settings_verified:
            sandbox.verify_settings(con)
            QueryEngine._settings_verified = True
        con.execute("SET integer_division = true")
        # DuckDB pushes TRY_CAST into the CSV reader as a strict cast (a bad field fails the scan):
        # SerDe semantics need the cast to stay a TRY_CAST
        con.execute("SET disabled_optimizers = 'type_pushdown'")
        con.execute("SET TimeZone = 'UTC'")
        # A Parquet table's footers are read to describe it, to create its view, to plan the statement
        # and to run it: keep them for this connection's one query (checked against the file's mtime).
        con.execute("SET parquet_metadata_cache = true")
        con.execute(f"ATTACH ':memory:' AS {dialect.ENGINE_CATALOG}")
        register_renderers(con)
        return con

    def failure(self, error: Exception, sql: str) -> QueryFailed | QueryCancelled:
        """A DuckDB error as Athena's error (`COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be ...`)."""
        if isinstance(error, duckdb.InterruptException):
            return QueryCancelled()
        text = str(error).strip()
        first = text.splitlines()[0] if text else type(error).__name__
        for rule in dialect.ERROR_RULES:
            match = rule.pattern.search(first)
            if match is None:
                continue
            groups = {k: dialect.ERROR_TYPE_NAMES.get(v or "", v or "") for k, v in match.groupdict().items()}
            message = rule.template.format(**groups)
            if rule.locate and groups.get(rule.locate):
                where = translate.locate(sql, groups[rule.locate])
                if where is not None:
                    message = f"line {where[0]}:{where[1]}: {message}"
            return QueryFailed(
                rule.name, message, rule.error_type, category=rule.category, retryable=rule.retryable
            )
        if isinstance(error, duckdb.InternalException):
            name, error_type = dialect.GENERIC_INTERNAL_ERROR
            return QueryFailed(name, first, error_type, category=SYSTEM)
        name, error_type = dialect.GENERIC_USER_ERROR
        detail = re.sub(r"^[A-Za-z ]+ Error: ", "", first)
        return QueryFailed(name, detail, error_type)

    # -- running ---------------------------------------------------------------------------------
    def run(self, request: QueryRequest, attach: Callable[[Any], None]) -> QueryOutcome:
        """Run the statement; `attach(connection)` lets StopQueryExecution interrupt DuckDB."""
        handlers: dict[str, Callable[[QueryRequest, Session, ResultWriter], QueryOutcome]] = {
            "query": self._query,
            "explain": self._explain,
            "ddl": self._ddl,
            "view": self._create_view,
            "write": self._write,
        }
        handler = handlers.get(request.kind.handler)
        if handler is None:
            words = leading_keywords(request.sql, 2)
            if not words or words[0] not in dialect.KNOWN_UNSUPPORTED:
                text = strip_leading_comments(request.sql)
                line, col = translate.position(request.sql, len(request.sql) - len(text))
                token = text.split(None, 1)[0] if text.strip() else "<EOF>"
                raise QueryFailed("SYNTAX_ERROR", f"line {line}:{col}: mismatched input '{token}'", 1006)
            raise QueryFailed(
                "NOT_SUPPORTED",
                f"Queries of this type are not supported: {words[0]} (supported: SELECT, WITH, "
                "VALUES, EXPLAIN, INSERT INTO, CREATE TABLE AS, CREATE/DROP DATABASE, CREATE EXTERNAL TABLE, "
                "DROP TABLE, CREATE/DROP VIEW, ALTER TABLE, MSCK REPAIR TABLE, SHOW, DESCRIBE)",
                1202,
            )
        scratch, con = self.warm.take()
        session = Session(self, request.sql, request.database, request.bytes_scanned_cutoff, scratch, con)
        attach(session.con)
        try:
            return handler(request, session, ResultWriter(self.s3, scratch))
        except duckdb.Error as error:
            raise self.failure(error, request.sql) from None
        except AwsError as error:  # the Glue catalog refused a change (a name, a type, a conflict)
            raise QueryFailed("HIVE_METASTORE_ERROR", f"{error.code}: {error.message}", 204) from None
        finally:
            attach(None)
            shutil.rmtree(scratch, ignore_errors=True)  # gone before the query's state says it ended
            self.warm.retire(session.con)  # closed off the query's path (warm.py)

    def _query(self, request: QueryRequest, session: Session, writer: ResultWriter) -> QueryOutcome:
        started = time.monotonic()
        compiled = session.compile(translate.parse(request.sql))
        planning = int((time.monotonic() - started) * 1000)
        uri = result_uri(request.output_location, request.query_id, ".csv")
        rows = writer.write_csv(session.con, compiled.relation, compiled.names, compiled.types, uri)
        return QueryOutcome(
            "csv",
            [column_info(n, t) for n, t in zip(compiled.names, compiled.types, strict=True)],
            row_count=rows,
            update_count=0,
            scanned_bytes=session.scanned_bytes,
            planning_ms=planning,
        )

    def _explain(self, request: QueryRequest, session: Session, writer: ResultWriter) -> QueryOutcome:
        body = explained_query(request.sql)
        compiled = session.compile(translate.parse(body), body)
        rows = session.con.execute(f"EXPLAIN {compiled.sql}").fetchall()
        lines = [line for row in rows for line in str(row[-1]).splitlines()]
        writer.write_text(lines, result_uri(request.output_location, request.query_id, ".txt"))
        return QueryOutcome("txt", [text_column_info("Query Plan")], row_count=len(lines))

    def _ddl(self, request: QueryRequest, session: Session, writer: ResultWriter) -> QueryOutcome:
        result = DdlRunner(self.catalog, self.s3, request.database).run(request.sql)
        writer.write_text(result.lines, result_uri(request.output_location, request.query_id, ".txt"))
        columns = [text_column_info(n) for n in result.columns] if result.lines or result.columns else []
        if result.columns == ["msck_result"]:
            columns = []
        return QueryOutcome("txt", columns, row_count=len(result.lines))

    def _create_view(self, request: QueryRequest, session: Session, writer: ResultWriter) -> QueryOutcome:
        match = re.match(
            r"\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?VIEW\s+(?P<name>[^\s(]+)\s*"
            r"(?:COMMENT\s+'(?:[^']|'')*'\s*)?(?:SECURITY\s+\w+\s*)?AS\s+(?P<query>.*?)\s*;?\s*$",
            strip_leading_comments(request.sql),
            re.IGNORECASE | re.DOTALL,
        )
        if match is None:
            raise QueryFailed(
                "SYNTAX_ERROR", "line 1:1: expecting CREATE [OR REPLACE] VIEW name AS query", 1006
            )
        parts = [p.strip('"`').lower() for p in match.group("name").split(".")]
        if parts and parts[0] == dialect.ENGINE_CATALOG and len(parts) == 3:
            parts = parts[1:]
        database, name = parts if len(parts) == 2 else [request.database, parts[-1]]
        query = match.group("query")
        compiled = session.compile(translate.parse(query), query)
        if any(n.startswith("_col") for n in compiled.names):
            position = compiled.names.index(next(n for n in compiled.names if n.startswith("_col"))) + 1
            raise QueryFailed(
                "MISSING_COLUMN_NAME", f"line 1:1: Column name not specified at position {position}", 1006
            )
        columns = [(n, dialect.presto_type(t)) for n, t in zip(compiled.names, compiled.types, strict=True)]
        table_input = view_table_input(name, database, query, columns)
        try:
            existing = self.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            existing = None
        if existing is not None:
            if existing.get("TableType") != "VIRTUAL_VIEW":
                raise QueryFailed(
                    "TABLE_ALREADY_EXISTS",
                    f"line 1:1: Table '{dialect.ENGINE_CATALOG}.{database}.{name}' already exists",
                    1003,
                )
            if not match.group("replace"):
                raise QueryFailed(
                    "TABLE_ALREADY_EXISTS",
                    f"line 1:1: View '{dialect.ENGINE_CATALOG}.{database}.{name}' already exists",
                    1003,
                )
            self.catalog.update_table(DatabaseName=database, TableInput=table_input)
        else:
            try:
                self.catalog.create_table(DatabaseName=database, TableInput=table_input)
            except AwsError:
                raise QueryFailed(
                    "SCHEMA_NOT_FOUND", f"line 1:1: Schema '{database}' does not exist", 1301
                ) from None
        writer.write_text([], result_uri(request.output_location, request.query_id, ".txt"))
        return QueryOutcome("txt", [], scanned_bytes=0)

    def _write(self, request: QueryRequest, session: Session, writer: ResultWriter) -> QueryOutcome:
        outcome = TableWriter(self, request, session, writer).run()
        suffix = ".csv" if outcome.result_format == "csv" else ".txt"
        writer.write_text([], result_uri(request.output_location, request.query_id, suffix))
        return outcome
