"""What the front knows beyond one message: the backend, its own side connections, S3 and Glue.

`FrontContext` is shared by every session: it installs Redshift's functions and views in each
database on first use, keeps one side connection per database (stl_load_errors must survive the
load's rollback, query ids come from a sequence) and makes the S3 and Glue clients.
`SessionState` is one client connection's: its backend pid, user, and the values
pg_last_copy_count() and friends return.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import psycopg2

log = logging.getLogger("awstwin.redshift")


@dataclass
class Backend:
    """Where the real Postgres listens, and the superuser the front's side connections use."""

    host: str
    port: int
    user: str
    password: str


class FrontContext:
    def __init__(self, backend: Backend, aws_endpoint_url: str | None = None):
        self.backend = backend
        self.aws_endpoint_url = aws_endpoint_url  # else boto3's own: AWS_ENDPOINT_URL, the profile
        self._lock = threading.RLock()
        self._side: dict[str, Any] = {}
        self._installed: set[str] = set()
        self._external: dict[str, dict[str, dict[str, str]]] = {}

    # ---- side connections ----------------------------------------------------------------------

    def side(self, database: str) -> Any:
        """The front's own autocommit connection to `database` (callers hold self._lock)."""
        connection = self._side.get(database)
        if connection is None or connection.closed:
            connection = psycopg2.connect(
                host=self.backend.host,
                port=self.backend.port,
                user=self.backend.user,
                password=self.backend.password,
                dbname=database,
                connect_timeout=10,
                application_name="awstwin-redshift-front",
            )
            connection.autocommit = True
            self._side[database] = connection
        return connection

    def run(self, database: str, sql: str, params: Any = None) -> list[tuple]:
        with self._lock:
            try:
                with self.side(database).cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall() if cursor.description else []
            except psycopg2.OperationalError:
                self._side.pop(database, None)
                raise

    def install(self, database: str) -> None:
        """Redshift's functions, types and system views, once per database per front."""
        with self._lock:
            if database in self._installed:
                return
            sql = resources.files("awstwin.redshift").joinpath("warehouse.sql").read_text()
            try:
                self.run(database, "SELECT pg_advisory_lock(4707)")  # fronts starting together
                self.run(database, sql)
            finally:
                with contextlib.suppress(Exception):
                    self.run(database, "SELECT pg_advisory_unlock(4707)")
            self._installed.add(database)
            self.refresh_external_schemas(database)

    def close(self) -> None:
        with self._lock:
            for connection in self._side.values():
                with contextlib.suppress(Exception):
                    connection.close()
            self._side.clear()

    # ---- records ----------------------------------------------------------------------------------

    def next_query_id(self, database: str) -> int:
        return int(self.run(database, "SELECT nextval('awstwin_redshift.query_ids')")[0][0])

    def record_load_errors(self, database: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        names = list(rows[0])
        sql = (
            f"INSERT INTO awstwin_redshift.load_errors ({', '.join(names)}) "
            f"VALUES ({', '.join('%(' + name + ')s' for name in names)})"
        )
        with self._lock, self.side(database).cursor() as cursor:
            cursor.executemany(sql, rows)

    def external_schemas(self, database: str) -> dict[str, dict[str, str]]:
        """External schema name -> its Glue database and options (cached; refreshed on change)."""
        return self._external.get(database, {})

    def refresh_external_schemas(self, database: str) -> None:
        rows = self.run(
            database, "SELECT schemaname, databasename, region FROM awstwin_redshift.external_schemas"
        )
        self._external[database] = {
            name: {"database": glue_db, "region": region} for name, glue_db, region in rows
        }

    def columns_of(self, database: str, relations: list[str]) -> set[str] | None:
        """The column names of permanent relations (None when one is unknown: a temp table, a typo)."""
        sql = (
            "SELECT r.name, a.attname FROM unnest(%s::text[]) AS r(name) "
            "LEFT JOIN pg_attribute a ON a.attrelid = to_regclass(r.name) AND a.attnum > 0"
        )
        rows = self.run(database, sql, (relations,))
        if any(column is None for _, column in rows):
            return None
        return {str(column).lower() for _, column in rows}

    # ---- AWS clients ------------------------------------------------------------------------------

    def s3(self, region: str | None = None, credentials: dict[str, str] | None = None) -> Any:
        from awstwin.redshift import s3io

        return s3io.client(region, credentials, self.aws_endpoint_url)

    def glue(self, region: str | None = None) -> Any:
        import boto3

        kwargs = {"region_name": region} if region else {}
        if self.aws_endpoint_url:
            kwargs["endpoint_url"] = self.aws_endpoint_url
        return boto3.session.Session().client("glue", **kwargs)


@dataclass
class SessionState:
    front: FrontContext
    database: str
    user: str
    backend_pid: int = 0
    user_id: int = 0
    last_copy_count: int = -1
    last_copy_id: int = -1
    last_unload_count: int = -1
    temp_tables: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, str]:
        """Session values the front passes in: pg_last_copy_count() reaches Postgres with its value."""
        return {
            "pg_last_copy_count": f"pg_last_copy_count({self.last_copy_count})",
            "pg_last_copy_id": f"pg_last_copy_id({self.last_copy_id})",
            "pg_last_unload_count": f"pg_last_unload_count({self.last_unload_count})",
        }
