"""Clients we did not write, connected to the front unchanged: Amazon's redshift_connector (extended
protocol), SQLAlchemy with sqlalchemy-redshift, and Airflow's RedshiftSQLHook and PostgresHook."""

from __future__ import annotations

import json
import uuid

import psycopg2
import pytest
import redshift_connector
import sqlalchemy
from tests.redshift.conftest import rows


def test_redshift_connector_runs_redshift_sql_over_the_extended_protocol(front, warehouse, aws, bucket):
    aws("s3").put_object(Bucket=bucket, Key="rc/data.csv", Body=b"1,ann\n2,bob\n")
    connection = redshift_connector.connect(
        host=front.host,
        port=front.port,
        user=warehouse.user,
        password=warehouse.password,
        database="dev",
        ssl=False,  # the front speaks no TLS; Redshift requires it by default
    )
    connection.autocommit = True
    name = f"rc_{uuid.uuid4().hex[:8]}"
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"CREATE TABLE {name} (id INT IDENTITY(1,1), n INT DISTKEY, who VARCHAR(MAX)) SORTKEY (n)"
        )
        cursor.execute(f"COPY {name} (n, who) FROM 's3://{bucket}/rc/' IAM_ROLE 'arn:aws:iam::1:role/r' CSV")
        cursor.execute(
            f"SELECT id, who, nvl2(who, 'yes', 'no'), datediff(day, '2024-01-01', '2024-03-01') "
            f"FROM {name} WHERE n = %s",
            (2,),
        )
        assert cursor.fetchall() == ([2, "bob", "yes", 60],)
        cursor.execute("SELECT pg_last_copy_count()")
        assert cursor.fetchone() == [2]
        cursor.execute(f"SELECT \"column\", distkey, sortkey FROM pg_table_def WHERE tablename = '{name}'")
        assert sorted(map(tuple, cursor.fetchall())) == [("id", False, 0), ("n", True, 1), ("who", False, 0)]
        with pytest.raises(redshift_connector.ProgrammingError, match="does not exist"):
            cursor.execute("SELECT * FROM no_such_table")
        connection.rollback()
        cursor.execute("SELECT 1")  # the session goes on after an error
        assert cursor.fetchone() == [1]
    finally:
        connection.close()


def test_sqlalchemy_redshift_dialect(front, warehouse):
    # sqlalchemy-redshift asks for verify-full TLS against Amazon's CA by default; the front speaks plain text
    url = f"redshift+psycopg2://{warehouse.user}:{warehouse.password}@{front.host}:{front.port}/dev?sslmode=disable"
    engine = sqlalchemy.create_engine(url)
    name = f"sa_{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.text(f"CREATE TABLE {name} (a INT ENCODE az64, b VARCHAR(10)) DISTSTYLE ALL")
            )
            connection.execute(sqlalchemy.text(f"INSERT INTO {name} VALUES (1, 'x')"))
        inspector = sqlalchemy.inspect(engine)
        assert name in inspector.get_table_names()  # Redshift's catalog query: reldiststyle, svv_external_*
        # get_columns() runs Redshift's reflection query through the front too, but sqlalchemy-redshift
        # 1.0.0 then calls PGDialect._reflect_type with arguments SQLAlchemy 2.1 no longer takes.
        with engine.connect() as connection:
            reflected = connection.execute(
                sqlalchemy.text(
                    "SELECT att.attname, format_encoding(att.attencodingtype::integer), att.attisdistkey, "
                    "adsrc "
                    "FROM pg_catalog.pg_attribute att LEFT JOIN pg_catalog.pg_attrdef ad ON "
                    "(att.attrelid, att.attnum) = (ad.adrelid, ad.adnum) "
                    f"WHERE att.attrelid = '{name}'::regclass AND att.attnum > 0 ORDER BY att.attnum"
                )
            ).all()
        assert reflected == [("a", "az64", False, None), ("b", "none", False, None)]
        with engine.connect() as connection:
            assert connection.execute(
                sqlalchemy.text(f"SELECT b, getdate() IS NOT NULL FROM {name}")
            ).all() == [("x", True)]
    finally:
        engine.dispose()


def test_airflow_redshift_and_postgres_hooks(front, warehouse, monkeypatch):
    base = {
        "conn_type": "redshift",
        "host": front.host,
        "port": front.port,
        "login": warehouse.user,
        "password": warehouse.password,
        "schema": "dev",
    }
    monkeypatch.setenv("AIRFLOW_CONN_REDSHIFT_LOCAL", json.dumps({**base, "extra": {"ssl": False}}))
    monkeypatch.setenv("AIRFLOW_CONN_POSTGRES_LOCAL", json.dumps({**base, "conn_type": "postgres"}))
    from airflow.providers.amazon.aws.hooks.redshift_sql import RedshiftSQLHook
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    redshift = RedshiftSQLHook(redshift_conn_id="redshift_local")
    assert redshift.get_first(
        "SELECT nvl(NULL, 5), listagg(x, '-') WITHIN GROUP (ORDER BY x DESC) "
        "FROM (SELECT 'a' AS x UNION ALL SELECT 'b') t"
    ) == [5, "b-a"]
    postgres = PostgresHook(postgres_conn_id="postgres_local")
    assert postgres.get_first("SELECT decode(2, 1, 'one', 2, 'two'), sysdate IS NOT NULL") == ("two", True)


def test_psycopg2_multi_statement_and_errors_keep_the_session_usable(connect):
    connection = connect(autocommit=False)
    pid = connection.get_backend_pid()  # the backend's own, passed through by the front
    assert rows(
        connection, "SELECT trim(user_name), trim(db_name) FROM stv_sessions WHERE process = %s", (pid,)
    ) == [("awsuser", "dev")]
    name = f"ps_{uuid.uuid4().hex[:8]}"
    rows(
        connection,
        f"CREATE TABLE {name} (a INT SORTKEY) DISTSTYLE EVEN; INSERT INTO {name} VALUES (1); SELECT 1",
    )
    connection.commit()
    with pytest.raises(Exception, match="division by zero"):
        rows(connection, f"ALTER TABLE {name} ALTER DISTKEY a; SELECT 1 / 0")
    connection.rollback()  # the ALTER went with the failed transaction
    assert rows(connection, f"SELECT diststyle FROM svv_table_info WHERE \"table\" = '{name}'") == [("EVEN",)]
    rows(connection, f"ALTER TABLE {name} ALTER DISTKEY a")
    connection.commit()
    assert rows(connection, f"SELECT diststyle FROM svv_table_info WHERE \"table\" = '{name}'") == [
        ("KEY(a)",)
    ]


def test_front_session_is_what_the_data_api_runs_statements_through(front, warehouse, aws, bucket):
    aws("s3").put_object(Bucket=bucket, Key="api/data.csv", Body=b"1,a\n2,b\n3,c\n")
    with front.session(warehouse.user, warehouse.password) as session:
        session.execute("CREATE TEMP TABLE api (id INT, name VARCHAR(5))")
        loaded = session.execute(f"COPY api FROM 's3://{bucket}/api/' IAM_ROLE default CSV")
        assert (loaded.tag, loaded.rowcount) == ("COPY 3", 3)
        assert any("3 record(s) loaded successfully" in line for line in loaded.notices)
        result = session.execute("SELECT id, name, pg_last_copy_count() FROM api ORDER BY id")  # same session
        assert [(c.name, c.type_name) for c in result.columns] == [
            ("id", "int4"),
            ("name", "varchar"),
            ("pg_last_copy_count", "int4"),
        ]
        assert result.rows == [(1, "a", 3), (2, "b", 3), (3, "c", 3)]
        unloaded = session.execute(
            f"UNLOAD ('SELECT * FROM api') TO 's3://{bucket}/api-out/' IAM_ROLE default"
        )
        assert unloaded.tag == "UNLOAD" and unloaded.rows == []


def test_a_failed_copy_over_the_extended_protocol_leaves_the_session_usable(front, warehouse, aws, bucket):
    aws("s3").put_object(Bucket=bucket, Key="ext/bad.csv", Body=b"1,a\nx,b\n")
    connection = redshift_connector.connect(
        host=front.host, port=front.port, user=warehouse.user, password=warehouse.password, database="dev",
        ssl=False,
    )  # fmt: skip
    try:
        cursor = connection.cursor()
        cursor.execute("CREATE TEMP TABLE ext_target (id INT, name VARCHAR(5))")
        with pytest.raises(redshift_connector.ProgrammingError, match="Check 'stl_load_errors'"):
            cursor.execute(f"COPY ext_target FROM 's3://{bucket}/ext/' IAM_ROLE default CSV")
        connection.rollback()
        cursor.execute("CREATE TEMP TABLE ext_target (id INT, name VARCHAR(5))")  # rolled back with the COPY
        cursor.execute(f"COPY ext_target FROM 's3://{bucket}/ext/' IAM_ROLE default CSV MAXERROR 1")
        cursor.execute("SELECT id, name FROM ext_target")
        assert cursor.fetchall() == ([1, "a"],)
        connection.commit()
    finally:
        connection.close()


def test_a_wrong_password_is_refused_with_postgres_own_message(front, warehouse):
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed for user"):
        psycopg2.connect(
            host=front.host, port=front.port, user=warehouse.user, password="Wrong-pass-1", dbname="dev"
        )
