"""One line per rule of dialect.py / translate.py: Redshift SQL in, what Postgres gets out (no database).

Functions: https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions.html
CREATE TABLE: https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_TABLE_NEW.html
"""

from __future__ import annotations

import pytest

from awstwin.redshift.context import SessionState
from awstwin.redshift.planner import StatementPlanner


class NoFront:
    """The planner's view of the front, for statements that need no warehouse or AWS."""

    def external_schemas(self, database: str) -> dict:
        return {}

    def columns_of(self, database: str, relations: list[str]) -> set[str]:
        return {"relname", "oid", "nspname", "relnamespace"}


def planned(sql: str) -> list[str] | None:
    planner = StatementPlanner(SessionState(NoFront(), "dev", "awsuser"))  # type: ignore[arg-type]
    plan = planner.plan_statement(sql)
    return None if plan is None else [step.sql for step in plan.steps]


@pytest.mark.parametrize(
    ("redshift", "postgres"),
    [
        ("SELECT nvl(a, 0) FROM t", "SELECT COALESCE(a, 0) FROM t"),
        ("SELECT len(name) FROM t", "SELECT LENGTH(name) FROM t"),
        ("SELECT sysdate", "SELECT sysdate()"),
        ("SELECT dateadd(mon, 2, d) FROM t", "SELECT dateadd('month', 2, d) FROM t"),
        (
            "SELECT datediff(d, '2024-01-01', x) FROM t",
            "SELECT datediff('day', '2024-01-01'::timestamp, x) FROM t",
        ),
        ("SELECT date_part(dow, d) FROM t", "SELECT date_part('dow', d) FROM t"),
        (
            "SELECT decode(k, 1, 'a', 'b') FROM t",
            "SELECT CASE WHEN (k) IS NOT DISTINCT FROM (1) THEN 'a' ELSE 'b' END FROM t",
        ),
        (
            "SELECT listagg(x, ',') WITHIN GROUP (ORDER BY x) FROM t",
            "SELECT listagg(x, ',' ORDER BY x) FROM t",
        ),
        ("SELECT APPROXIMATE COUNT(DISTINCT a) FROM t", "SELECT  COUNT(DISTINCT a) FROM t"),
        ("SELECT median(score) FROM t", "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY score) FROM t"),
        ("SELECT a::varchar(max) FROM t", "SELECT a::varchar(65535) FROM t"),
        (
            "CREATE TEMP TABLE t (a NVARCHAR(10), b VARBYTE(8))",
            "CREATE TEMP TABLE t (a VARCHAR(10), b BYTEA)",
        ),
        ("SELECT * FROM t WHERE 1 AND a > 0", "SELECT * FROM t WHERE true AND a > 0"),
        ("SELECT pg_last_copy_count()", "SELECT pg_last_copy_count(-1)"),
        ("SELECT TOP 3 a FROM t ORDER BY a", "SELECT  a FROM t ORDER BY a LIMIT 3"),
        ("SELECT * FROM (SELECT TOP 2 a FROM t) s", "SELECT * FROM (SELECT  a FROM t LIMIT 2) s"),
    ],
)
def test_expressions(redshift, postgres):
    assert planned(redshift) == [postgres]


def test_create_table_attributes_are_removed_and_recorded():
    steps = planned(
        "CREATE TABLE IF NOT EXISTS s.t (id INT IDENTITY(0, 1) ENCODE az64, k INT DISTKEY, d DATE SORTKEY, "
        "doc SUPER) DISTSTYLE KEY INTERLEAVED SORTKEY (d, k) BACKUP NO"
    )
    assert steps is not None
    create, record = steps
    assert " ".join(create.split()) == (
        "CREATE TABLE IF NOT EXISTS s.t (id INT GENERATED ALWAYS AS IDENTITY (START WITH 0 INCREMENT BY 1) , "
        "k INT , d DATE , doc SUPER)"
    )
    assert record.startswith(
        "INSERT INTO awstwin_redshift.table_attributes AS t (reloid, diststyle, distkey, "
    )
    for part in (
        "'s.t'::regclass",
        "'KEY', 'k'",
        "ARRAY['d','k']::text[]",
        "'INTERLEAVED'",
        "false",
        '\'{"id": "az64"}\'::jsonb',
        "DO NOTHING",
    ):
        assert part in record


def test_alter_table_attributes_answer_alter_table():
    planner = StatementPlanner(SessionState(NoFront(), "dev", "awsuser"))  # type: ignore[arg-type]
    plan = planner.plan_statement("ALTER TABLE public.t ALTER COMPOUND SORTKEY (a, b)")
    assert plan is not None and plan.main.tag == "ALTER TABLE"
    assert "ARRAY['a','b']::text[]" in plan.main.sql and "DO UPDATE SET sortkey" in plan.main.sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "SELECT encode(b, 'hex') FROM t",  # Postgres' own encode(bytea, text)
        "SELECT decode('00', 'hex')",  # Postgres' own two-argument decode
        "COPY t (a, b) FROM STDIN WITH (FORMAT csv)",  # the Glue job's load: Postgres COPY, untouched
        "SELECT max(a) FROM t",
        "SELECT 'nvl(' || x FROM t",  # words inside strings are never touched
    ],
)
def test_statements_postgres_reads_as_they_are_pass_through(sql):
    assert planned(sql) is None


def test_lateral_alias_in_where_is_replaced_by_its_expression():
    assert planned("SELECT c.relname AS table_name FROM pg_class c WHERE table_name = 't'") == [
        "SELECT c.relname AS table_name FROM pg_class c WHERE (c.relname) = 't'"
    ]
    # a real column of the same name wins, as in Redshift
    assert planned("SELECT c.oid AS relname FROM pg_class c WHERE relname = 't'") is None
