"""Every difference between Athena (Trino SQL over Hive tables) and DuckDB, as data tables.

- Hive/Glue column types -> DuckDB types (`HIVE_SCALARS`, `parse_hive_type`)
- how text SerDes turn a field into a typed value (`LAZY_TEXT_PARSERS`, `OPEN_CSV_PARSERS`)
- DuckDB result types -> Athena's result type names, precision and scale (`ATHENA_RESULT_TYPES`)
- DuckDB types -> Glue column types for tables Athena creates (`DUCKDB_TO_HIVE`)
- Trino functions DuckDB lacks, as DuckDB macros (`MACROS`)
- DuckDB error messages -> Athena's error names, messages and ErrorType codes (`ERROR_RULES`)
- statement kinds -> StatementType / SubstatementType (`STATEMENTS`)
A reader finds every dialect difference here; the modules that use them hold no such branches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CATALOG_NAME = "AwsDataCatalog"  # as the Athena API names the Glue catalog
ENGINE_CATALOG = "awsdatacatalog"  # as SQL and error messages name it
DEFAULT_DATABASE = "default"
# DuckDB reserves `information_schema` in every catalog: Athena's is created under this schema name
INFORMATION_SCHEMA = "information_schema"
INFORMATION_SCHEMA_IN_DUCKDB = "__athena_information_schema"
ENGINE_VERSION = {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}

# ---------------------------------------------------------------------------------------------------
# Hive / Glue column types
# ---------------------------------------------------------------------------------------------------

# Hive scalar type name -> DuckDB type ("DECIMAL" gets its precision and scale from the type)
HIVE_SCALARS: dict[str, str] = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "real": "FLOAT",
    "double": "DOUBLE",
    "decimal": "DECIMAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "binary": "BLOB",
    "varbinary": "BLOB",
}
HIVE_DEFAULT_DECIMAL = (10, 0)

# Hive scalar name -> the Trino name Athena shows for it
HIVE_TO_PRESTO: dict[str, str] = {
    "string": "varchar",
    "int": "integer",
    "float": "real",
    "binary": "varbinary",
    "timestamp": "timestamp(3)",
}

# Presto/Trino spellings Glue holds for views -> the Hive name
PRESTO_ALIASES: dict[str, str] = {"integer": "int", "real": "float", "varbinary": "binary", "row": "struct"}


@dataclass(frozen=True)
class HiveType:
    """A parsed Glue column type: a scalar (with optional arguments) or array/map/struct."""

    name: str
    args: tuple[int, ...] = ()
    children: tuple[HiveType, ...] = ()
    fields: tuple[tuple[str, HiveType], ...] = field(default=())

    @property
    def is_scalar(self) -> bool:
        return self.name not in ("array", "map", "struct")

    def duckdb(self) -> str:
        if self.name == "array":
            return f"{self.children[0].duckdb()}[]"
        if self.name == "map":
            return f"MAP({self.children[0].duckdb()}, {self.children[1].duckdb()})"
        if self.name == "struct":
            inner = ", ".join(f"{quote_identifier(n)} {t.duckdb()}" for n, t in self.fields)
            return f"STRUCT({inner})"
        base = HIVE_SCALARS[self.name]
        if base == "DECIMAL":
            precision, scale = (self.args + HIVE_DEFAULT_DECIMAL[len(self.args) :])[:2]
            return f"DECIMAL({precision},{scale})"
        return base

    def presto(self) -> str:
        """The Trino spelling (information_schema, view columns): `array(varchar)`, `row(a integer)`."""
        if self.name == "array":
            return f"array({self.children[0].presto()})"
        if self.name == "map":
            return f"map({self.children[0].presto()}, {self.children[1].presto()})"
        if self.name == "struct":
            return "row(" + ", ".join(f"{n} {t.presto()}" for n, t in self.fields) + ")"
        name = HIVE_TO_PRESTO.get(self.name, self.name)
        return name + (f"({','.join(map(str, self.args))})" if self.args else "")

    def hive(self) -> str:
        """The canonical Glue spelling: lower case, no spaces (`array<struct<a:int>>`)."""
        if self.name == "array":
            return f"array<{self.children[0].hive()}>"
        if self.name == "map":
            return f"map<{self.children[0].hive()},{self.children[1].hive()}>"
        if self.name == "struct":
            return "struct<" + ",".join(f"{n}:{t.hive()}" for n, t in self.fields) + ">"
        return self.name + (f"({','.join(map(str, self.args))})" if self.args else "")


_TYPE_TOKEN = re.compile(r"\s*(`[^`]*`|[A-Za-z_][A-Za-z0-9_ ]*?(?=\s*[<>(),:]|\s*$)|\d+|[<>(),:])")


class HiveTypeError(ValueError):
    pass


def parse_hive_type(text: str) -> HiveType:
    """Parse `bigint`, `decimal(10,2)`, `array<struct<a:int,b:string>>` (or Presto's `array(varchar)`)."""
    tokens = [t for t in _TYPE_TOKEN.findall(text.strip())]
    if "".join(tokens).replace(" ", "") != re.sub(r"\s+", "", text):
        raise HiveTypeError(f"cannot parse type {text!r}")
    parser = _TypeParser(tokens, text)
    result = parser.type()
    if parser.pos != len(tokens):
        raise HiveTypeError(f"unexpected {tokens[parser.pos]!r} in type {text!r}")
    return result


class _TypeParser:
    def __init__(self, tokens: list[str], text: str):
        self.tokens, self.text, self.pos = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise HiveTypeError(f"expected {expected or 'a type'} in type {self.text!r}")
        self.pos += 1
        return token

    def type(self) -> HiveType:
        name = " ".join(self.take().lower().split())
        name = {"double precision": "double"}.get(name, name)
        name = PRESTO_ALIASES.get(name, name)
        if name in ("array", "map", "struct"):
            close = ">" if self.peek() == "<" else ")"
            self.take("<" if close == ">" else "(")
            if name == "struct":
                fields = [self.field(close)]
                while self.peek() == ",":
                    self.take(",")
                    fields.append(self.field(close))
                self.take(close)
                return HiveType("struct", fields=tuple(fields))
            children = [self.type()]
            while self.peek() == ",":
                self.take(",")
                children.append(self.type())
            self.take(close)
            if len(children) != (1 if name == "array" else 2):
                raise HiveTypeError(f"{name} takes {1 if name == 'array' else 2} types in {self.text!r}")
            return HiveType(name, children=tuple(children))
        if name.startswith("timestamp"):
            name = "timestamp"
        if name not in HIVE_SCALARS:
            raise HiveTypeError(f"unknown type {name!r} in {self.text!r}")
        args: list[int] = []
        if self.peek() == "(":
            self.take("(")
            args.append(int(self.take()))
            while self.peek() == ",":
                self.take(",")
                args.append(int(self.take()))
            self.take(")")
        return HiveType(name, tuple(args))

    def field(self, close: str) -> tuple[str, HiveType]:
        name = self.take().strip("`").lower()
        if close == ">":
            self.take(":")
        elif " " in name:  # Presto's `row(a integer)`: the name and the type came as one token
            name, rest = name.split(None, 1)
            self.tokens.insert(self.pos, rest)
        return name, self.type()


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------------
# Text SerDes: a raw field (`{v}`, VARCHAR) -> a typed value
# ---------------------------------------------------------------------------------------------------

# LazySimpleSerDe (Hive): a field that does not parse as the column's type is NULL, never an error.
LAZY_TEXT_PARSERS: dict[str, str] = {
    "VARCHAR": "{v}",
    "TINYINT": "CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS TINYINT) END",
    "SMALLINT": "CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS SMALLINT) END",
    "INTEGER": "CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS INTEGER) END",
    "BIGINT": "CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS BIGINT) END",
    "FLOAT": "TRY_CAST({v} AS FLOAT)",
    "DOUBLE": "TRY_CAST({v} AS DOUBLE)",
    "DECIMAL": "TRY_CAST({v} AS {t})",
    "BOOLEAN": "CASE lower({v}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END",
    "DATE": "TRY_CAST({v} AS DATE)",
    "TIMESTAMP": "TRY_CAST({v} AS TIMESTAMP)",
    "BLOB": "TRY(from_base64({v}))",
}

# OpenCSVSerDe (as Athena documents it): BOOLEAN, BIGINT, INT and DOUBLE are parsed; a value that
# does not parse (an empty field too) fails the query with HIVE_BAD_DATA unless the table sets
# `use.null.for.invalid.data`; DATE is days since 1970-01-01, TIMESTAMP is UNIX milliseconds.
OPEN_CSV_PARSERS: dict[str, str] = {
    "VARCHAR": "{v}",
    "TINYINT": "TRY_CAST({v} AS TINYINT)",
    "SMALLINT": "TRY_CAST({v} AS SMALLINT)",
    "INTEGER": "TRY_CAST({v} AS INTEGER)",
    "BIGINT": "TRY_CAST({v} AS BIGINT)",
    "FLOAT": "TRY_CAST({v} AS FLOAT)",
    "DOUBLE": "TRY_CAST({v} AS DOUBLE)",
    "DECIMAL": "TRY_CAST({v} AS {t})",
    "BOOLEAN": "CASE lower({v}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END",
    "DATE": "COALESCE(DATE '1970-01-01' + TRY_CAST({v} AS INTEGER), TRY_CAST({v} AS DATE))",
    "TIMESTAMP": "COALESCE(make_timestamp(TRY_CAST({v} AS BIGINT) * 1000), TRY_CAST({v} AS TIMESTAMP))",
    "BLOB": "TRY(from_base64({v}))",
}
OPEN_CSV_BAD_DATA = (
    "error('HIVE_BAD_DATA: Error parsing field value ''' || {v} || ''' for field {index}: "
    "For input string: \"' || {v} || '\"')"
)

# LazySimpleSerDe's separators (defaults included) come from glue.catalog.formats.StorageFormat
HIVE_DEFAULT_NULL = "\\N"

# ---------------------------------------------------------------------------------------------------
# Result types: DuckDB type id -> Athena type name; (precision, scale) as GetQueryResults reports
# ---------------------------------------------------------------------------------------------------

ATHENA_RESULT_TYPES: dict[str, str] = {
    "varchar": "varchar",
    "json": "json",
    "bigint": "bigint",
    "hugeint": "bigint",
    "ubigint": "bigint",
    "uhugeint": "bigint",
    "integer": "integer",
    "uinteger": "bigint",
    "smallint": "smallint",
    "usmallint": "integer",
    "tinyint": "tinyint",
    "utinyint": "smallint",
    "double": "double",
    "float": "real",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ms": "timestamp",
    "timestamp_ns": "timestamp",
    "timestamp_s": "timestamp",
    "timestamp with time zone": "timestamp with time zone",
    "time": "time",
    "interval": "interval day to second",
    "blob": "varbinary",
    "uuid": "uuid",
    "decimal": "decimal",
    "list": "array",
    "array": "array",
    "map": "map",
    "struct": "row",
    "null": "unknown",
}
ATHENA_PRECISION: dict[str, int] = {
    "varchar": 2147483647,
    "json": 2147483647,
    "varbinary": 2147483647,
    "bigint": 19,
    "integer": 10,
    "smallint": 5,
    "tinyint": 3,
    "double": 17,
    "real": 7,
    "timestamp": 3,
    "timestamp with time zone": 3,
    "time": 3,
}
CASE_SENSITIVE_TYPES = frozenset({"varchar", "json"})

# DuckDB type id -> Glue (Hive) column type for tables Athena writes (CTAS, views' Presto types)
DUCKDB_TO_HIVE: dict[str, str] = {
    "varchar": "string",
    "json": "string",
    "bigint": "bigint",
    "hugeint": "bigint",
    "ubigint": "bigint",
    "uhugeint": "bigint",
    "integer": "int",
    "uinteger": "bigint",
    "smallint": "smallint",
    "usmallint": "int",
    "tinyint": "tinyint",
    "utinyint": "smallint",
    "double": "double",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ms": "timestamp",
    "timestamp_ns": "timestamp",
    "timestamp_s": "timestamp",
    "timestamp with time zone": "timestamp",
    "blob": "binary",
    "uuid": "string",
    "time": "string",
    "interval": "string",
    "null": "string",
}
# DuckDB types that must be cast before they are written to a file another engine reads
WRITE_CASTS: dict[str, str] = {
    "hugeint": "BIGINT",
    "ubigint": "BIGINT",
    "uhugeint": "BIGINT",
    "uinteger": "BIGINT",
    "usmallint": "INTEGER",
    "utinyint": "SMALLINT",
    "uuid": "VARCHAR",
    "time": "VARCHAR",
    "interval": "VARCHAR",
    "null": "VARCHAR",
    "timestamp with time zone": "TIMESTAMP",
    "timestamp_ns": "TIMESTAMP",
    "timestamp_ms": "TIMESTAMP",
    "timestamp_s": "TIMESTAMP",
}


def duck_type_id(duck_type: Any) -> str:
    """The DuckDB type id, telling JSON (an alias of VARCHAR) apart."""
    return "json" if str(duck_type) == "JSON" else str(duck_type.id)


NESTED_TYPE_IDS = frozenset({"decimal", "list", "array", "map", "struct", "union", "enum"})


def duck_children(duck_type: Any) -> list[tuple[str, Any]]:
    if duck_type_id(duck_type) not in NESTED_TYPE_IDS:
        return []
    return list(duck_type.children or [])


def athena_type(duck_type: Any) -> str:
    return ATHENA_RESULT_TYPES.get(duck_type_id(duck_type), "varchar")


def hive_type(duck_type: Any) -> str:
    """A DuckDB result column type as the Glue column type Athena would write for it."""
    kind = duck_type_id(duck_type)
    children = duck_children(duck_type)
    if kind == "decimal":
        values = dict(children)
        return f"decimal({values['precision']},{values['scale']})"
    if kind in ("list", "array"):
        return f"array<{hive_type(children[0][1])}>"
    if kind == "map":
        return f"map<{hive_type(children[0][1])},{hive_type(children[1][1])}>"
    if kind == "struct":
        return "struct<" + ",".join(f"{name}:{hive_type(t)}" for name, t in children) + ">"
    return DUCKDB_TO_HIVE.get(kind, "string")


def presto_type(duck_type: Any) -> str:
    """A DuckDB type as the Presto/Trino type name an Athena view records for its columns."""
    kind = duck_type_id(duck_type)
    children = duck_children(duck_type)
    if kind == "decimal":
        values = dict(children)
        return f"decimal({values['precision']},{values['scale']})"
    if kind in ("list", "array"):
        return f"array({presto_type(children[0][1])})"
    if kind == "map":
        return f"map({presto_type(children[0][1])}, {presto_type(children[1][1])})"
    if kind == "struct":
        return "row(" + ", ".join(f"{name} {presto_type(t)}" for name, t in children) + ")"
    if kind.startswith("timestamp") and kind != "timestamp with time zone":
        return "timestamp(3)"
    return athena_type(duck_type)


def column_info(name: str, duck_type: Any) -> dict[str, Any]:
    """One `ResultSetMetadata.ColumnInfo` entry, as Athena fills it for a SELECT."""
    kind = athena_type(duck_type)
    precision, scale = ATHENA_PRECISION.get(kind, 0), 0
    if kind == "decimal":
        values = dict(duck_children(duck_type))
        precision, scale = int(values["precision"]), int(values["scale"])
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": kind,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": kind in CASE_SENSITIVE_TYPES,
    }


def text_column_info(name: str) -> dict[str, Any]:
    """A column of a DDL/utility result (SHOW, DESCRIBE): Hive's `string`."""
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": "string",
        "Precision": 0,
        "Scale": 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": False,
    }


# ---------------------------------------------------------------------------------------------------
# Functions: Trino names DuckDB lacks (after sqlglot's own mapping), as DuckDB macros
# ---------------------------------------------------------------------------------------------------

URL_PATTERN = r"^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/:?#]*)(:([0-9]+))?([^?#]*)(\?([^#]*))?"
MACROS: dict[str, str] = {
    "codepoint": "(s) AS unicode(s)",
    "is_finite": "(x) AS isfinite(x)",
    "is_infinite": "(x) AS isinf(x)",
    "infinity": "() AS CAST('inf' AS DOUBLE)",
    "nan": "() AS CAST('nan' AS DOUBLE)",
    "current_timezone": "() AS 'UTC'",
    "to_iso8601": "(x) AS replace(CAST(x AS VARCHAR), ' ', 'T')",
    "array_union": "(a, b) AS list_distinct(list_concat(a, b))",
    "zip": "(a, b) AS list_zip(a, b)",
    "every": "(x) AS bool_and(x)",
    "map_agg": "(k, v) AS map_from_entries(list(struct_pack(k := k, v := v)))",
    "with_timezone": "(ts, tz) AS timezone(tz, ts)",
    "at_timezone": "(ts, tz) AS timezone(tz, ts)",
    "to_milliseconds": "(i) AS CAST(epoch(i) * 1000 AS BIGINT)",
    "url_extract_protocol": f"(u) AS nullif(regexp_extract(u, '{URL_PATTERN}', 1), '')",
    "url_extract_host": f"(u) AS nullif(regexp_extract(u, '{URL_PATTERN}', 2), '')",
    "url_extract_port": f"(u) AS TRY_CAST(nullif(regexp_extract(u, '{URL_PATTERN}', 4), '') AS BIGINT)",
    "url_extract_path": f"(u) AS regexp_extract(u, '{URL_PATTERN}', 5)",
    "url_extract_query": f"(u) AS nullif(regexp_extract(u, '{URL_PATTERN}', 7), '')",
}

# ---------------------------------------------------------------------------------------------------
# Errors: DuckDB's message (first line) -> Athena's error name, message template and ErrorType
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRule:
    pattern: re.Pattern[str]
    name: str
    template: str  # formatted with the pattern's named groups
    error_type: int
    locate: str | None = None  # the group naming the identifier whose position `line L:C` reports
    category: int = 2  # USER
    retryable: bool = False


def _rule(pattern: str, name: str, template: str, error_type: int, locate: str | None = None, **kw: Any):
    return ErrorRule(re.compile(pattern), name, template, error_type, locate, **kw)


# ErrorType codes from the Athena error catalog: 1001 data error, 1006 syntax/analysis error,
# 1100 invalid argument, 1200 not supported, 1301 entity not found, 1303 function not found.
ERROR_RULES: list[ErrorRule] = [
    _rule(
        r"Referenced column \"(?P<col>[^\"]+)\" not found",
        "COLUMN_NOT_FOUND",
        "Column '{col}' cannot be resolved or requester is not authorized to access requested resources",
        1006,
        "col",
    ),
    _rule(
        r"(?:Values list|Table) \"(?P<tbl>[^\"]+)\" does not have a column named \"(?P<col>[^\"]+)\"",
        "COLUMN_NOT_FOUND",
        "Column '{tbl}.{col}' cannot be resolved or requester is not authorized to access requested "
        "resources",
        1006,
        "col",
    ),
    _rule(
        r"Referenced table \"(?P<tbl>[^\"]+)\" not found",
        "COLUMN_NOT_FOUND",
        "Column '{tbl}' cannot be resolved or requester is not authorized to access requested resources",
        1006,
        "tbl",
    ),
    _rule(
        r"Ambiguous reference to column name \"(?P<col>[^\"]+)\"",
        "AMBIGUOUS_NAME",
        "Column '{col}' is ambiguous",
        1006,
        "col",
    ),
    _rule(
        r"(?:Scalar|Aggregate|Table) Function with name (?P<fn>\w+) does not exist",
        "FUNCTION_NOT_FOUND",
        "Function '{fn}' not registered",
        1303,
        "fn",
    ),
    _rule(
        r"No function matches the given name and argument types '(?P<fn>\w+)\((?P<args>.*)\)'",
        "FUNCTION_NOT_FOUND",
        "Unexpected parameters ({args}) for function {fn}",
        1303,
        "fn",
    ),
    _rule(
        r"column \"(?P<col>[^\"]+)\" must appear in the GROUP BY clause",
        "EXPRESSION_NOT_AGGREGATE",
        "'{col}' must be an aggregate expression or appear in GROUP BY clause",
        1006,
        "col",
    ),
    _rule(
        r"Cannot compare values of type (?P<a>\S+) and type (?P<b>\S+)",
        "TYPE_MISMATCH",
        "Cannot apply operator: {a} = {b}",
        1006,
    ),
    _rule(
        r"Could not convert string '(?P<value>.*)' to (?P<type>\w+)",
        "INVALID_CAST_ARGUMENT",
        "Cannot cast '{value}' to {type}",
        1100,
    ),
    _rule(r"Division by zero", "DIVISION_BY_ZERO", "Division by zero", 1100),
    _rule(r"(?P<msg>HIVE_BAD_DATA: .*)", "", "{msg}", 1001),
    _rule(
        r"Malformed JSON.*?(?P<detail>: .*)?$",
        "HIVE_CURSOR_ERROR",
        "Row is not a valid JSON Object{detail}",
        1001,
    ),
    _rule(
        r"(?:No magic bytes found|not a parquet file|Invalid Input Error: .*[Pp]arquet.*)",
        "HIVE_CANNOT_OPEN_SPLIT",
        "Error opening Hive split: the file is not a valid Parquet file",
        1001,
    ),
    _rule(r"Parser Error: (?P<msg>.*)", "SYNTAX_ERROR", "{msg}", 1006),
    _rule(
        r"(?:Out of Memory|could not allocate)",
        "EXCEEDED_LOCAL_MEMORY_LIMIT",
        "Query exhausted resources at this scale factor",
        1,
        category=1,
        retryable=True,
    ),
]
# DuckDB's internal type names in error messages -> Trino's
ERROR_TYPE_NAMES: dict[str, str] = {
    "INT64": "BIGINT",
    "INT32": "INTEGER",
    "INT16": "SMALLINT",
    "INT8": "TINYINT",
    "FLOAT": "REAL",
    "TEXT": "VARCHAR",
    "STRING": "VARCHAR",
}
GENERIC_USER_ERROR = ("GENERIC_USER_ERROR", 1000)
GENERIC_INTERNAL_ERROR = ("GENERIC_INTERNAL_ERROR", 200)

# ---------------------------------------------------------------------------------------------------
# Statements: leading keywords -> (StatementType, SubstatementType, handler)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementKind:
    statement_type: str  # DDL | DML | UTILITY
    substatement_type: str
    handler: str  # "query" (DuckDB), "ddl" (catalog), "write" (CTAS/INSERT), "view"


# Longest prefix wins. `CREATE TABLE ... AS` is told apart from `CREATE TABLE (...)` by the engine.
STATEMENTS: dict[tuple[str, ...], StatementKind] = {
    ("SELECT",): StatementKind("DML", "SELECT", "query"),
    ("WITH",): StatementKind("DML", "SELECT", "query"),
    ("VALUES",): StatementKind("DML", "SELECT", "query"),
    ("(",): StatementKind("DML", "SELECT", "query"),
    ("TABLE",): StatementKind("DML", "SELECT", "query"),
    ("EXPLAIN",): StatementKind("UTILITY", "EXPLAIN", "explain"),
    ("INSERT",): StatementKind("DML", "INSERT", "write"),
    ("UNLOAD",): StatementKind("DML", "UNLOAD", "write"),
    ("CREATE", "TABLE"): StatementKind("DDL", "CREATE_TABLE_AS_SELECT", "write"),
    ("CREATE", "EXTERNAL", "TABLE"): StatementKind("DDL", "CREATE_TABLE", "ddl"),
    ("CREATE", "DATABASE"): StatementKind("DDL", "CREATE_DATABASE", "ddl"),
    ("CREATE", "SCHEMA"): StatementKind("DDL", "CREATE_DATABASE", "ddl"),
    ("CREATE", "VIEW"): StatementKind("DDL", "CREATE_VIEW", "view"),
    ("CREATE", "OR", "REPLACE", "VIEW"): StatementKind("DDL", "CREATE_VIEW", "view"),
    ("DROP", "TABLE"): StatementKind("DDL", "DROP_TABLE", "ddl"),
    ("DROP", "DATABASE"): StatementKind("DDL", "DROP_DATABASE", "ddl"),
    ("DROP", "SCHEMA"): StatementKind("DDL", "DROP_DATABASE", "ddl"),
    ("DROP", "VIEW"): StatementKind("DDL", "DROP_VIEW", "ddl"),
    ("ALTER", "TABLE"): StatementKind("DDL", "ALTER_TABLE", "ddl"),
    ("MSCK", "REPAIR", "TABLE"): StatementKind("DDL", "MSCK_REPAIR_TABLE", "ddl"),
    ("SHOW", "DATABASES"): StatementKind("UTILITY", "SHOW_DATABASES", "ddl"),
    ("SHOW", "SCHEMAS"): StatementKind("UTILITY", "SHOW_DATABASES", "ddl"),
    ("SHOW", "TABLES"): StatementKind("UTILITY", "SHOW_TABLES", "ddl"),
    ("SHOW", "VIEWS"): StatementKind("UTILITY", "SHOW_VIEWS", "ddl"),
    ("SHOW", "COLUMNS"): StatementKind("UTILITY", "SHOW_COLUMNS", "ddl"),
    ("SHOW", "PARTITIONS"): StatementKind("UTILITY", "SHOW_PARTITIONS", "ddl"),
    ("SHOW", "CREATE", "TABLE"): StatementKind("UTILITY", "SHOW_CREATE_TABLE", "ddl"),
    ("SHOW", "CREATE", "VIEW"): StatementKind("UTILITY", "SHOW_CREATE_VIEW", "ddl"),
    ("SHOW", "TBLPROPERTIES"): StatementKind("UTILITY", "SHOW_TBLPROPERTIES", "ddl"),
    ("DESCRIBE",): StatementKind("UTILITY", "DESCRIBE_TABLE", "ddl"),
    ("DESC",): StatementKind("UTILITY", "DESCRIBE_TABLE", "ddl"),
}
UNSUPPORTED_STATEMENT = StatementKind("DML", "UNKNOWN", "unsupported")
# Statements Trino knows but the local Athena does not run (NOT_SUPPORTED); any other word is a
# SYNTAX_ERROR, as Trino's parser reports it
KNOWN_UNSUPPORTED = frozenset(
    {
        "UPDATE",
        "DELETE",
        "MERGE",
        "OPTIMIZE",
        "VACUUM",
        "ANALYZE",
        "CALL",
        "GRANT",
        "REVOKE",
        "USE",
        "COMMENT",
        "SET",
        "RESET",
        "START",
        "COMMIT",
        "ROLLBACK",
        "CREATE",
        "DROP",
        "ALTER",
        "SHOW",
        "REFRESH",
    }
)


def classify(keywords: list[str]) -> StatementKind:
    """The kind of a statement from its first (upper-cased) keywords; longest known prefix wins."""
    for length in range(min(len(keywords), 4), 0, -1):
        kind = STATEMENTS.get(tuple(keywords[:length]))
        if kind is not None:
            return kind
    return UNSUPPORTED_STATEMENT
