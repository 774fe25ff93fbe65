"""Running statements on the front from Python: what the Redshift Data API executes through.

    with FrontSession("127.0.0.1", 5439, "awsuser", password, "dev") as session:
        result = session.execute("COPY t FROM 's3://b/k' IAM_ROLE default CSV")
        result.tag, result.rowcount, result.columns, result.rows

A session is one connection through the front, so every statement gets the front's translation,
COPY/UNLOAD and Spectrum, and session state (temp tables, pg_last_copy_count()) lasts between
statements as it does for a Data API session (`SessionKeepAliveSeconds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import psycopg2

# Postgres type OID -> the type name Redshift reports (Data API ColumnMetadata.typeName).
TYPE_NAMES = {
    16: "bool",
    20: "int8",
    21: "int2",
    23: "int4",
    25: "text",
    700: "float4",
    701: "float8",
    1042: "bpchar",
    1043: "varchar",
    1082: "date",
    1083: "time",
    1114: "timestamp",
    1184: "timestamptz",
    1700: "numeric",
    3802: "super",
    19: "name",
    26: "oid",
    114: "super",
}


@dataclass
class Column:
    name: str
    type_oid: int
    type_name: str
    nullable: bool = True


@dataclass
class Result:
    tag: str  # the command tag: SELECT 3, COPY 6607, UNLOAD, CREATE TABLE, ...
    rowcount: int  # rows returned, or affected (-1 when the statement says none)
    columns: list[Column] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # INFO lines, e.g. "Load into table ... completed"


class FrontSession:
    def __init__(
        self, host: str, port: int, user: str, password: str, database: str, *, autocommit: bool = True
    ):
        self.connection = psycopg2.connect(
            host=host,
            port=port,
            user=user,
            password=password,
            dbname=database,
            connect_timeout=10,
            application_name="awstwin-redshift-session",
        )
        self.connection.autocommit = autocommit

    @property
    def backend_pid(self) -> int:
        return int(self.connection.get_backend_pid())

    def execute(self, sql: str, params: Any = None) -> Result:
        """Run one statement (or several separated by semicolons: the last one's result)."""
        before = len(self.connection.notices)
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            columns = [
                Column(
                    item.name, int(item.type_code), TYPE_NAMES.get(int(item.type_code), str(item.type_code))
                )
                for item in cursor.description or []
            ]
            rows = cursor.fetchall() if cursor.description else []
            notices = [line.strip() for line in self.connection.notices[before:]]
            return Result(cursor.statusmessage or "", cursor.rowcount, columns, rows, notices)

    def cancel(self) -> None:
        """Cancel the running statement (from another thread), as CancelStatement does."""
        self.connection.cancel()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> FrontSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
