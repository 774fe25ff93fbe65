"""JdbcTargets: a crawl of a database's tables through a Glue connection, into catalog tables.

For each JdbcTarget (https://docs.aws.amazon.com/glue/latest/webapi/API_JdbcTarget.html) the crawler
resolves its Glue connection (JDBC URL, USERNAME/PASSWORD or SECRET_ID: `catalog/jdbc_urls.py`),
connects, and lists the tables and views the include path names: `database/schema/table`, where `%`
(and JDBC's `_`) are wildcards, e.g. `dev/public/%`
(https://docs.aws.amazon.com/glue/latest/dg/define-crawler-choose-data-sources.html). Exclusions are
globs matched against `table`, `schema/table` and `database/schema/table`.

Each table becomes a catalog table the way the AWS crawler writes JDBC tables: named
`<TablePrefix><database>_<schema>_<table>`, StorageDescriptor Location `database.schema.table`,
Parameters `classification` (the URL's subprotocol: postgresql, redshift), `connectionName`,
`typeOfData` (table or view) (https://docs.aws.amazon.com/glue/latest/dg/table-properties-crawler.html),
and columns in the Glue types the database's types map to (`PG_TO_GLUE`). A job's
`from_catalog` reads such a table through the same connection. `EnableAdditionalMetadata: COMMENTS`
copies the database's comments to the table's Description and the columns' Comment.

Servers that speak the Postgres protocol (Postgres, Redshift, the local Redshift front) are crawled;
another subprotocol fails the crawl and says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from awstwin.endpoint.glue.catalog.jdbc_urls import POSTGRES_WIRE, JdbcEndpoint, JdbcUrlError, resolve
from awstwin.endpoint.glue.catalog.table_input import external_table
from awstwin.endpoint.glue.crawler.layout import table_name

Doc = dict[str, Any]

# Postgres `format_type` spelling -> the Glue column type a JDBC crawler gives it (first match wins;
# anything else, e.g. uuid, json, interval, time: string).
PG_TO_GLUE: list[tuple[str, str]] = [
    (r"^smallint$", "smallint"),
    (r"^integer$", "int"),
    (r"^bigint$", "bigint"),
    (r"^real$", "float"),
    (r"^double precision$", "double"),
    (r"^numeric\((\d+),(\d+)\)$", "decimal({0},{1})"),
    (r"^numeric$", "decimal(38,18)"),
    (r"^boolean$", "boolean"),
    (r"^date$", "date"),
    (r"^timestamp\b", "timestamp"),
    (r"^bytea$", "binary"),
]
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
RELATION_KINDS = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "view"}

LIST_COLUMNS = """
SELECT n.nspname, c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod),
       col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'
  AND n.nspname LIKE %s AND c.relname LIKE %s
ORDER BY n.nspname, c.relname, a.attnum
"""


class JdbcCrawlFailed(Exception):
    """The JDBC target cannot be crawled; the message names the target and what to fix."""


@dataclass
class JdbcTable:
    database: str
    schema: str
    name: str
    kind: str  # table | view
    comment: str | None = None
    columns: list[tuple[str, str, str | None]] = field(default_factory=list)  # (name, pg type, comment)

    @property
    def location(self) -> str:
        return f"{self.database}.{self.schema}.{self.name}"


def glue_type(pg_type: str) -> str:
    """The Glue column type of a Postgres type (`numeric(10,2)` -> `decimal(10,2)`, arrays too)."""
    if pg_type.endswith("[]"):
        return f"array<{glue_type(pg_type[:-2])}>"
    for pattern, glue in PG_TO_GLUE:
        match = re.match(pattern, pg_type)
        if match:
            return glue.format(*match.groups())
    return "string"


@dataclass(frozen=True)
class IncludePath:
    """A JdbcTarget's Path: `database/schema/table` (or `database/table`), `%` a wildcard."""

    database: str
    schema: str
    table: str

    @classmethod
    def parse(cls, path: str) -> IncludePath:
        parts = [p for p in (path or "").split("/") if p]
        if len(parts) == 3:
            return cls(*parts)
        if len(parts) == 2:
            return cls(parts[0], "%", parts[1])
        raise JdbcCrawlFailed(
            f"JDBC include path {path!r} is not database/schema/table or database/table "
            "(use % for all schemas or tables, e.g. dev/public/%)"
        )

    def covers(self, location: str) -> bool:
        """Whether a catalog table's Location `database.schema.table` is under this include path."""
        parts = location.split(".")
        if len(parts) != 3 or parts[0] != self.database:
            return False
        return (
            _like(self.schema).match(parts[1]) is not None and _like(self.table).match(parts[2]) is not None
        )


def _like(pattern: str) -> re.Pattern[str]:
    """A JDBC metadata pattern (`%` any run, `_` one character) as a regex."""
    out = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(out + "$")


def excluded(table: JdbcTable, patterns: list[str], glob: Callable[[str], re.Pattern[str]]) -> bool:
    names = (table.name, f"{table.schema}/{table.name}", f"{table.database}/{table.schema}/{table.name}")
    return any(glob(p.strip().strip("/")).match(n) for p in patterns for n in names)


class JdbcCrawl:
    """The tables of one crawler's JdbcTargets, as catalog TableInputs."""

    def __init__(
        self,
        crawler: Doc,
        get_connection: Callable[[str], Doc],
        read_secret: Callable[[str], str],
        log: Callable[[str], None],
    ):
        self.crawler = crawler
        self.get_connection = get_connection
        self.read_secret = read_secret
        self.log = log

    def endpoint(self, target: Doc, include: IncludePath) -> JdbcEndpoint:
        name = target.get("ConnectionName")
        if not name:
            raise JdbcCrawlFailed(f"JDBC target {target.get('Path')!r} has no ConnectionName")
        connection = self.get_connection(name)
        try:
            endpoint = resolve(
                name, connection.get("ConnectionProperties") or {}, self.read_secret, include.database
            )
        except JdbcUrlError as exc:
            raise JdbcCrawlFailed(str(exc)) from None
        if endpoint.subprotocol not in POSTGRES_WIRE:
            raise JdbcCrawlFailed(
                f"Glue connection {name!r} is jdbc:{endpoint.subprotocol}: only servers that speak the "
                f"Postgres protocol ({', '.join('jdbc:' + s for s in POSTGRES_WIRE)}) are crawled locally"
            )
        return endpoint

    def tables(self, target: Doc, glob: Callable[[str], re.Pattern[str]]) -> list[JdbcTable]:
        include = IncludePath.parse(target.get("Path", ""))
        endpoint = self.endpoint(target, include)
        found = [
            t for t in list_tables(endpoint, include) if not excluded(t, target.get("Exclusions") or [], glob)
        ]
        self.log(
            f"INFO : Found {len(found)} tables and views under {target.get('Path')} on {endpoint.describe()}"
        )
        if "RAWTYPES" in (target.get("EnableAdditionalMetadata") or []):
            self.log("WARN : EnableAdditionalMetadata RAWTYPES is not applied locally; the Glue types are")
        return found

    def table_input(self, table: JdbcTable, target: Doc, classification: str) -> Doc:
        comments = "COMMENTS" in (target.get("EnableAdditionalMetadata") or [])
        params = {
            "CrawlerSchemaDeserializerVersion": "1.0",
            "CrawlerSchemaSerializerVersion": "1.0",
            "UPDATED_BY_CRAWLER": self.crawler["Name"],
            "classification": classification,
            "compressionType": "none",
            "connectionName": target["ConnectionName"],
            "typeOfData": table.kind,
        }
        columns = []
        for name, pg_type, comment in table.columns:
            column: Doc = {"Name": name.lower(), "Type": glue_type(pg_type)}
            if comments and comment:
                column["Comment"] = comment
            columns.append(column)
        descriptor = {
            "Columns": columns,
            "Location": table.location,
            "Compressed": False,
            "NumberOfBuckets": -1,
            "SerdeInfo": {"Parameters": {}},
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": dict(params),
            "StoredAsSubDirectories": False,
        }
        name = table_name(f"{table.database}_{table.schema}_{table.name}")
        description = table.comment if comments and table.comment else None
        return external_table(
            name, descriptor, partition_keys=[], parameters=params, description=description, owner="owner"
        )

    def classification(self, target: Doc) -> str:
        connection = self.get_connection(target["ConnectionName"])
        url = (connection.get("ConnectionProperties") or {}).get("JDBC_CONNECTION_URL", "")
        return url[len("jdbc:") :].split(":", 1)[0] if url.startswith("jdbc:") else "jdbc"


def list_tables(endpoint: JdbcEndpoint, include: IncludePath) -> list[JdbcTable]:
    """The tables and views (with their columns, in order) the include path names."""
    import psycopg2

    kwargs: dict[str, Any] = {
        "host": endpoint.host,
        "port": endpoint.port,
        "dbname": endpoint.database,
        "user": endpoint.user,
        "password": endpoint.password,
        "connect_timeout": 15,
        "application_name": "awstwin-glue-crawler",
    }
    if endpoint.sslmode:
        kwargs["sslmode"] = endpoint.sslmode
    try:
        connection = psycopg2.connect(**{k: v for k, v in kwargs.items() if v is not None})
    except psycopg2.Error as exc:
        raise JdbcCrawlFailed(
            f"cannot connect to {endpoint.describe()} as {endpoint.user!r}: {str(exc).strip()}; check the "
            "connection's JDBC_CONNECTION_URL and credentials and that the server runs"
        ) from None
    try:
        with connection.cursor() as cursor:
            cursor.execute(LIST_COLUMNS, (include.schema, include.table))
            rows = cursor.fetchall()
    except psycopg2.Error as exc:
        raise JdbcCrawlFailed(
            f"cannot list the tables of {endpoint.describe()}: {str(exc).strip()}"
        ) from None
    finally:
        connection.close()
    tables: dict[tuple[str, str], JdbcTable] = {}
    for schema, name, kind, column, pg_type, column_comment, table_comment in rows:
        table = tables.setdefault(
            (schema, name),
            JdbcTable(endpoint.database, schema, name, RELATION_KINDS.get(kind, "table"), table_comment),
        )
        table.columns.append((column, pg_type, column_comment))
    return list(tables.values())
