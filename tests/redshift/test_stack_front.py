"""The embedded stack serves the warehouse port with the Redshift front, Postgres behind it privately,
and applies postgres_init/redshift/ (sort keys) through the front as a deploy applies it to Redshift."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import psycopg2
import pytest

from awstwin.core.ports import free_port
from awstwin.core.profile import load_profile
from awstwin.stack.embedded import EmbeddedStack


@pytest.fixture
def stack_dir():
    folder = Path(tempfile.mkdtemp(prefix="awstwin-front-stack-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_warehouse_port_is_the_front_and_redshift_ddl_was_applied(stack_dir):
    profile = load_profile(
        "local", {"aws_endpoint_url": f"http://127.0.0.1:{free_port()}", "warehouse_port": free_port()}
    )
    with EmbeddedStack(profile, stack_dir, echo=lambda _: None) as stack:
        info = stack.info
        assert info is not None and info.warehouse_port == profile.warehouse_port
        assert info.postgres_port not in (None, profile.warehouse_port) and info.front_pid
        assert "redshift-front" in info.logs
        connection = psycopg2.connect(
            host=profile.warehouse_host, port=profile.warehouse_port, user=profile.warehouse_user,
            password=profile.warehouse_password, dbname=profile.warehouse_db,
        )  # fmt: skip
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    'SELECT "table", sortkey1, sortkey_num FROM svv_table_info '
                    "WHERE \"table\" LIKE 'student_performance%' ORDER BY 1"
                )
                assert cursor.fetchall() == [
                    ("student_performance_factors", "ingest_date", 2),
                    ("student_performance_quarantine", "ingest_date", 2),
                ]
                # a cancel request reaches the backend through the front
                threading.Timer(0.5, connection.cancel).start()
                with pytest.raises(psycopg2.errors.QueryCanceled):
                    cursor.execute("SELECT pg_sleep(30)")
        finally:
            connection.close()
