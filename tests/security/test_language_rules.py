"""The Athena-language check on its own, in-process: every Athena function passes, DuckDB's do not.

Table-driven, milliseconds: one row per query form. The end-to-end refusals (state FAILED, nothing
read) are in test_athena_language.py.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from awstwin.endpoint.athena import language, translate
from awstwin.endpoint.athena.exceptions import QueryFailed
from awstwin.endpoint.athena.functions import ATHENA_FUNCTIONS

ATHENA_QUERIES = [
    "SELECT json_value(j, 'lax $.a'), json_query(j, 'lax $.a'), json_exists(j, 'lax $.a') FROM t",
    "SELECT listagg(x, ',') WITHIN GROUP (ORDER BY x) FROM t",
    "SELECT date_diff('day', a, b), from_unixtime(1), date_parse('2024', '%Y'), "
    "format_datetime(now(), 'yyyy')",
    "SELECT array_agg(x ORDER BY y), approx_percentile(x, 0.5), count_if(x > 1), max_by(a, b), "
    "min_by(a, b) FROM t",
    "SELECT a[1], element_at(m, 'k'), cardinality(a), contains(a, 1), split(s, ','), "
    "array_join(a, ',') FROM t",
    "SELECT x IS DISTINCT FROM y, x BETWEEN 1 AND 2, x LIKE 'a%', NOT x, x IN (1, 2) FROM t",
    "SELECT CAST(x AS JSON), TIMESTAMP '2024-01-01 00:00:00', x AT TIME ZONE 'UTC', current_timestamp, "
    "now() FROM t",
    "SELECT normalize(s), ceil(x), floor(x), chr(65), codepoint('a'), md5(to_utf8(s)), "
    "from_utf8(to_utf8(s)) FROM t",
    "SELECT row_number() OVER (PARTITION BY a ORDER BY b), rank() OVER w, lag(x, 1) OVER w "
    "FROM t WINDOW w AS (ORDER BY b)",
    "SELECT try(CAST(x AS int)), typeof(x), uuid(), round(x, 2), mod(a, b), pow(a, b) FROM t",
    "SELECT filter(a, x -> x > 1), transform(a, x -> x * 2), reduce(a, 0, (s, x) -> s + x, s -> s) FROM t",
    "SELECT CASE WHEN a THEN 1 END, IF(a, 1, 2), COALESCE(a, b), NULLIF(a, b), GREATEST(a, b) FROM t",
    "SELECT date_add('day', 1, d), d + INTERVAL '1' DAY, at_timezone(ts, 'UTC'), to_iso8601(ts) FROM t",
    "SELECT ROW(1, 'a'), ARRAY[1, 2], MAP(ARRAY['k'], ARRAY[1]), EXISTS (SELECT 1) FROM t",
    "WITH a AS (SELECT 1 AS x) SELECT * FROM a CROSS JOIN UNNEST(ARRAY[1, 2]) AS u(y)",
    "SELECT * FROM t CROSS JOIN LATERAL (SELECT 1 AS one)",
    "SELECT * FROM (VALUES (1, 'a')) AS v(id, name)",
    "CREATE TABLE c WITH (format = 'PARQUET', partitioned_by = ARRAY['d']) AS SELECT 1 AS a, 'x' AS d",
    "INSERT INTO t SELECT 1, lower('A')",
    "SELECT invoker_principal()",
]

REFUSALS = [
    ("SELECT read_text('/etc/passwd')", "FUNCTION_NOT_FOUND: line 1:8: Function 'read_text' not registered"),
    ("SELECT\n  getenv('HOME')", "FUNCTION_NOT_FOUND: line 2:3: Function 'getenv' not registered"),
    (
        "SELECT * FROM TABLE(read_text('x'))",
        "FUNCTION_NOT_FOUND: line 1:21: Table function 'read_text' not registered",
    ),
    (
        "SELECT * FROM TABLE(sequence(1, 3))",
        "NOT_SUPPORTED: line 1:21: Table function 'sequence' is not supported",
    ),
    ("SELECT * FROM read_csv('x')", "SYNTAX_ERROR: line 1:23: mismatched input '('. Expecting: "),
    ("SELECT * FROM 'x.csv'", "SYNTAX_ERROR: line 1:15: mismatched input ''x.csv''. Expecting: "),
    (
        "SELECT * FROM t JOIN LATERAL read_csv('x') ON true",
        "SYNTAX_ERROR: line 1:30: mismatched input 'read_csv'",
    ),
    ("SELECT main.read_text('x')", "FUNCTION_NOT_FOUND: line 1:13: Function 'main.read_text' not registered"),
    ("SELECT \"READ_CSV\"('x')", "FUNCTION_NOT_FOUND: line 1:8: Function 'read_csv' not registered"),
    ("SELECT list_value(1)", "FUNCTION_NOT_FOUND: line 1:8: Function 'list_value' not registered"),
    ("SELECT COLUMNS(*) FROM t", "FUNCTION_NOT_FOUND: line 1:8: Function 'columns' not registered"),
    ("COPY (SELECT 1) TO '/tmp/x'", "SYNTAX_ERROR: line 1:1: mismatched input 'COPY'"),
    ("PRAGMA version", "SYNTAX_ERROR: line 1:1: mismatched input 'PRAGMA'"),
]


@pytest.mark.parametrize("sql", ATHENA_QUERIES)
def test_athena_sql_passes(sql: str) -> None:
    translate.parse(sql)


@pytest.mark.parametrize(("sql", "reason"), REFUSALS, ids=[r[0][:50] for r in REFUSALS])
def test_other_sql_is_refused_as_athena_refuses_it(sql: str, reason: str) -> None:
    with pytest.raises(QueryFailed) as refused:
        translate.parse(sql)
    assert refused.value.reason.startswith(reason), refused.value.reason


def test_every_athena_function_is_accepted_when_called_by_its_name() -> None:
    """Whatever node sqlglot builds for a call of an allowed name, the check knows it by that name."""
    refused = {}
    for name in sorted(ATHENA_FUNCTIONS):
        for args in ("", "a", "a, b", "a, b, c", "'day', a, b"):
            sql = f"SELECT {name}({args}) FROM t"
            try:
                tree = sqlglot.parse_one(sql, read="athena")
            except sqlglot.errors.ParseError:
                continue
            try:
                language.check(tree, sql)
            except QueryFailed as failure:
                refused[sql] = failure.reason
    assert refused == {}


def test_the_allow_list_holds_no_duckdb_file_or_system_function() -> None:
    duckdb_only = {
        "read_text", "read_blob", "read_csv", "read_csv_auto", "read_json", "read_json_auto",
        "read_parquet", "parquet_scan", "glob", "sniff_csv", "query", "query_table", "getenv",
        "current_setting", "duckdb_settings", "getvariable", "set_variable", "pragma_version",
        "read_ndjson", "read_ndjson_objects",
    }  # fmt: skip
    assert duckdb_only & ATHENA_FUNCTIONS == set()
    assert all(name == name.lower() and name.replace("_", "").isalnum() for name in ATHENA_FUNCTIONS)


def test_nameless_calls_stand_for_athena_names() -> None:
    assert set(language.NAMELESS_CALLS.values()) <= ATHENA_FUNCTIONS
    assert all(issubclass(cls, exp.Func) for cls in language.NAMELESS_CALLS)
