"""ListDatabases, ListSchemas, ListTables and DescribeTable: the warehouse's catalog, read as the caller.

Each runs at once on its own connection as the statement's user (what that user may see is what it
lists). Patterns are SQL LIKE patterns, as in the API (`SchemaPattern`, `TablePattern`). Table types
are the JDBC ones the API names (TABLE, VIEW, SYSTEM TABLE, SYSTEM VIEW, LOCAL TEMPORARY).
"""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.redshift import results

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")

DATABASES = "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname"
SCHEMAS = (
    "SELECT nspname FROM pg_namespace WHERE nspname LIKE %(pattern)s "
    "AND nspname NOT LIKE 'pg\\_toast%%' AND nspname NOT LIKE 'pg\\_temp\\_%%' "
    "AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%%' ORDER BY nspname"
)
TABLES = """
SELECT c.relname, n.nspname,
       CASE WHEN n.nspname LIKE 'pg\\_temp\\_%%' THEN 'LOCAL TEMPORARY'
            WHEN n.nspname IN ('pg_catalog', 'information_schema')
                THEN CASE WHEN c.relkind IN ('v', 'm') THEN 'SYSTEM VIEW' ELSE 'SYSTEM TABLE' END
            WHEN c.relkind IN ('v', 'm') THEN 'VIEW'
            ELSE 'TABLE' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname LIKE %(schema)s AND c.relname LIKE %(table)s
  AND (n.nspname NOT LIKE 'pg\\_temp\\_%%' OR n.oid = pg_my_temp_schema())
  AND n.nspname NOT LIKE 'pg\\_toast%%'
ORDER BY n.nspname, c.relname
"""
COLUMNS = """
SELECT a.attname, a.atttypid, t.typname, a.atttypmod, NOT a.attnotnull, n.nspname, c.relname,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname LIKE %(schema)s AND c.relname LIKE %(table)s
ORDER BY n.nspname, c.relname, a.attnum
"""


def _rows(connection: Any, sql: str, params: dict[str, str] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def databases(connection: Any) -> list[str]:
    return [name for (name,) in _rows(connection, DATABASES)]


def schemas(connection: Any, pattern: str | None) -> list[str]:
    return [name for (name,) in _rows(connection, SCHEMAS, {"pattern": pattern or "%"})]


def tables(connection: Any, schema_pattern: str | None, table_pattern: str | None) -> list[dict[str, str]]:
    found = _rows(connection, TABLES, {"schema": schema_pattern or "%", "table": table_pattern or "%"})
    return [{"name": name, "schema": schema, "type": kind} for name, schema, kind in found]


def columns(connection: Any, schema: str | None, table: str | None) -> list[dict[str, Any]]:
    """ColumnMetadata of every column of the matching tables (a table name is taken as written)."""
    found = _rows(connection, COLUMNS, {"schema": schema or "%", "table": table or "%"})
    listed = []
    for name, type_oid, type_name, typmod, nullable, schema_name, table_name, default in found:
        code = int(type_oid)
        precision, scale = _precision(code, int(typmod))
        column = {
            "name": name,
            "label": name,
            "typeName": results.TYPE_NAMES.get(code, type_name),
            "nullable": 1 if nullable else 0,
            "isCaseSensitive": code in results.TEXT_TYPES,
            "isCurrency": False,
            "isSigned": code in results.SIGNED,
            "precision": precision,
            "scale": scale,
            "length": 0,
            "schemaName": schema_name,
            "tableName": table_name,
        }
        if default is not None:
            column["columnDefault"] = default
        listed.append(column)
    return listed


def _precision(code: int, typmod: int) -> tuple[int, int]:
    if code in results.PRECISION:
        return results.PRECISION[code], 0
    if code == 1700:
        return ((typmod - 4) >> 16, (typmod - 4) & 0xFFFF) if typmod >= 4 else (0, 0)
    if code in (1042, 1043):
        return (typmod - 4 if typmod >= 4 else results.MAX_VARCHAR), 0
    return (results.MAX_VARCHAR if code in results.TEXT_TYPES else 0), 0
