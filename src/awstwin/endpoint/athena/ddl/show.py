"""Athena DDL that reads the Glue catalog: SHOW ..., DESCRIBE, SHOW CREATE TABLE/VIEW."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlglot.tokens import TokenType

from awstwin.endpoint.athena import dialect, sources
from awstwin.endpoint.athena.ddl.catalog_access import CatalogAccess
from awstwin.endpoint.athena.ddl.tokens import (
    DdlResult,
    Tokens,
    semantic,
)
from awstwin.endpoint.glue.catalog.formats import (
    LAZY_SIMPLE_SERDE,
    TEXT_INPUT,
    TEXT_OUTPUT,
)

ALIGNMENT = 20  # Hive pads DESCRIBE's fields to this width


class ShowStatements(CatalogAccess):
    """Statements that describe what the catalog holds, as Athena prints them."""

    # -- SHOW ------------------------------------------------------------------------------------
    @staticmethod
    def _pattern(text: str | None) -> Callable[[str], bool]:
        if not text:
            return lambda _: True
        alternatives = [re.escape(p.strip()).replace(r"\*", ".*") for p in text.split("|")]
        compiled = re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)
        return lambda name: compiled.fullmatch(name) is not None

    def show_databases(self, t: Tokens) -> DdlResult:
        t.pos += 2
        pattern = (
            t.string()
            if (t.accept("LIKE") or (t.peek() and t.peek().token_type == TokenType.STRING))
            else None
        )
        t.end()
        match = self._pattern(pattern)
        names = sorted(d["Name"] for d in self._databases() if match(d["Name"]))
        return DdlResult(["database_name"], names)

    def _in_database(self, t: Tokens) -> str:
        if t.accept("IN") or t.accept("FROM"):
            return t.name().lower()
        return self.db

    def show_tables(self, t: Tokens) -> DdlResult:
        t.pos += 2
        database = self._in_database(t)
        t.accept("LIKE")
        pattern = t.string() if not t.done() else None
        t.end()
        match = self._pattern(pattern)
        names = sorted(x["Name"] for x in self._tables(database) if match(x["Name"]))
        return DdlResult(["tab_name"], names)

    def show_views(self, t: Tokens) -> DdlResult:
        t.pos += 2
        database = self._in_database(t)
        t.accept("LIKE")
        pattern = t.string() if not t.done() else None
        t.end()
        match = self._pattern(pattern)
        names = sorted(
            x["Name"]
            for x in self._tables(database)
            if x.get("TableType") == "VIRTUAL_VIEW" and match(x["Name"])
        )
        return DdlResult(["views"], names)

    def show_columns(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if not (t.accept("IN") or t.accept("FROM")):
            raise t.error("expecting IN or FROM")
        database, name = t.qualified(self.db)
        if t.accept("IN") or t.accept("FROM"):
            database = t.name().lower()
        t.end()
        table = self._table(database, name)
        columns = (table.get("StorageDescriptor") or {}).get("Columns") or []
        names = [c["Name"] for c in columns + (table.get("PartitionKeys") or [])]
        return DdlResult(["field"], [n.ljust(ALIGNMENT) for n in names])

    def show_partitions(self, t: Tokens) -> DdlResult:
        t.pos += 2
        database, name = t.qualified(self.db)
        t.end()
        table = self._table(database, name)
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        if not keys:
            raise semantic(f"Table {name} is not a partitioned table", 1003, 10241)
        specs = sorted(
            "/".join(f"{k}={v}" for k, v in zip(keys, p["Values"], strict=False))
            for p in sources.all_partitions(self.catalog, database, name)
        )
        return DdlResult(["partition"], specs)

    def show_tblproperties(self, t: Tokens) -> DdlResult:
        t.pos += 2
        database, name = t.qualified(self.db)
        wanted = None
        if t.accept("("):
            wanted = t.string()
            t.expect(")")
        t.end()
        table = self._table(database, name)
        params = dict(table.get("Parameters") or {})
        if wanted is not None:
            if wanted not in params:
                return DdlResult(
                    ["prpt_name", "prpt_value"], [f"Table {name} does not have property: {wanted}"]
                )
            return DdlResult(["prpt_name", "prpt_value"], [params[wanted]])
        return DdlResult(["prpt_name", "prpt_value"], [f"{k}\t{v}" for k, v in sorted(params.items())])

    def show_create_view(self, t: Tokens) -> DdlResult:
        t.pos += 3
        database, name = t.qualified(self.db)
        t.end()
        table = self._table(database, name)
        from awstwin.endpoint.athena.views import decode_view

        view = decode_view(table)
        if view is None:
            raise semantic(f"{database}.{name} is not a view", 1003)
        text = f'CREATE VIEW "{dialect.ENGINE_CATALOG}"."{database}"."{name}" AS\n{view["originalSql"]}'
        return DdlResult(["Create View"], text.splitlines())

    def show_create_table(self, t: Tokens) -> DdlResult:
        t.pos += 3
        database, name = t.qualified(self.db)
        t.end()
        table = self._table(database, name)
        return DdlResult(["createtab_stmt"], create_table_text(database, table))

    # -- DESCRIBE --------------------------------------------------------------------------------
    def describe(self, t: Tokens) -> DdlResult:
        t.pos += 1
        formatted = t.accept("FORMATTED") or t.accept("EXTENDED")
        database, name = t.qualified(self.db)
        column = t.name().lower() if not t.done() else None
        t.end()
        table = self._table(database, name)
        columns = list((table.get("StorageDescriptor") or {}).get("Columns") or [])
        keys = list(table.get("PartitionKeys") or [])
        if column is not None:
            chosen = [c for c in columns + keys if c["Name"].lower() == column]
            if not chosen:
                raise semantic(f"Invalid column reference {column}", 1006, 10002)
            return DdlResult(["col_name", "data_type", "comment"], [_described(chosen[0])])
        lines = [_described(c) for c in columns + keys]
        if keys:
            lines += ["", "# Partition Information", _row("# col_name", "data_type", "comment"), ""]
            lines += [_described(k) for k in keys]
        if formatted:
            lines += _detailed(database, table)
        return DdlResult(["col_name", "data_type", "comment"], lines)


def _row(*fields: str) -> str:
    return "\t".join(f.ljust(ALIGNMENT) for f in fields)


def _described(column: dict[str, Any]) -> str:
    return _row(column["Name"], column.get("Type", "string"), column.get("Comment", ""))


def _timestamp(value: Any) -> str:
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        return value.strftime("%a %b %d %H:%M:%S UTC %Y")
    return "UNKNOWN"


def _detailed(database: str, table: dict[str, Any]) -> list[str]:
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    lines = [
        "",
        "# Detailed Table Information",
        _row("Database:", database),
        _row("Owner:", table.get("Owner") or "hadoop"),
        _row("CreateTime:", _timestamp(table.get("CreateTime"))),
        _row("LastAccessTime:", "UNKNOWN"),
        _row("Retention:", str(table.get("Retention", 0))),
        _row("Location:", sd.get("Location", "")),
        _row("Table Type:", table.get("TableType", "EXTERNAL_TABLE")),
        "Table Parameters:",
    ]
    lines += ["\t" + _row(k, str(v)) for k, v in sorted((table.get("Parameters") or {}).items())]
    lines += [
        "",
        "# Storage Information",
        _row("SerDe Library:", serde.get("SerializationLibrary", "")),
        _row("InputFormat:", sd.get("InputFormat", "")),
        _row("OutputFormat:", sd.get("OutputFormat", "")),
        _row("Compressed:", "Yes" if sd.get("Compressed") else "No"),
        _row("Num Buckets:", str(sd.get("NumberOfBuckets", -1))),
        _row("Bucket Columns:", str(sd.get("BucketColumns") or [])),
        _row("Sort Columns:", str(sd.get("SortColumns") or [])),
        "Storage Desc Params:",
    ]
    lines += ["\t" + _row(k, _printable(v)) for k, v in sorted((serde.get("Parameters") or {}).items())]
    return lines


def _printable(value: str) -> str:
    return value.encode("unicode_escape").decode() if any(ord(c) < 32 for c in value) else value


def _hive_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + "".join(c if ord(c) >= 32 else f"\\{ord(c):03o}" for c in escaped) + "'"


def create_table_text(database: str, table: dict[str, Any]) -> list[str]:
    """SHOW CREATE TABLE: Hive's DDL for the table, which `CREATE EXTERNAL TABLE` accepts back."""
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}

    def column(c: dict[str, Any]) -> str:
        comment = f" COMMENT {_hive_string(c['Comment'])}" if c.get("Comment") else ""
        return f"  `{c['Name']}` {c.get('Type', 'string')}{comment}"

    lines = [f"CREATE EXTERNAL TABLE `{database}`.`{table['Name']}`("]
    columns = [column(c) for c in sd.get("Columns") or []]
    lines += [c + "," for c in columns[:-1]] + [columns[-1] + ")"] if columns else [")"]
    params = dict(table.get("Parameters") or {})
    if params.get("comment"):
        lines.append(f"COMMENT {_hive_string(params['comment'])}")
    keys = [column(k) for k in table.get("PartitionKeys") or []]
    if keys:
        lines.append("PARTITIONED BY ( ")
        lines += [k + "," for k in keys[:-1]] + [keys[-1] + ")"]
    lines += [
        "ROW FORMAT SERDE ",
        f"  {_hive_string(serde.get('SerializationLibrary') or LAZY_SIMPLE_SERDE)} ",
    ]
    serde_params = serde.get("Parameters") or {}
    if serde_params:
        lines.append("WITH SERDEPROPERTIES ( ")
        items = [f"  {_hive_string(k)}={_hive_string(v)}" for k, v in sorted(serde_params.items())]
        lines += [i + ", " for i in items[:-1]] + [items[-1] + ") "]
    lines += [
        "STORED AS INPUTFORMAT ",
        f"  {_hive_string(sd.get('InputFormat') or TEXT_INPUT)} ",
        "OUTPUTFORMAT ",
        f"  {_hive_string(sd.get('OutputFormat') or TEXT_OUTPUT)}",
        "LOCATION",
        f"  {_hive_string(sd.get('Location', ''))}",
    ]
    shown = {k: v for k, v in sorted(params.items()) if k not in ("EXTERNAL", "comment")}
    if shown:
        lines.append("TBLPROPERTIES (")
        items = [f"  {_hive_string(k)}={_hive_string(v)}" for k, v in shown.items()]
        lines += [i + ", " for i in items[:-1]] + [items[-1] + ")"]
    return lines
