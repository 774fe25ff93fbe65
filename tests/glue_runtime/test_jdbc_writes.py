"""write_dynamic_frame.from_jdbc_conf into a real Postgres through a Glue connection."""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from awsglue._local.jdbc import JdbcWriteError
from awsglue.dynamicframe import DynamicFrame

_names = itertools.count()


@pytest.fixture(scope="module")
def connection(aws: Callable[[str], Any], warehouse: Any) -> str:
    """A Glue connection with a jdbc:redshift:// URL, served locally by Postgres."""
    url = warehouse.jdbc_url.replace("jdbc:postgresql:", "jdbc:redshift:")
    aws("glue").create_connection(
        ConnectionInput={
            "Name": "runtime-warehouse",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": url,
                "USERNAME": warehouse.user,
                "PASSWORD": warehouse.password,
            },
        }
    )
    return "runtime-warehouse"


@pytest.fixture()
def frame(spark: Any, glue_context: Any) -> DynamicFrame:
    df = spark.createDataFrame(
        [
            (1, 'say "hi"; bye', 1.5, datetime.datetime(2024, 5, 1, 8, 30, 0, 250000), "two\nlines", ""),
            (2, None, None, None, "  padded  ", None),
        ],
        "id int, text string, amount double, at timestamp, note string, blank string",
    )
    return DynamicFrame.fromDF(df, glue_context, "rows")


def table() -> str:
    return f"public.jdbc_{next(_names)}"


def test_rows_arrive_exactly_with_nulls_empties_quotes_and_newlines(
    glue_context: Any, frame: DynamicFrame, connection: str, warehouse: Any
) -> None:
    target = table()
    glue_context.write_dynamic_frame.from_jdbc_conf(
        frame=frame, catalog_connection=connection, connection_options={"dbtable": target, "database": "dev"}
    )
    assert warehouse.execute(f"SELECT id, text, amount, at, note, blank FROM {target} ORDER BY id") == [
        (1, 'say "hi"; bye', 1.5, datetime.datetime(2024, 5, 1, 8, 30, 0, 250000), "two\nlines", ""),
        (2, None, None, None, "  padded  ", None),
    ]
    types = warehouse.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        (target.split(".")[1],),
    )
    assert [t[0] for t in types] == [
        "integer",
        "character varying",
        "double precision",
        "timestamp without time zone",
        "character varying",
        "character varying",
    ]


def test_pre_and_post_actions_run_in_one_transaction_with_the_copy(
    glue_context: Any, frame: DynamicFrame, connection: str, warehouse: Any
) -> None:
    target = table()
    warehouse.execute(
        f"CREATE TABLE {target} (id int, text text, amount float8, at timestamp, note text, blank text)"
    )
    warehouse.execute(f"CREATE TABLE {target}_log (what text)")
    options = {
        "dbtable": target,
        "preactions": f"DELETE FROM {target}; INSERT INTO {target}_log VALUES ('pre; with a semicolon')",
        "postactions": f"INSERT INTO {target}_log SELECT 'loaded ' || count(*) FROM %s",
    }
    for _ in range(2):  # idempotent: the preaction clears what the last load wrote
        glue_context.write_dynamic_frame.from_jdbc_conf(
            frame=frame, catalog_connection=connection, connection_options=options
        )
    assert warehouse.execute(f"SELECT count(*) FROM {target}") == [(2,)]
    assert warehouse.execute(f"SELECT what FROM {target}_log") == [
        ("pre; with a semicolon",),
        ("loaded 2",),
        ("pre; with a semicolon",),
        ("loaded 2",),
    ]


def test_a_failing_action_rolls_everything_back_and_names_the_statement(
    glue_context: Any, frame: DynamicFrame, connection: str, warehouse: Any
) -> None:
    target = table()
    warehouse.execute(
        f"CREATE TABLE {target} (id int, text text, amount float8, at timestamp, note text, blank text)"
    )
    warehouse.execute(f"INSERT INTO {target} (id) VALUES (42)")
    with pytest.raises(JdbcWriteError) as failure:
        glue_context.write_dynamic_frame.from_jdbc_conf(
            frame=frame,
            catalog_connection=connection,
            connection_options={
                "dbtable": target,
                "preactions": f"DELETE FROM {target}",
                "postactions": "UPDATE public.no_such_table SET x = 1",
            },
        )
    message = str(failure.value)
    assert "postaction 1" in message and "UPDATE public.no_such_table SET x = 1" in message
    assert target in message and "rolled back" in message
    assert warehouse.execute(f"SELECT id FROM {target}") == [(42,)]


def test_a_column_the_table_lacks_fails_the_copy_naming_it(
    glue_context: Any, frame: DynamicFrame, connection: str, warehouse: Any
) -> None:
    target = table()
    warehouse.execute(f"CREATE TABLE {target} (id int)")
    with pytest.raises(JdbcWriteError, match='column "text" of relation'):
        glue_context.write_dynamic_frame.from_jdbc_conf(
            frame=frame, catalog_connection=connection, connection_options={"dbtable": target}
        )


def test_staged_files_land_under_redshift_tmp_dir(
    glue_context: Any, frame: DynamicFrame, connection: str, warehouse: Any, aws: Any, bucket: str
) -> None:
    target = table()
    glue_context.write_dynamic_frame.from_jdbc_conf(
        frame=frame,
        catalog_connection=connection,
        connection_options={"dbtable": target},
        redshift_tmp_dir=f"s3://{bucket}/redshift-tmp/",
    )
    staged = aws("s3").list_objects_v2(Bucket=bucket, Prefix="redshift-tmp/").get("Contents", [])
    assert staged and all(o["Key"].endswith(".csv") for o in staged)
    assert warehouse.execute(f"SELECT count(*) FROM {target}") == [(2,)]


def test_credentials_from_secrets_manager(
    glue_context: Any, frame: DynamicFrame, aws: Callable[[str], Any], warehouse: Any
) -> None:
    secret = json.dumps({"username": warehouse.user, "password": warehouse.password})
    aws("secretsmanager").create_secret(Name="runtime/warehouse", SecretString=secret)
    aws("glue").create_connection(
        ConnectionInput={
            "Name": "runtime-secret",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": warehouse.jdbc_url,
                "SECRET_ID": "runtime/warehouse",
            },
        }
    )
    target = table()
    glue_context.write_dynamic_frame.from_jdbc_conf(
        frame=frame, catalog_connection="runtime-secret", connection_options={"dbtable": target}
    )
    assert warehouse.execute(f"SELECT count(*) FROM {target}") == [(2,)]


def test_wrong_password_is_a_connection_error_naming_the_connection(
    glue_context: Any, frame: DynamicFrame, aws: Callable[[str], Any], warehouse: Any
) -> None:
    aws("glue").create_connection(
        ConnectionInput={
            "Name": "runtime-badpass",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": warehouse.jdbc_url,
                "USERNAME": warehouse.user,
                "PASSWORD": "wrong",
            },
        }
    )
    with pytest.raises(JdbcWriteError, match="runtime-badpass"):
        glue_context.write_dynamic_frame.from_jdbc_conf(
            frame=frame, catalog_connection="runtime-badpass", connection_options={"dbtable": table()}
        )


def test_postgresql_from_options_loads_the_same_way(
    glue_context: Any, frame: DynamicFrame, warehouse: Any
) -> None:
    target = table()
    glue_context.write_dynamic_frame.from_options(
        frame=frame,
        connection_type="postgresql",
        connection_options={
            "url": warehouse.jdbc_url,
            "user": warehouse.user,
            "password": warehouse.password,
            "dbtable": target,
        },
    )
    assert warehouse.execute(f"SELECT count(*) FROM {target}") == [(2,)]
