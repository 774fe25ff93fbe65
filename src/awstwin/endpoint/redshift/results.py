"""A statement's result set as the Data API returns it: ColumnMetadata, typed fields, CSV, pages.

Values are fetched as the warehouse prints them (dates, timestamps, NUMERIC and SUPER as text), then
each becomes the field AWS documents for its type: integers `longValue`, floating point
`doubleValue`, booleans `booleanValue`, NULL `isNull`, everything else (DECIMAL included)
`stringValue` (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html, JDBC type mapping).
Pages are cut by size, as the service cuts them, and a token only fits the statement it came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import psycopg2.extensions

from awstwin.endpoint import paging
from awstwin.endpoint.errors import AwsError

# Postgres type OID -> the type name Redshift reports (ColumnMetadata.typeName).
TYPE_NAMES = {
    16: "bool",
    17: "varbyte",
    19: "name",
    20: "int8",
    21: "int2",
    23: "int4",
    25: "text",
    26: "oid",
    114: "super",
    700: "float4",
    701: "float8",
    1042: "bpchar",
    1043: "varchar",
    1082: "date",
    1083: "time",
    1114: "timestamp",
    1184: "timestamptz",
    1266: "timetz",
    1700: "numeric",
    3802: "super",
}
LONG_TYPES = {20, 21, 23, 26}  # int8, int2, int4, oid
DOUBLE_TYPES = {700, 701}
BOOL_TYPE = 16
BYTEA_TYPE = 17
SIGNED = LONG_TYPES | DOUBLE_TYPES | {1700}
TEXT_TYPES = {25, 1042, 1043, 19}
# Precision JDBC reports for fixed types (the Data API's ColumnMetadata follows Redshift's driver).
PRECISION = {16: 1, 20: 19, 21: 5, 23: 10, 26: 10, 700: 8, 701: 17, 1082: 13, 1083: 15, 1114: 29, 1184: 35}
MAX_VARCHAR = 65535
PAGE_BYTES = 1 << 20  # a page of records stays under about 1 MiB

# Types psycopg2 would turn into Python objects: keep the warehouse's own text instead.
_AS_TEXT = psycopg2.extensions.new_type(
    tuple(
        oid
        for caster in (
            psycopg2.extensions.DATE,
            psycopg2.extensions.TIME,
            psycopg2.extensions.PYDATETIME,
            psycopg2.extensions.PYDATETIMETZ,
            psycopg2.extensions.PYINTERVAL,
            psycopg2.extensions.DECIMAL,
        )
        for oid in caster.values
    )
    + (114, 3802),  # json, jsonb (SUPER)
    "AWSTWIN_AS_TEXT",
    lambda value, cursor: value,
)


def fetch_as_text(connection: Any) -> None:
    """Make `connection` return dates, times, numerics and JSON as the warehouse's text."""
    psycopg2.extensions.register_type(_AS_TEXT, connection)


@dataclass
class ResultSet:
    columns: list[dict[str, Any]]
    type_codes: list[int]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    size: int = 0  # bytes of the values, as text

    @property
    def total(self) -> int:
        return len(self.rows)


def column_metadata(
    description: Any, tables: dict[int, tuple[str, str]], not_null: set[tuple[int, int]]
) -> list[dict[str, Any]]:
    """ColumnMetadata for a cursor's description; `tables` maps table oids to (schema, table) and
    `not_null` holds the (table oid, column number) pairs declared NOT NULL."""
    found = []
    for column in description:
        code = int(column.type_code)
        type_name = TYPE_NAMES.get(code, str(code))
        table = tables.get(column.table_oid or 0, ("", ""))
        if code in PRECISION:
            precision, scale = PRECISION[code], 0
        elif code == 1700:
            precision, scale = column.precision or 0, column.scale or 0
        elif code in (1042, 1043):
            precision, scale = (column.internal_size if (column.internal_size or 0) > 0 else MAX_VARCHAR), 0
        else:
            precision, scale = MAX_VARCHAR if code in TEXT_TYPES else 0, 0
        found.append(
            {
                "isCaseSensitive": code in TEXT_TYPES,
                "isCurrency": False,
                "isSigned": code in SIGNED,
                "label": column.name,
                "name": column.name,
                "nullable": 0 if (column.table_oid, column.table_column) in not_null else 1,
                "precision": precision,
                "scale": scale,
                "schemaName": table[0],
                "tableName": table[1],
                "typeName": type_name,
                "length": 0,
            }
        )
    return found


def describe_tables(cursor: Any, description: Any) -> tuple[dict[int, tuple[str, str]], set[tuple[int, int]]]:
    """The schema and table of each column that comes from a table, and its NOT NULL columns."""
    oids = sorted({int(c.table_oid) for c in description if c.table_oid})
    if not oids:
        return {}, set()
    cursor.execute(
        "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = ANY(%s::oid[])",
        (oids,),
    )
    tables = {int(oid): (schema, name) for oid, schema, name in cursor.fetchall()}
    cursor.execute(
        "SELECT attrelid, attnum FROM pg_attribute WHERE attrelid = ANY(%s::oid[]) AND attnotnull",
        (oids,),
    )
    return tables, {(int(oid), int(number)) for oid, number in cursor.fetchall()}


def text_size(row: tuple[Any, ...]) -> int:
    return sum(len(value) if isinstance(value, (str, bytes)) else 8 for value in row if value is not None)


def to_field(value: Any, type_code: int) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    if type_code == BOOL_TYPE:
        return {"booleanValue": bool(value)}
    if type_code in LONG_TYPES:
        return {"longValue": int(value)}
    if type_code in DOUBLE_TYPES:
        return {"doubleValue": float(value)}
    if type_code == BYTEA_TYPE:
        return {"blobValue": bytes(value)}
    if isinstance(value, (dict, list)):
        return {"stringValue": json.dumps(value)}
    return {"stringValue": str(value)}


def _page(statement_id: str, token: str | None, total: int, sizes: Any) -> tuple[int, int, str | None]:
    """(start, end, next token) of the page `token` asks for; pages hold about PAGE_BYTES."""
    fingerprint = hashlib.sha256(f"result {statement_id}".encode()).hexdigest()[:16]
    start = paging.decode(token, fingerprint, "ValidationException") if token else 0
    if start > total:
        raise AwsError("Invalid pagination token", code="ValidationException")
    end, used = start, 0
    while end < total:
        size = sizes(end)
        if end > start and used + size > PAGE_BYTES:
            break
        used, end = used + size, end + 1
    return start, end, paging.encode(end, fingerprint) if end < total else None


def json_page(statement_id: str, result: ResultSet, token: str | None) -> dict[str, Any]:
    """One page of GetStatementResult: typed records, the columns, the total row count."""
    records: dict[int, list[dict[str, Any]]] = {}

    def size(index: int) -> int:
        row = result.rows[index]
        records[index] = [to_field(v, t) for v, t in zip(row, result.type_codes, strict=True)]
        return text_size(row) + 16 * len(row)

    start, end, following = _page(statement_id, token, result.total, size)
    return {
        "Records": [records[i] for i in range(start, end)],
        "ColumnMetadata": result.columns,
        "TotalNumRows": result.total,
        "NextToken": following,
    }


def csv_page(statement_id: str, result: ResultSet, token: str | None) -> dict[str, Any]:
    """One page of GetStatementResultV2: CSV text (the header on the first page), the columns."""
    start, end, following = _page(statement_id, token, result.total, lambda i: text_size(result.rows[i]) + 8)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if start == 0:
        writer.writerow([column["name"] for column in result.columns])
    for row in result.rows[start:end]:
        writer.writerow(["" if value is None else _csv_text(value) for value in row])
    return {
        "Records": [{"CSVRecords": buffer.getvalue()}],
        "ColumnMetadata": result.columns,
        "TotalNumRows": result.total,
        "ResultFormat": "CSV",
        "NextToken": following,
    }


def _csv_text(value: Any) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value)
