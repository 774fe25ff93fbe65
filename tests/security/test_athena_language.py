"""Athena SQL reads only the catalog's data: DuckDB's own functions and statements are refused.

Real Athena (engine version 3, Trino) has no `read_text`, `read_json_auto`, `glob`, `getenv`,
`query`, `COPY`, `ATTACH`...: it fails such queries with FUNCTION_NOT_FOUND (a function call),
"Table function 'x' not registered" (Trino's analyzer, for `TABLE(x(...))`) or SYNTAX_ERROR (Trino's
parser has no `FROM f(...)` relation and no DuckDB statements), with the line and column.
https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html
Each case asserts the refusal, that no S3 object was written, and that the planted secret's content
is in no answer, no file under the state directory and no log line.
"""

from __future__ import annotations

import base64
import json

import pytest
from tests.security.conftest import Lake, Listener, Secrets

# (SQL with {text}/{json}/{parquet}/{folder}/{bucket} filled in, the StateChangeReason it must start with)
ATTACKS: list[tuple[str, str]] = [
    # the attacks of issue 9
    ("SELECT * FROM read_text('/etc/passwd')", "SYNTAX_ERROR: line 1:24: mismatched input '('."),
    ("SELECT * FROM read_text('/proc/self/environ')", "SYNTAX_ERROR: line 1:24: mismatched input '('."),
    ("SELECT read_text('{text}')", "FUNCTION_NOT_FOUND: line 1:8: Function 'read_text' not registered"),
    (
        "SELECT * FROM TABLE(read_text('{text}'))",
        "FUNCTION_NOT_FOUND: line 1:21: Table function 'read_text' not registered",
    ),
    ("SELECT * FROM read_json_auto('{json}')", "SYNTAX_ERROR: line 1:29: mismatched input '('."),
    (
        "SELECT read_json_auto('{json}')",
        "FUNCTION_NOT_FOUND: line 1:8: Function 'read_json_auto' not registered",
    ),
    ("SELECT * FROM glob('{folder}/*')", "SYNTAX_ERROR"),
    ("SELECT * FROM TABLE(glob('{folder}/*'))", "SYNTAX_ERROR"),
    ("SELECT * FROM read_parquet('{parquet}')", "SYNTAX_ERROR: line 1:27: mismatched input '('."),
    ("SELECT secret FROM TABLE(read_parquet('{parquet}'))", "FUNCTION_NOT_FOUND: line 1:26: Table function"),
    # the same family: other DuckDB table and scalar functions
    ("SELECT * FROM read_csv_auto('{text}')", "SYNTAX_ERROR: line 1:28: mismatched input '('."),
    ("SELECT * FROM read_csv('{text}', header=false)", "SYNTAX_ERROR"),
    ("SELECT * FROM parquet_scan('{parquet}')", "SYNTAX_ERROR: line 1:27: mismatched input '('."),
    (
        "SELECT content FROM TABLE(read_blob('{text}'))",
        "FUNCTION_NOT_FOUND: line 1:27: Table function 'read_blob'",
    ),
    ("SELECT * FROM TABLE(sniff_csv('{text}'))", "FUNCTION_NOT_FOUND: line 1:21: Table function 'sniff_csv'"),
    (
        "SELECT * FROM TABLE(query('SELECT * FROM read_text(''{text}'')'))",
        "FUNCTION_NOT_FOUND: line 1:21: Table function 'query'",
    ),
    ("SELECT * FROM TABLE(query_table('t'))", "FUNCTION_NOT_FOUND: line 1:21: Table function 'query_table'"),
    ("SELECT getenv('HOME')", "FUNCTION_NOT_FOUND: line 1:8: Function 'getenv' not registered"),
    ("SELECT current_setting('temp_directory')", "FUNCTION_NOT_FOUND: line 1:8: Function 'current_setting'"),
    (
        "SELECT * FROM TABLE(duckdb_settings())",
        "FUNCTION_NOT_FOUND: line 1:21: Table function 'duckdb_settings'",
    ),
    ("SELECT * FROM TABLE(pragma_database_list())", "FUNCTION_NOT_FOUND: line 1:21: Table function"),
    ("SELECT getvariable('x')", "FUNCTION_NOT_FOUND: line 1:8: Function 'getvariable'"),
    # every spelling and position of a call
    ("SELECT \"READ_TEXT\"('{text}')", "FUNCTION_NOT_FOUND: line 1:8: Function 'read_text' not registered"),
    ("SELECT Read_Text('{text}')", "FUNCTION_NOT_FOUND: line 1:8: Function 'read_text' not registered"),
    ("SELECT \"Read_Csv_Auto\"('{text}')", "FUNCTION_NOT_FOUND: line 1:8: Function 'read_csv_auto'"),
    ("SELECT read_text /* comment */ ('{text}')", "FUNCTION_NOT_FOUND: line 1:8: Function 'read_text'"),
    ("SELECT -- comment\n  read_text('{text}')", "FUNCTION_NOT_FOUND: line 2:3: Function 'read_text'"),
    ("SELECT U&\"read\\0074ext\"('{text}')", "FUNCTION_NOT_FOUND"),
    (
        "SELECT lower(upper(cast(read_text('{text}') AS varchar)))",
        "FUNCTION_NOT_FOUND: line 1:25: Function 'read_text'",
    ),
    (
        "SELECT main.read_text('{text}')",
        "FUNCTION_NOT_FOUND: line 1:13: Function 'main.read_text' not registered",
    ),
    ("SELECT * FROM t WHERE name IN (SELECT content FROM read_text('{text}'))", "SYNTAX_ERROR"),
    (
        "SELECT (SELECT max(read_text('{text}')) FROM t)",
        "FUNCTION_NOT_FOUND: line 1:20: Function 'read_text'",
    ),
    (
        "WITH s AS (SELECT * FROM read_parquet('{parquet}')) SELECT * FROM s",
        "SYNTAX_ERROR: line 1:38: mismatched",
    ),
    (
        "WITH s AS (SELECT read_text('{text}') AS c) SELECT * FROM s",
        "FUNCTION_NOT_FOUND: line 1:19: Function",
    ),
    ("SELECT * FROM t CROSS JOIN LATERAL (SELECT * FROM read_text('{text}'))", "SYNTAX_ERROR"),
    ("SELECT * FROM t JOIN LATERAL read_csv_auto('{text}') ON true", "SYNTAX_ERROR"),
    ("SELECT * FROM t, unnest(ARRAY[read_text('{text}')]) AS u(x)", "FUNCTION_NOT_FOUND"),
    ("SELECT transform(ARRAY[1], x -> read_text('{text}'))", "FUNCTION_NOT_FOUND"),
    ("SELECT * FROM '{text}'", "SYNTAX_ERROR: line 1:15: mismatched input ''"),
    ('SELECT * FROM "{text}"', "TABLE_NOT_FOUND"),
    (
        'SELECT * FROM (WITH "{text}" AS (SELECT 1 AS a) SELECT * FROM "{text}") q, "{text}"',
        "TABLE_NOT_FOUND",
    ),
    ("EXPLAIN SELECT read_text('{text}')", "FUNCTION_NOT_FOUND: line 1:16: Function 'read_text'"),
    ("-- note\nEXPLAIN SELECT read_text('{text}')", "FUNCTION_NOT_FOUND: line 2:16: Function 'read_text'"),
    # http:// and s3:// URLs reach nothing either
    (
        "SELECT * FROM TABLE(read_csv('http://127.0.0.1:{port}/x.csv'))",
        "FUNCTION_NOT_FOUND: line 1:21: Table function",
    ),
    ("SELECT * FROM read_csv_auto('https://127.0.0.1:{port}/x.csv')", "SYNTAX_ERROR"),
    ("SELECT * FROM read_parquet('s3://{bucket}/data/t/part-0.csv')", "SYNTAX_ERROR"),
    # DuckDB statements Athena does not have
    ("ATTACH '{folder}/new.db' AS stolen", "SYNTAX_ERROR: line 1:1: mismatched input 'ATTACH'"),
    ("COPY t TO '{folder}/out.csv'", "SYNTAX_ERROR: line 1:1: mismatched input 'COPY'"),
    ("COPY (SELECT 1) TO '{folder}/out.csv'", "SYNTAX_ERROR: line 1:1: mismatched input 'COPY'"),
    ("INSTALL httpfs", "SYNTAX_ERROR: line 1:1: mismatched input 'INSTALL'"),
    ("LOAD httpfs", "SYNTAX_ERROR: line 1:1: mismatched input 'LOAD'"),
    ("SET enable_external_access = true", "NOT_SUPPORTED"),
    ("PRAGMA version", "SYNTAX_ERROR: line 1:1: mismatched input 'PRAGMA'"),
    ("EXPORT DATABASE '{folder}/export'", "SYNTAX_ERROR: line 1:1: mismatched input 'EXPORT'"),
    ("IMPORT DATABASE '{folder}'", "SYNTAX_ERROR: line 1:1: mismatched input 'IMPORT'"),
    ("CALL pragma_version()", "NOT_SUPPORTED"),
    ("FROM read_text('{text}')", "SYNTAX_ERROR: line 1:1: mismatched input 'FROM'"),
    ("CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 's')", "NOT_SUPPORTED"),
    ("CREATE MACRO leak() AS read_text('{text}')", "NOT_SUPPORTED"),
    ("SELECT 1; ATTACH '{folder}/new.db'", "SYNTAX_ERROR"),
    ("EXPLAIN COPY (SELECT 1) TO '{folder}/out.csv'", "SYNTAX_ERROR"),
]


def _fill(sql: str, secrets: Secrets, lake: Lake, port: int = 9) -> str:
    return sql.format(
        text=secrets.text,
        json=secrets.json,
        parquet=secrets.parquet,
        folder=secrets.folder,
        bucket=lake.bucket,
        port=port,
    )


@pytest.mark.parametrize(("sql", "reason"), ATTACKS, ids=[a[0][:60] for a in ATTACKS])
def test_duckdb_functions_and_statements_are_refused(
    lake: Lake, secrets: Secrets, listener: Listener, sql: str, reason: str
) -> None:
    before = sorted(p.name for p in secrets.folder.rglob("*"))
    status = lake.refused(_fill(sql, secrets, lake, listener.port), secrets.marker)
    assert status["StateChangeReason"].startswith(reason), status["StateChangeReason"]
    error = status["AthenaError"]
    assert error["ErrorCategory"] == 2  # USER
    name = reason.split(":", 1)[0]
    assert (
        error["ErrorType"]
        == {
            "FUNCTION_NOT_FOUND": 1303,
            "SYNTAX_ERROR": 1006,
            "TABLE_NOT_FOUND": 1301,
            "NOT_SUPPORTED": 1202,
        }[name]
    )
    assert sorted(p.name for p in secrets.folder.rglob("*")) == before  # no file written next to the secret
    assert listener.connections == 0  # no request left for an http:// URL


def test_the_catalog_table_still_answers(lake: Lake) -> None:
    """The refusals above are not a broken engine: Athena functions on catalog tables work."""
    execution = lake.ok("SELECT upper(name), length(name), regexp_like(name, '^a') FROM t ORDER BY id")
    rows = lake.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]["Rows"]
    assert [[d["VarCharValue"] for d in r["Data"]] for r in rows[1:]] == [
        ["ALPHA", "5", "true"],
        ["BETA", "4", "false"],
    ]


def test_ctas_cannot_copy_a_host_file_into_s3(lake: Lake, secrets: Secrets) -> None:
    for sql in (
        f"CREATE TABLE stolen WITH (format = 'TEXTFILE', external_location = 's3://{lake.bucket}/copy/') "
        f"AS SELECT * FROM read_text('{secrets.text}')",
        f"CREATE TABLE stolen AS SELECT content FROM TABLE(read_text('{secrets.text}'))",
        f"CREATE TABLE stolen AS SELECT read_text('{secrets.text}') AS content",
    ):
        lake.refused(sql, secrets.marker)
    with pytest.raises(lake.glue.exceptions.EntityNotFoundException):
        lake.glue.get_table(DatabaseName=lake.database, Name="stolen")


def test_insert_and_unload_cannot_read_host_files(lake: Lake, secrets: Secrets) -> None:
    lake.refused(f"INSERT INTO t SELECT 3, read_text('{secrets.text}')", secrets.marker)
    lake.refused(
        f"UNLOAD (SELECT read_text('{secrets.text}') AS c) TO 's3://{lake.bucket}/unload/' "
        "WITH (format = 'TEXTFILE')",
        secrets.marker,
    )
    rows = lake.ok("SELECT count(*) FROM t")
    result = lake.athena.get_query_results(QueryExecutionId=rows["QueryExecutionId"])["ResultSet"]["Rows"]
    assert result[1]["Data"][0]["VarCharValue"] == "2"


def test_a_view_cannot_hide_a_duckdb_function(lake: Lake, secrets: Secrets) -> None:
    """Neither CREATE VIEW nor a view written straight into the catalog (its stored SQL is checked too)."""
    lake.refused(f"CREATE VIEW leak AS SELECT read_text('{secrets.text}') AS c", secrets.marker)
    with pytest.raises(lake.glue.exceptions.EntityNotFoundException):
        lake.glue.get_table(DatabaseName=lake.database, Name="leak")
    original = f"SELECT content FROM TABLE(read_text('{secrets.text}'))"
    view = {"originalSql": original, "catalog": "awsdatacatalog", "schema": lake.database, "columns": []}
    view["columns"] = [{"name": "content", "type": "varchar"}]
    encoded = base64.b64encode(json.dumps(view).encode()).decode()
    lake.glue.create_table(
        DatabaseName=lake.database,
        TableInput={
            "Name": "planted",
            "TableType": "VIRTUAL_VIEW",
            "ViewOriginalText": f"/* Presto View: {encoded} */",
            "ViewExpandedText": "/* Presto View */",
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "StorageDescriptor": {"Columns": [{"Name": "content", "Type": "string"}], "SerdeInfo": {}},
        },
    )
    status = lake.refused("SELECT * FROM planted", secrets.marker)
    assert "Table function 'read_text' not registered" in status["StateChangeReason"]


def test_parameters_cannot_smuggle_a_function(lake: Lake, secrets: Secrets) -> None:
    """ExecutionParameters and EXECUTE ... USING are bound into the statement, which is then checked."""
    before = lake.keys()
    query_id = lake.athena.start_query_execution(
        QueryString="SELECT ?",
        QueryExecutionContext={"Database": lake.database},
        ResultConfiguration={"OutputLocation": lake.output},
        ExecutionParameters=[f"read_text('{secrets.text}')"],
    )["QueryExecutionId"]
    from tests.security.conftest import wait

    status = wait(lake.athena, query_id)["Status"]
    assert status["State"] == "FAILED" and "FUNCTION_NOT_FOUND" in status["StateChangeReason"]
    assert lake.keys() == before
    lake.ok("PREPARE leak FROM SELECT ?")
    lake.refused(f"EXECUTE leak USING read_text('{secrets.text}')", secrets.marker)
    lake.assert_no_leak(secrets.marker)
