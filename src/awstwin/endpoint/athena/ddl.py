"""Athena's Hive DDL: statements that read or change the Glue catalog, through its own API.

CREATE/DROP DATABASE, CREATE EXTERNAL TABLE, DROP TABLE/VIEW, ALTER TABLE (partitions, location,
properties, columns), MSCK REPAIR TABLE, SHOW ..., DESCRIBE. Each returns the text lines Athena
writes to `<id>.txt` and the names of its result columns. Failures read as Athena reports Hive DDL
failures (`FAILED: SemanticException [Error 10001]: Table not found db.t`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlglot.dialects.hive import Hive
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from awstwin.endpoint.athena import dialect, sources
from awstwin.endpoint.athena.dialect import HiveTypeError, parse_hive_type
from awstwin.endpoint.athena.exceptions import QueryFailed
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.formats import (
    HIVE_JSON_SERDE,
    LAZY_SIMPLE_SERDE,
    PARQUET_INPUT,
    PARQUET_OUTPUT,
    PARQUET_SERDE,
    TEXT_INPUT,
    TEXT_OUTPUT,
)
from awstwin.endpoint.s3access import S3Access, parse_s3_uri

# STORED AS <name> -> (InputFormat, OutputFormat, default SerDe), as Hive defines them
STORED_AS: dict[str, tuple[str, str, str]] = {
    "TEXTFILE": (TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE_SERDE),
    "PARQUET": (PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE),
    "JSONFILE": (TEXT_INPUT, TEXT_OUTPUT, HIVE_JSON_SERDE),
    "JSON": (TEXT_INPUT, TEXT_OUTPUT, HIVE_JSON_SERDE),
    "ORC": (
        "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    ),
    "AVRO": (
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
    ),
    "SEQUENCEFILE": (
        "org.apache.hadoop.mapred.SequenceFileInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
        LAZY_SIMPLE_SERDE,
    ),
}
# ROW FORMAT DELIMITED clauses -> LazySimpleSerDe parameters
DELIMITED_CLAUSES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("FIELDS", "TERMINATED", "BY"): ("field.delim", "serialization.format"),
    ("ESCAPED", "BY"): ("escape.delim",),
    ("COLLECTION", "ITEMS", "TERMINATED", "BY"): ("collection.delim",),
    ("MAP", "KEYS", "TERMINATED", "BY"): ("mapkey.delim",),
    ("LINES", "TERMINATED", "BY"): ("line.delim",),
    ("NULL", "DEFINED", "AS"): ("serialization.null.format",),
}
# Glue Table keys that a TableInput (UpdateTable) accepts
TABLE_INPUT_KEYS = (
    "Name",
    "Description",
    "Owner",
    "LastAccessTime",
    "LastAnalyzedTime",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "TargetTable",
)
ALIGNMENT = 20  # Hive pads DESCRIBE's fields to this width


def semantic(message: str, error_type: int = 1003, code: int | None = None) -> QueryFailed:
    prefix = f"[Error {code}]: " if code else ""
    return QueryFailed("", f"FAILED: SemanticException {prefix}{message}", error_type)


def ddl_task(message: str) -> QueryFailed:
    return QueryFailed(
        "",
        f"FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. {message}",
        1003,
    )


def table_not_found(database: str, name: str) -> QueryFailed:
    return semantic(f"Table not found {database}.{name}", 1301, 10001)


def database_not_found(database: str) -> QueryFailed:
    return semantic(f"Database does not exist: {database}", 1301, 10072)


@dataclass
class DdlResult:
    """What a DDL statement returns: its output lines (`<id>.txt`) and result column names."""

    columns: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------------


class _Tokenizer(Hive.Tokenizer):
    COMMANDS: set[TokenType] = set()  # sqlglot swallows the rest of SHOW/EXECUTE as one string


def _split_words(tokens: list[Token]) -> list[Token]:
    """Multi-word keyword tokens (`MSCK REPAIR`) become one token per word."""
    out = []
    for token in tokens:
        if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER) or " " not in token.text.strip():
            out.append(token)
            continue
        offset = token.start
        for word in token.text.split():
            start = token.start + token.text.index(word, offset - token.start)
            out.append(Token(TokenType.VAR, word, token.line, token.col, start, start + len(word) - 1))
            offset = start + len(word)
    return out


class Tokens:
    """A cursor over Hive tokens with the few moves a DDL parser needs."""

    def __init__(self, sql: str):
        self.sql = sql
        try:
            tokens = _split_words(list(_Tokenizer(dialect=Hive()).tokenize(sql)))
        except TokenError as exc:
            raise QueryFailed("", f"FAILED: ParseException line 1:0 {exc}", 1006) from None
        while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
            tokens.pop()
        self.tokens: list[Token] = tokens
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def word(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        if token is None or token.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            return ""
        return token.text.upper()

    def at(self, *words: str) -> bool:
        return all(self.word(i) == w for i, w in enumerate(words))

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.pos += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(f"expecting {' '.join(words)}")

    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    def end(self) -> None:
        if not self.done():
            raise self.error("extraneous input")

    def error(self, what: str) -> QueryFailed:
        token = self.peek()
        if token is None:
            line, col, near = self.sql.count("\n") + 1, len(self.sql.rsplit("\n", 1)[-1]), "<EOF>"
        else:
            line = token.line
            col = token.start - (self.sql.rfind("\n", 0, token.start) + 1)
            near = token.text
        return QueryFailed("", f"FAILED: ParseException line {line}:{col} {what} near '{near}'", 1006)

    def string(self) -> str:
        token = self.peek()
        if token is None or token.token_type != TokenType.STRING:
            raise self.error("expecting a quoted string")
        parts = []
        while (token := self.peek()) is not None and token.token_type == TokenType.STRING:
            parts.append(token.text)
            self.pos += 1
        return "".join(parts)

    def name(self) -> str:
        token = self.peek()
        if token is None or token.token_type == TokenType.STRING or not re.match(r"[\w$]", token.text or "_"):
            raise self.error("expecting a name")
        self.pos += 1
        return token.text

    def qualified(self, default_db: str) -> tuple[str, str]:
        """`db.t`, `t`, or Athena's backquoted `` `db.t` ``, lower-cased."""
        first = self.name()
        if self.word() == ".":
            self.pos += 1
            return first.lower(), self.name().lower()
        if "." in first:
            db, _, name = first.partition(".")
            return db.lower(), name.lower()
        return default_db.lower(), first.lower()

    def raw_until(self, stops: set[str], close_depth: int = 0) -> str:
        """The original text of the tokens up to a top-level comma or stop word (a column type)."""
        start = self.peek()
        depth = 0
        last = None
        while (token := self.peek()) is not None:
            text = token.text.upper() if token.token_type != TokenType.STRING else ""
            if depth == 0 and (text in stops or text == "," or (text == ")" and depth == close_depth)):
                break
            if text in ("<", "("):
                depth += 1
            elif text in (">", ")"):
                depth -= 1
            elif text in (">>",):
                depth -= 2
            last = token
            self.pos += 1
        if start is None or last is None:
            raise self.error("expecting a type")
        return self.sql[start.start : last.end + 1]

    def properties(self) -> dict[str, str]:
        """`('k'='v', ...)`."""
        self.expect("(")
        values: dict[str, str] = {}
        while not self.accept(")"):
            key = self.string()
            self.expect("=")
            values[key] = self.string()
            if not self.accept(","):
                self.expect(")")
                break
        return values


# ---------------------------------------------------------------------------------------------------
# The statements
# ---------------------------------------------------------------------------------------------------


class DdlRunner:
    """Runs one DDL statement against the catalog backend (the same object Glue serves)."""

    def __init__(self, catalog: Any, s3: S3Access, context_db: str):
        self.catalog = catalog
        self.s3 = s3
        self.db = context_db or dialect.DEFAULT_DATABASE

    def run(self, sql: str) -> DdlResult:
        tokens = Tokens(sql)
        for prefix, handler in self._handlers():
            if tokens.at(*prefix):
                return handler(tokens)
        raise tokens.error("cannot recognize input")

    def _handlers(self) -> list[tuple[tuple[str, ...], Callable[[Tokens], DdlResult]]]:
        return [
            (("CREATE", "DATABASE"), self.create_database),
            (("CREATE", "SCHEMA"), self.create_database),
            (("CREATE", "EXTERNAL", "TABLE"), self.create_table),
            (("CREATE", "TABLE"), self.create_table),
            (("DROP", "DATABASE"), self.drop_database),
            (("DROP", "SCHEMA"), self.drop_database),
            (("DROP", "TABLE"), self.drop_table),
            (("DROP", "VIEW"), self.drop_view),
            (("ALTER", "TABLE"), self.alter_table),
            (("MSCK", "REPAIR", "TABLE"), self.msck_repair),
            (("SHOW", "DATABASES"), self.show_databases),
            (("SHOW", "SCHEMAS"), self.show_databases),
            (("SHOW", "TABLES"), self.show_tables),
            (("SHOW", "VIEWS"), self.show_views),
            (("SHOW", "COLUMNS"), self.show_columns),
            (("SHOW", "PARTITIONS"), self.show_partitions),
            (("SHOW", "CREATE", "TABLE"), self.show_create_table),
            (("SHOW", "CREATE", "VIEW"), self.show_create_view),
            (("SHOW", "TBLPROPERTIES"), self.show_tblproperties),
            (("DESCRIBE",), self.describe),
            (("DESC",), self.describe),
        ]

    # -- catalog helpers -------------------------------------------------------------------------
    def _database_exists(self, name: str) -> bool:
        try:
            self.catalog.get_database(Name=name)
            return True
        except AwsError:
            return False

    def _table(self, database: str, name: str) -> dict[str, Any]:
        if not self._database_exists(database):
            raise database_not_found(database)
        try:
            return self.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            raise table_not_found(database, name) from None

    def _tables(self, database: str) -> list[dict[str, Any]]:
        if not self._database_exists(database):
            raise database_not_found(database)
        return list(self.catalog.get_tables(DatabaseName=database).get("TableList") or [])

    def _databases(self) -> list[dict[str, Any]]:
        return list(self.catalog.get_databases().get("DatabaseList") or [])

    def _update_table(self, database: str, table: dict[str, Any]) -> None:
        table_input = {k: table[k] for k in TABLE_INPUT_KEYS if table.get(k) is not None}
        self.catalog.update_table(DatabaseName=database, TableInput=table_input)

    # -- databases -------------------------------------------------------------------------------
    def create_database(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_not_exists = t.accept("IF", "NOT", "EXISTS")
        name = t.name().lower()
        database: dict[str, Any] = {"Name": name, "Parameters": {}}
        while not t.done():
            if t.accept("COMMENT"):
                database["Description"] = t.string()
            elif t.accept("LOCATION"):
                database["LocationUri"] = t.string()
            elif t.accept("WITH", "DBPROPERTIES"):
                database["Parameters"] = t.properties()
            else:
                raise t.error("extraneous input")
        if self._database_exists(name):
            if if_not_exists:
                return DdlResult()
            raise ddl_task(f"Database {name} already exists")
        self.catalog.create_database(DatabaseInput=database)
        return DdlResult()

    def drop_database(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_exists = t.accept("IF", "EXISTS")
        name = t.name().lower()
        cascade = t.accept("CASCADE")
        t.accept("RESTRICT")
        t.end()
        if not self._database_exists(name):
            if if_exists:
                return DdlResult()
            raise database_not_found(name)
        if not cascade and self._tables(name):
            raise ddl_task(
                f"InvalidOperationException(message:Database {name} is not empty. One or more tables exist.)"
            )
        self.catalog.delete_database(Name=name)
        return DdlResult()

    # -- tables ----------------------------------------------------------------------------------
    def _columns(self, t: Tokens) -> list[dict[str, Any]]:
        t.expect("(")
        columns = []
        while True:
            name = t.name().strip("`").lower()
            raw = t.raw_until({"COMMENT"})
            try:
                column_type = parse_hive_type(raw).hive()
            except HiveTypeError as exc:
                raise QueryFailed("", f"FAILED: ParseException {exc}", 1006) from None
            column: dict[str, Any] = {"Name": name, "Type": column_type}
            if t.accept("COMMENT"):
                column["Comment"] = t.string()
            columns.append(column)
            if t.accept(")"):
                return columns
            t.expect(",")

    def create_table(self, t: Tokens) -> DdlResult:
        t.expect("CREATE")
        external = t.accept("EXTERNAL")
        t.expect("TABLE")
        if_not_exists = t.accept("IF", "NOT", "EXISTS")
        database, name = t.qualified(self.db)
        columns = self._columns(t) if t.at("(") else []
        params: dict[str, str] = {}
        serde = {"SerializationLibrary": None, "Parameters": {}}
        stored: tuple[str, str, str] | None = None
        partition_keys: list[dict[str, Any]] = []
        location = None
        comment = None
        while not t.done():
            if t.accept("COMMENT"):
                comment = t.string()
            elif t.accept("PARTITIONED", "BY"):
                partition_keys = self._columns(t)
            elif t.accept("CLUSTERED", "BY"):
                t.raw_until({"INTO"})
                t.expect("INTO")
                t.pos += 1
                t.expect("BUCKETS")
            elif t.accept("ROW", "FORMAT", "DELIMITED"):
                serde["SerializationLibrary"] = LAZY_SIMPLE_SERDE
                serde["Parameters"].update(self._delimited(t))
            elif t.accept("ROW", "FORMAT", "SERDE"):
                serde["SerializationLibrary"] = t.string()
                if t.accept("WITH", "SERDEPROPERTIES"):
                    serde["Parameters"].update(t.properties())
            elif t.accept("STORED", "AS", "INPUTFORMAT"):
                input_format = t.string()
                t.expect("OUTPUTFORMAT")
                stored = (input_format, t.string(), "")
            elif t.accept("STORED", "AS"):
                kind = t.name().upper()
                if kind not in STORED_AS:
                    raise t.error(f"unknown file format {kind}")
                stored = STORED_AS[kind]
            elif t.accept("LOCATION"):
                location = t.string()
            elif t.accept("TBLPROPERTIES"):
                params.update(t.properties())
            else:
                raise t.error("extraneous input")
        if not external:
            raise semantic(
                "Only EXTERNAL tables are supported: use CREATE EXTERNAL TABLE ... LOCATION 's3://...' "
                "(or CREATE TABLE ... AS SELECT to write a new table)",
                1200,
            )
        if not columns:
            raise t.error("a table needs at least one column")
        if not self._database_exists(database):
            raise database_not_found(database)
        try:
            self.catalog.get_table(DatabaseName=database, Name=name)
            exists = True
        except AwsError:
            exists = False
        if exists:
            if if_not_exists:
                return DdlResult()
            raise ddl_task(f"AlreadyExistsException(message:Table {name} already exists.)")
        input_format, output_format, default_serde = stored or STORED_AS["TEXTFILE"]
        if serde["SerializationLibrary"] is None:
            serde["SerializationLibrary"] = default_serde or LAZY_SIMPLE_SERDE
            if serde["SerializationLibrary"] == LAZY_SIMPLE_SERDE and not serde["Parameters"]:
                serde["Parameters"] = {"serialization.format": "1"}
        if location is None:
            raise semantic(f"Table {database}.{name} needs a LOCATION 's3://bucket/folder/' for its data")
        table_params = {"EXTERNAL": "TRUE", **params}
        if comment is not None:
            table_params["comment"] = comment
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": table_params,
            "PartitionKeys": partition_keys,
            "Retention": 0,
            "StorageDescriptor": {
                "Columns": columns,
                "Location": location,
                "InputFormat": input_format,
                "OutputFormat": output_format,
                "Compressed": False,
                "NumberOfBuckets": -1,
                "SerdeInfo": serde,
                "BucketColumns": [],
                "SortColumns": [],
                "Parameters": {},
                "StoredAsSubDirectories": False,
            },
        }
        if comment is not None:
            table_input["Description"] = comment
        self.catalog.create_table(DatabaseName=database, TableInput=table_input)
        return DdlResult()

    def _delimited(self, t: Tokens) -> dict[str, str]:
        values: dict[str, str] = {}
        while True:
            for words, keys in DELIMITED_CLAUSES.items():
                if t.accept(*words):
                    value = t.string()
                    for key in keys:
                        values[key] = value
                    break
            else:
                return values

    def drop_table(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_exists = t.accept("IF", "EXISTS")
        database, name = t.qualified(self.db)
        t.accept("PURGE")
        t.end()
        try:
            table = self._table(database, name)
        except QueryFailed:
            if if_exists:
                return DdlResult()
            raise
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise semantic("Cannot drop a view with DROP TABLE; use DROP VIEW", 1003, 10131)
        self.catalog.delete_table(DatabaseName=database, Name=name)
        return DdlResult()

    def drop_view(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_exists = t.accept("IF", "EXISTS")
        database, name = t.qualified(self.db)
        t.end()
        try:
            table = self.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            table = None
        if table is None or table.get("TableType") != "VIRTUAL_VIEW":
            if if_exists:
                return DdlResult()
            raise QueryFailed(
                "TABLE_NOT_FOUND",
                f"line 1:1: View '{dialect.ENGINE_CATALOG}.{database}.{name}' does not exist",
                1301,
            )
        self.catalog.delete_table(DatabaseName=database, Name=name)
        return DdlResult()

    # -- ALTER TABLE -----------------------------------------------------------------------------
    def alter_table(self, t: Tokens) -> DdlResult:
        t.pos += 2
        database, name = t.qualified(self.db)
        table = self._table(database, name)
        if t.accept("ADD"):
            if t.accept("COLUMNS"):
                return self._add_columns(t, database, table, replace=False)
            return self._add_partitions(t, database, table)
        if t.accept("REPLACE", "COLUMNS"):
            return self._add_columns(t, database, table, replace=True)
        if t.accept("DROP"):
            return self._drop_partitions(t, database, table)
        if t.accept("SET", "TBLPROPERTIES"):
            table.setdefault("Parameters", {}).update(t.properties())
            t.end()
            self._update_table(database, table)
            return DdlResult()
        if t.accept("SET", "LOCATION"):
            table["StorageDescriptor"]["Location"] = t.string()
            t.end()
            self._update_table(database, table)
            return DdlResult()
        if t.at("PARTITION"):
            return self._partition_set_location(t, database, table)
        raise semantic(
            "This ALTER TABLE form is not supported locally; supported: ADD/DROP PARTITION, ADD/REPLACE "
            "COLUMNS, SET LOCATION, SET TBLPROPERTIES",
            1200,
        )

    def _add_columns(self, t: Tokens, database: str, table: dict[str, Any], replace: bool) -> DdlResult:
        columns = self._columns(t)
        t.end()
        sd = table["StorageDescriptor"]
        existing = [] if replace else list(sd.get("Columns") or [])
        names = {c["Name"] for c in existing} | {k["Name"] for k in table.get("PartitionKeys") or []}
        for column in columns:
            if column["Name"] in names:
                raise semantic(f"Duplicate column name: {column['Name']}", 1003, 10036)
            existing.append(column)
        sd["Columns"] = existing
        self._update_table(database, table)
        return DdlResult()

    def _partition_spec(
        self, t: Tokens, table: dict[str, Any], operators: bool = False
    ) -> list[tuple[str, str, str]]:
        """`PARTITION (k='v', k2=3)` -> [(key, op, value)] in the order written."""
        t.expect("PARTITION")
        t.expect("(")
        spec = []
        keys = {k["Name"].lower() for k in table.get("PartitionKeys") or []}
        while True:
            key = t.name().strip("`").lower()
            if key not in keys:
                raise semantic(
                    f"Partition spec is invalid; field {key} does not exist or is empty", 1003, 10006
                )
            op = t.word()
            if op not in ("=", "<", ">", "<=", ">=", "<>", "!=") or (op != "=" and not operators):
                raise t.error("expecting =")
            t.pos += 1
            token = t.peek()
            value = t.string() if token is not None and token.token_type == TokenType.STRING else t.name()
            spec.append((key, op, value))
            if t.accept(")"):
                return spec
            t.expect(",")

    def _ordered_values(self, spec: list[tuple[str, str, str]], table: dict[str, Any]) -> list[str]:
        given = {k: v for k, _, v in spec}
        keys = [k["Name"].lower() for k in table.get("PartitionKeys") or []]
        missing = [k for k in keys if k not in given]
        if missing:
            shown = ", ".join(f"{k}={v}" for k, v in given.items())
            raise QueryFailed(
                "",
                f"FAILED: ValidationFailureSemanticException partition spec {{{shown}}} doesn't contain all "
                f"({len(keys)}) partition columns",
                1003,
            )
        return [given[k] for k in keys]

    def _add_partitions(self, t: Tokens, database: str, table: dict[str, Any]) -> DdlResult:
        if not table.get("PartitionKeys"):
            raise semantic(f"Table {table['Name']} is not a partitioned table", 1003, 10241)
        if_not_exists = t.accept("IF", "NOT", "EXISTS")
        keys = [k["Name"] for k in table["PartitionKeys"]]
        inputs = []
        while t.at("PARTITION"):
            values = self._ordered_values(self._partition_spec(t, table), table)
            location = t.string() if t.accept("LOCATION") else None
            location = location or sources.partition_location(
                table["StorageDescriptor"]["Location"], keys, values
            )
            inputs.append(self._partition_input(table, values, location))
        t.end()
        if not inputs:
            raise t.error("expecting PARTITION")
        existing = {tuple(p["Values"]) for p in sources.all_partitions(self.catalog, database, table["Name"])}
        fresh = [p for p in inputs if tuple(p["Values"]) not in existing]
        if len(fresh) != len(inputs) and not if_not_exists:
            dup = next(p for p in inputs if tuple(p["Values"]) in existing)
            raise ddl_task(
                f"AlreadyExistsException(message:Partition already exists: {table['Name']} {dup['Values']})"
            )
        if fresh:
            self.catalog.batch_create_partition(
                DatabaseName=database, TableName=table["Name"], PartitionInputList=fresh
            )
        return DdlResult()

    @staticmethod
    def _partition_input(table: dict[str, Any], values: list[str], location: str) -> dict[str, Any]:
        sd = {k: v for k, v in table["StorageDescriptor"].items() if k != "Location"}
        sd["Location"] = location
        return {"Values": values, "StorageDescriptor": sd, "Parameters": {}}

    def _drop_partitions(self, t: Tokens, database: str, table: dict[str, Any]) -> DdlResult:
        if_exists = t.accept("IF", "EXISTS")
        specs = [self._partition_spec(t, table, operators=True)]
        while t.accept(","):
            specs.append(self._partition_spec(t, table, operators=True))
        t.accept("PURGE")
        t.end()
        keys = [k["Name"].lower() for k in table.get("PartitionKeys") or []]
        key_types = {k["Name"].lower(): k.get("Type", "string") for k in table.get("PartitionKeys") or []}
        partitions = sources.all_partitions(self.catalog, database, table["Name"])
        doomed = []
        for spec in specs:
            matched = [p for p in partitions if _matches(p["Values"], spec, keys, key_types)]
            if not matched and not if_exists:
                shown = ", ".join(f"{k}{op}{v}" for k, op, v in spec)
                raise semantic(f"No partition is dropped: no partition matches {{{shown}}}", 1301, 10006)
            doomed.extend(m for m in matched if m not in doomed)
        if doomed:
            self.catalog.batch_delete_partition(
                DatabaseName=database,
                TableName=table["Name"],
                PartitionsToDelete=[{"Values": p["Values"]} for p in doomed],
            )
        return DdlResult()

    def _partition_set_location(self, t: Tokens, database: str, table: dict[str, Any]) -> DdlResult:
        values = self._ordered_values(self._partition_spec(t, table), table)
        t.expect("SET", "LOCATION")
        location = t.string()
        t.end()
        try:
            partition = self.catalog.get_partition(
                DatabaseName=database, TableName=table["Name"], PartitionValues=values
            )["Partition"]
        except AwsError:
            raise semantic(f"Partition not found {values}", 1301, 10006) from None
        partition["StorageDescriptor"]["Location"] = location
        self.catalog.update_partition(
            DatabaseName=database,
            TableName=table["Name"],
            PartitionValueList=values,
            PartitionInput={
                k: partition[k] for k in ("Values", "StorageDescriptor", "Parameters") if k in partition
            },
        )
        return DdlResult()

    # -- MSCK REPAIR TABLE -----------------------------------------------------------------------
    def msck_repair(self, t: Tokens) -> DdlResult:
        t.pos += 3
        database, name = t.qualified(self.db)
        t.end()
        table = self._table(database, name)
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        if not keys:
            return DdlResult(["msck_result"], [])
        location = table["StorageDescriptor"]["Location"]
        bucket, prefix = parse_s3_uri(location)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        found: dict[tuple[str, ...], str] = {}
        if self.s3.bucket_exists(bucket):
            for obj in self.s3.list_objects(bucket, prefix):
                relative = obj.key[len(prefix) :]
                values = sources.parse_partition_path(relative, keys)
                if values is None or sources._is_hidden(relative.split("/")[-1]):
                    continue
                folder = "/".join(relative.split("/")[: len(keys)])
                found.setdefault(tuple(values), f"{location.rstrip('/')}/{folder}/")
        existing = {tuple(p["Values"]) for p in sources.all_partitions(self.catalog, database, name)}
        missing = sorted(v for v in found if v not in existing)
        if not missing:
            return DdlResult(["msck_result"], [])
        spec = ["/".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)) for values in missing]
        self.catalog.batch_create_partition(
            DatabaseName=database,
            TableName=name,
            PartitionInputList=[self._partition_input(table, list(v), found[v]) for v in missing],
        )
        lines = ["Partitions not in metastore:\t" + "\t".join(f"{name}:{s}" for s in spec)]
        lines += [f"Repair: Added partition to metastore {name}:{s}" for s in spec]
        return DdlResult(["msck_result"], lines)

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


def _matches(
    values: list[str], spec: list[tuple[str, str, str]], keys: list[str], types: dict[str, str]
) -> bool:
    compare = {
        "=": lambda a, b: a == b,
        "<>": lambda a, b: a != b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }
    for key, op, wanted in spec:
        value = values[keys.index(key)]
        if re.match(r"^(tinyint|smallint|int|integer|bigint)$", types.get(key, "")):
            try:
                left, right = int(value), int(wanted)
            except ValueError:
                left, right = value, wanted  # type: ignore[assignment]
        else:
            left, right = value, wanted  # type: ignore[assignment]
        if not compare[op](left, right):
            return False
    return True


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
