"""Redshift Spectrum: external schemas over the Glue Data Catalog, read from S3 per statement.

`CREATE EXTERNAL SCHEMA s FROM DATA CATALOG DATABASE 'db' IAM_ROLE '...'` is recorded in the
warehouse. A statement that reads `s.t` gets, first, steps of the front's own in the same session:
a session temp table with the Glue table's columns (partition keys last), filled by COPY FROM STDIN
from the table's files (CSV, JSON, Parquet; every partition the catalog lists), and `s.t` is read
from that table. So external data joins local tables, inside the client's transaction, and every
statement sees the files as they are in S3 at that moment.
Spectrum reference: https://docs.aws.amazon.com/redshift/latest/dg/c-using-spectrum.html
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot.tokens import TokenType

from awstwin.endpoint.glue.catalog.formats import StorageFormat
from awstwin.redshift import dialect, s3io
from awstwin.redshift.context import SessionState
from awstwin.redshift.copy_from_s3 import Record, _csv_field, json_records, parquet_records, text_records
from awstwin.redshift.errors import FrontError
from awstwin.redshift.options import read_options
from awstwin.redshift.plan import Action, Plan, Step
from awstwin.redshift.translate import Edits, Statement, quote_literal, unquote_identifier
from awstwin.redshift.values import FieldError, FieldRules, TargetColumn, check

# ---- external schemas ------------------------------------------------------------------------------


def plan_create_external(statement: Statement, state: SessionState) -> Plan | None:
    """CREATE EXTERNAL SCHEMA [IF NOT EXISTS] s FROM DATA CATALOG DATABASE 'db' [IAM_ROLE ..] [REGION ..]."""
    if statement.word(2) != "SCHEMA":
        raise FrontError(
            "CREATE EXTERNAL TABLE is not supported by the local Redshift front: create the "
            "table in the Glue Data Catalog (crawler, CreateTable, Athena DDL)"
        )
    index = 3
    if_not_exists = statement.words(index, 3) == ["IF", "NOT", "EXISTS"]
    index += 3 if if_not_exists else 0
    name = unquote_identifier(statement.tokens[index])
    if statement.words(index + 1, 4) != ["FROM", "DATA", "CATALOG", "DATABASE"]:
        raise FrontError("only FROM DATA CATALOG external schemas are supported locally")
    database = statement.tokens[index + 5].text
    rest = index + 6
    create_db = False
    if statement.words(rest, 3) == ["CREATE", "EXTERNAL", "DATABASE"]:
        create_db, rest = True, rest + 6 if statement.word(rest + 3) == "IF" else rest + 3
    options = read_options(statement, rest) if rest < len(statement.tokens) else {}
    region = options.get("REGION")
    conflict = " ON CONFLICT (schemaname) DO NOTHING" if if_not_exists else ""
    role = str(options.get("IAM_ROLE", ""))
    esoptions = json.dumps({"IAM_ROLE": role})
    sql = (
        "INSERT INTO awstwin_redshift.external_schemas "
        "(schemaname, databasename, iam_role, region, esoptions) "
        f"VALUES ({quote_literal(name)}, {quote_literal(database)}, "
        f"{quote_literal(role)}, "
        f"{quote_literal(str(region)) if isinstance(region, str) else 'NULL'}, "
        f"{quote_literal(esoptions)}){conflict}"
    )
    return Plan(
        [Step(sql, tag="CREATE SCHEMA", action=SchemaChange(state, name, database, region, create_db))]
    )


def plan_drop_external(statement: Statement, state: SessionState) -> Plan | None:
    index = 2 + (2 if statement.words(2, 2) == ["IF", "EXISTS"] else 0)
    if index >= len(statement.tokens):
        return None
    name = unquote_identifier(statement.tokens[index])
    if name not in state.front.external_schemas(state.database):
        return None
    sql = f"DELETE FROM awstwin_redshift.external_schemas WHERE schemaname = {quote_literal(name)}"
    return Plan([Step(sql, tag="DROP SCHEMA", action=SchemaChange(state, name, None, None, False))])


@dataclass
class SchemaChange(Action):
    state: SessionState
    name: str
    database: str | None
    region: object
    create_database: bool

    def on_complete(self, tag: str) -> tuple[str, list[bytes]]:
        schemas = self.state.front._external.setdefault(self.state.database, {})  # noqa: SLF001
        if self.database is None:
            schemas.pop(self.name, None)
        else:
            schemas[self.name] = {"database": self.database, "region": self.region}
            if self.create_database:
                glue = self.state.front.glue(self.region if isinstance(self.region, str) else None)
                with contextlib.suppress(glue.exceptions.AlreadyExistsException):
                    glue.create_database(DatabaseInput={"Name": self.database})
        return tag, []


# ---- reading external tables ------------------------------------------------------------------------


def external_references(statement: Statement, edits: Edits, state: SessionState) -> list[Step]:
    """Steps that load each external table the statement reads; its references point at them."""
    schemas = state.front.external_schemas(state.database)
    steps: list[Step] = []
    loaded: dict[tuple[str, str], str] = {}
    tokens = statement.tokens
    for index, token in enumerate(tokens):
        if token.text.lower() in dialect.SYSTEM_VIEWS[-3:] and schemas:
            steps += (
                _catalog_refresh(state, schemas)
                if not any(s.visible is False and "external_tables" in s.sql for s in steps)
                else []
            )
            continue
        if statement.word(index + 1) != "." or statement.word(index - 1) == "." or index + 2 >= len(tokens):
            continue
        schema = unquote_identifier(token)
        if schema not in schemas or tokens[index + 2].token_type not in (TokenType.VAR, TokenType.IDENTIFIER):
            continue
        table = unquote_identifier(tokens[index + 2])
        key = (schema, table)
        if key not in loaded:
            loaded[key] = _temp_name(schema, table)
            steps += _load_steps(state, schemas[schema], schema, table, loaded[key])
        edits.replace(statement, index, index + 2, f"pg_temp.{loaded[key]}")
    return steps


def _temp_name(schema: str, table: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", f"awstwin_ext_{schema}__{table}".lower())[:63]
    return f'"{name}"'


def _glue_table(state: SessionState, info: dict, table: str) -> dict:
    glue = state.front.glue(info.get("region") if isinstance(info.get("region"), str) else None)
    try:
        return glue.get_table(DatabaseName=info["database"], Name=table)["Table"]
    except glue.exceptions.EntityNotFoundException:
        raise FrontError(f'relation "{table}" does not exist', "42P01") from None


def _pg_type(hive_type: str) -> str:
    base = hive_type.split("(")[0].strip().lower()
    if base in ("decimal", "varchar", "char") and "(" in hive_type:
        return ("numeric" if base == "decimal" else "varchar") + hive_type[len(base) :]
    return dialect.HIVE_TYPES.get(base, "varchar")


def _load_steps(state: SessionState, info: dict, schema: str, table: str, temp: str) -> list[Step]:
    glue_table = _glue_table(state, info, table)
    storage = StorageFormat.from_table(glue_table)
    columns = [*storage.columns, *storage.partition_keys]
    ddl = ", ".join(f'"{column.name.lower()}" {_pg_type(column.type)}' for column in columns)
    feed = ExternalFeed(state, info, glue_table, storage)
    return [
        Step(f"DROP TABLE IF EXISTS pg_temp.{temp}", visible=False, before_parse=True),
        Step(f"CREATE TEMP TABLE {temp} ({ddl})", visible=False, before_parse=True),
        Step(f"COPY pg_temp.{temp} FROM STDIN WITH (FORMAT csv)", visible=False, action=feed),
    ]


def _catalog_refresh(state: SessionState, schemas: dict[str, dict]) -> list[Step]:
    """svv_external_tables / _columns read a copy of the catalog, refreshed before the statement."""
    rows = []
    for schema, info in schemas.items():
        glue = state.front.glue(info.get("region") if isinstance(info.get("region"), str) else None)
        try:
            pages = glue.get_paginator("get_tables").paginate(DatabaseName=info["database"])
            tables = [table for page in pages for table in page["TableList"]]
        except Exception:  # noqa: BLE001 - a schema whose Glue database is gone lists no tables
            tables = []
        for table in tables:
            sd = table.get("StorageDescriptor") or {}
            columns = [
                {"name": c["Name"], "type": c.get("Type", "string"), "part_key": 0}
                for c in sd.get("Columns") or []
            ]
            keys = [
                {"name": c["Name"], "type": c.get("Type", "string"), "part_key": i}
                for i, c in enumerate(table.get("PartitionKeys") or [], start=1)
            ]
            values = [
                schema,
                table["Name"],
                sd.get("Location", ""),
                sd.get("InputFormat", ""),
                sd.get("OutputFormat", ""),
                (sd.get("SerdeInfo") or {}).get("SerializationLibrary", ""),
                json.dumps((sd.get("SerdeInfo") or {}).get("Parameters") or {}),
                int(bool(sd.get("Compressed"))),
                json.dumps(table.get("Parameters") or {}),
            ]
            literals = ", ".join(quote_literal(str(v)) if not isinstance(v, int) else str(v) for v in values)
            rows.append(
                f"({literals}, {quote_literal(json.dumps(columns))}::jsonb, "
                f"{quote_literal(json.dumps(keys))}::jsonb)"
            )
    steps = [Step("DELETE FROM awstwin_redshift.external_tables", visible=False)]
    if rows:
        steps.append(
            Step("INSERT INTO awstwin_redshift.external_tables VALUES " + ", ".join(rows), visible=False)
        )
    return steps


@dataclass
class ExternalFeed(Action):
    """Reads an external table's files (every partition) into its session table."""

    state: SessionState
    info: dict
    table: dict
    storage: StorageFormat
    feeds_copy = True

    def copy_chunks(self) -> Iterator[bytes]:
        s3 = self.state.front.s3(
            self.info.get("region") if isinstance(self.info.get("region"), str) else None
        )
        columns = [_target(c.name, c.type) for c in self.storage.columns]
        keys = [_target(c.name, c.type) for c in self.storage.partition_keys]
        rules = FieldRules(typed_source=self.storage.kind != "csv")
        buffer = io.StringIO()
        for location, values in self._locations():
            for url in s3io.list_keys(s3, s3io.S3Url.parse(location.rstrip("/") + "/")):
                if url.key.rsplit("/", 1)[-1].startswith(("_", ".")):
                    continue  # _SUCCESS, .crc: Spectrum skips hidden files too
                for record in self._records(s3, url, columns):
                    fields = list(record.fields[: len(columns)])
                    fields += [None] * (len(columns) - len(fields))
                    row = [_lenient(v, c, rules) for v, c in zip(fields, columns, strict=True)]
                    row += [_lenient(v, c, rules) for v, c in zip(values, keys, strict=True)]
                    buffer.write(",".join(_csv_field(v) for v in row) + "\n")
                if buffer.tell() > 1 << 20:
                    yield buffer.getvalue().encode()
                    buffer = io.StringIO()
        if buffer.tell():
            yield buffer.getvalue().encode()

    def _locations(self) -> list[tuple[str, list[str]]]:
        if not self.storage.partition_keys:
            return [(self.storage.location, [])]
        glue = self.state.front.glue(
            self.info.get("region") if isinstance(self.info.get("region"), str) else None
        )
        pages = glue.get_paginator("get_partitions").paginate(
            DatabaseName=self.info["database"], TableName=self.table["Name"]
        )
        return [
            ((partition.get("StorageDescriptor") or {}).get("Location", ""), partition["Values"])
            for page in pages
            for partition in page["Partitions"]
        ]

    def _records(self, s3, url: s3io.S3Url, columns: list[TargetColumn]) -> Iterator[Record]:
        compression = {"gzip": "GZIP", "bzip2": "BZIP2", "zstd": "ZSTD"}.get(self.storage.compression or "")
        if url.key.endswith(".gz"):
            compression = "GZIP"
        data = s3io.read(s3, url, compression)
        if self.storage.kind == "parquet":
            yield from _parquet_by_name(str(url), data, columns)
        elif self.storage.kind == "json":
            yield from json_records(str(url), data, columns, {"JSON": "auto ignorecase"}, s3)
        else:
            options: dict[str, object] = {
                "DELIMITER": self.storage.delimiter,
                "IGNOREHEADER": str(self.storage.skip_header_lines),
            }
            if self.storage.strips_quotes:
                options["CSV"], options["QUOTE"] = True, self.storage.quote_char or '"'
            options["NULL"] = self.storage.null_format or "\\N"
            yield from text_records(str(url), data, options)


def _parquet_by_name(filename: str, data: bytes, columns: list[TargetColumn]) -> Iterator[Record]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(data))
    by_name = {name.lower(): name for name in table.column_names}
    picked = [by_name.get(column.name.lower()) for column in columns]
    present = [name for name in picked if name is not None]
    out = io.BytesIO()
    pq.write_table(table.select(present), out)
    position = {name: i for i, name in enumerate(present)}
    for record in parquet_records(filename, out.getvalue(), len(present)):
        record.fields = [record.fields[position[name]] if name else None for name in picked]
        yield record


def _target(name: str, hive_type: str) -> TargetColumn:
    pg = _pg_type(hive_type)
    base = pg.split("(")[0]
    names = {
        "integer": "int4",
        "bigint": "int8",
        "smallint": "int2",
        "double precision": "float8",
        "real": "float4",
        "boolean": "bool",
        "numeric": "numeric",
        "date": "date",
        "timestamp": "timestamp",
    }
    return TargetColumn(name.lower(), names.get(base, "varchar"), pg, False, None, None)


def _lenient(value: str | None, column: TargetColumn, rules: FieldRules) -> str | None:
    """Spectrum reads a value that does not fit its column as NULL (no load errors for a query)."""
    if value is None or (value == "" and column.type_name != "varchar"):
        return None
    try:
        return check(value, column, rules)
    except FieldError:
        return None
