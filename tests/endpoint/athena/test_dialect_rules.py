"""One row per rule of `athena/dialect.py` and `translate.py`, in-process, milliseconds (no endpoint).

Each table below mirrors one data table of the dialect: a new rule there gets its row here.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from awstwin.endpoint.athena import dialect, translate
from awstwin.endpoint.athena.engine import classify

# MACROS: a Trino function DuckDB lacks -> (a call, what Athena returns for it)
MACRO_CASES = {
    "codepoint": ("codepoint('A')", 65),
    "is_finite": ("is_finite(1.0)", True),
    "is_infinite": ("is_infinite(infinity())", True),
    "infinity": ("infinity() > 1e308", True),
    "nan": ("is_nan(nan())", True),
    "current_timezone": ("current_timezone()", "UTC"),
    "to_iso8601": ("to_iso8601(TIMESTAMP '2024-01-02 03:04:05')", "2024-01-02T03:04:05"),
    "array_union": ("array_sort(array_union(ARRAY[1, 2], ARRAY[2, 3]))", [1, 2, 3]),
    "zip": ("cardinality(zip(ARRAY[1, 2], ARRAY['a', 'b']))", 2),
    "every": ("(SELECT every(x) FROM (VALUES true, false) AS t(x))", False),
    "map_agg": ("(SELECT element_at(map_agg(k, v), 'b') FROM (VALUES ('a', 1), ('b', 2)) AS t(k, v))", 2),
    "with_timezone": ("hour(with_timezone(TIMESTAMP '2024-01-01 12:00:00', 'UTC'))", 12),
    "at_timezone": ("hour(at_timezone(TIMESTAMP '2024-01-01 12:00:00', 'UTC'))", 12),
    "to_milliseconds": ("to_milliseconds(INTERVAL '2' SECOND)", 2000),
    "url_extract_protocol": ("url_extract_protocol('https://a.b:8080/p/q?x=1')", "https"),
    "url_extract_host": ("url_extract_host('https://a.b:8080/p/q?x=1')", "a.b"),
    "url_extract_port": ("url_extract_port('https://a.b:8080/p/q?x=1')", 8080),
    "url_extract_path": ("url_extract_path('https://a.b:8080/p/q?x=1')", "/p/q"),
    "url_extract_query": ("url_extract_query('https://a.b:8080/p/q?x=1')", "x=1"),
}

# ERROR_RULES: DuckDB's first error line -> (Athena's error name, the start of Athena's message)
ERROR_CASES = [
    ('Binder Error: Referenced column "nope" not found in FROM clause!', "COLUMN_NOT_FOUND", "Column 'nope'"),
    ('Binder Error: Table "t" does not have a column named "c"', "COLUMN_NOT_FOUND", "Column 't.c'"),
    ('Binder Error: Referenced table "x" not found!', "COLUMN_NOT_FOUND", "Column 'x'"),
    ('Binder Error: Ambiguous reference to column name "id"', "AMBIGUOUS_NAME", "Column 'id' is ambiguous"),
    (
        "Catalog Error: Scalar Function with name frob does not exist!",
        "FUNCTION_NOT_FOUND",
        "Function 'frob'",
    ),
    (
        "Binder Error: No function matches the given name and argument types 'lower(INTEGER)'",
        "FUNCTION_NOT_FOUND",
        "Unexpected parameters (INTEGER) for function lower",
    ),
    (
        'Binder Error: column "x" must appear in the GROUP BY clause',
        "EXPRESSION_NOT_AGGREGATE",
        "'x' must be",
    ),
    ("Binder Error: Cannot compare values of type INTEGER and type VARCHAR", "TYPE_MISMATCH", "Cannot apply"),
    (
        "Conversion Error: Could not convert string 'abc' to INT32",
        "INVALID_CAST_ARGUMENT",
        "Cannot cast 'abc'",
    ),
    ("Invalid Input Error: Division by zero", "DIVISION_BY_ZERO", "Division by zero"),
    ("HIVE_BAD_DATA: Error parsing field value", "", "HIVE_BAD_DATA: Error parsing field value"),
    ("Invalid Input Error: Malformed JSON at byte 3", "HIVE_CURSOR_ERROR", "Row is not a valid JSON Object"),
    (
        "Invalid Input Error: No magic bytes found at end of file",
        "HIVE_CANNOT_OPEN_SPLIT",
        "Error opening Hive",
    ),
    ("Parser Error: syntax error at or near FROM", "SYNTAX_ERROR", "syntax error at or near FROM"),
    ("Out of Memory Error: could not allocate block", "EXCEEDED_LOCAL_MEMORY_LIMIT", "Query exhausted"),
]

# STATEMENTS: a statement -> (StatementType, SubstatementType, handler)
STATEMENT_CASES = [
    ("SELECT 1", ("DML", "SELECT", "query")),
    ("WITH a AS (SELECT 1) SELECT * FROM a", ("DML", "SELECT", "query")),
    ("CREATE TABLE t AS SELECT 1", ("DDL", "CREATE_TABLE_AS_SELECT", "write")),
    ("CREATE TABLE t (a int)", ("DDL", "CREATE_TABLE", "ddl")),
    ("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://b/t/'", ("DDL", "CREATE_TABLE", "ddl")),
    ("INSERT INTO t SELECT 1", ("DML", "INSERT", "write")),
    ("DROP TABLE t", ("DDL", "DROP_TABLE", "ddl")),
    ("MSCK REPAIR TABLE t", ("DDL", "MSCK_REPAIR_TABLE", "ddl")),
    ("SHOW TABLES", ("UTILITY", "SHOW_TABLES", "ddl")),
    ("DESCRIBE t", ("UTILITY", "DESCRIBE_TABLE", "ddl")),
    ("CREATE VIEW v AS SELECT 1", ("DDL", "CREATE_VIEW", "view")),
]

# Hive type text (as Glue stores it) -> Presto/Trino type text (as Athena reports it)
HIVE_TYPE_CASES = [
    ("int", "integer"),
    ("string", "varchar"),
    ("decimal(10,2)", "decimal(10,2)"),
    ("array<string>", "array(varchar)"),
    ("map<string,int>", "map(varchar,integer)"),
    ("struct<a:int,b:string>", "row(a integer,b varchar)"),
    ("float", "real"),
]


def _macro_connection(names: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in names:
        con.execute(f"CREATE OR REPLACE MACRO {name}{dialect.MACROS[name]}")
    return con


def test_every_macro_has_a_row():
    assert set(MACRO_CASES) == set(dialect.MACROS)


@pytest.mark.parametrize("name", sorted(MACRO_CASES))
def test_macro(name):
    call, expected = MACRO_CASES[name]
    tree = translate.parse(f"SELECT {call}")
    needed = translate.macros_needed(tree)
    assert name in needed
    con = _macro_connection(sorted(needed))
    assert con.execute(translate.to_duckdb(tree)).fetchone()[0] == expected


def test_every_error_rule_has_a_row():
    matched = {
        index
        for message, _, _ in ERROR_CASES
        for index, rule in enumerate(dialect.ERROR_RULES)
        if rule.pattern.search(message)
    }
    assert matched == set(range(len(dialect.ERROR_RULES)))


@pytest.mark.parametrize(("message", "name", "start"), ERROR_CASES)
def test_error_rule(message, name, start):
    rule = next(r for r in dialect.ERROR_RULES if r.pattern.search(message))
    groups = {k: v or "" for k, v in rule.pattern.search(message).groupdict().items()}
    assert rule.name == name
    assert rule.template.format(**groups).startswith(start)


@pytest.mark.parametrize(("sql", "expected"), STATEMENT_CASES)
def test_statement_kind(sql, expected):
    kind = classify(sql)
    assert (kind.statement_type, kind.substatement_type, kind.handler) == expected


@pytest.mark.parametrize(("hive", "presto"), HIVE_TYPE_CASES)
def test_hive_type(hive, presto):
    assert re.sub(r"\s*,\s*", ",", dialect.parse_hive_type(hive).presto()) == presto


def test_a_bad_hive_type_is_named():
    with pytest.raises(dialect.HiveTypeError, match="nosuchtype"):
        dialect.parse_hive_type("array<nosuchtype>")


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("SELECT * FROM UNNEST(ARRAY[1, 2]) AS t(x)", "UNNEST"),
        ("SELECT x FROM t CROSS JOIN UNNEST(arr) WITH ORDINALITY AS u(x, n)", "UNNEST"),
    ],
)
def test_unnest_rewrites_run_on_duckdb(sql, fragment):
    tree = translate.parse(sql)
    translate.rewrite_unnest(tree)
    assert fragment in translate.to_duckdb(tree).upper()


def test_a_syntax_error_reads_as_athena_s():
    with pytest.raises(Exception) as caught:
        translate.parse("SELECT FROM WHERE")
    assert "SYNTAX_ERROR" in str(caught.value) and "line 1:" in str(caught.value)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # Trino resolves a column through its unaliased table's full name (SQLAlchemy writes it so)
        ("SELECT db.t.a FROM db.t", 'SELECT t.a FROM awsdatacatalog."db"."t" AS t'),
        ("SELECT awsdatacatalog.db.t.a FROM db.t", 'SELECT t.a FROM awsdatacatalog."db"."t" AS t'),
        ("SELECT x.a FROM db.t AS x", 'SELECT x.a FROM awsdatacatalog."db"."t" AS x'),
    ],
)
def test_table_qualified_columns(sql, expected):
    tree = translate.parse(sql)
    translate.qualify_tables(translate.table_refs(sql, tree, "default"))
    assert translate.to_duckdb(tree) == expected
