"""The second wall: a query's DuckDB connection reaches only the files it was handed, even if a
DuckDB function got past the language check.

These tests talk to the locked connection directly (as if `language.py` had a hole), with the
settings `sandbox.py` applies, in the installed DuckDB. DuckDB documents the settings:
https://duckdb.org/docs/stable/configuration/overview and https://duckdb.org/docs/stable/operations_manual/securing_duckdb/overview
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.security.conftest import Listener, Secrets

from awstwin.endpoint.athena import sandbox


@pytest.fixture
def allowed_csv(tmp_path: Path) -> Path:
    path = tmp_path / "catalog" / "part-0.csv"
    path.parent.mkdir()
    path.write_text("1,alpha\n")
    return path


@pytest.fixture
def locked(tmp_path: Path, allowed_csv: Path, listener: Listener) -> duckdb.DuckDBPyConnection:
    scratch = tmp_path / "scratch"
    (scratch / "spill").mkdir(parents=True)
    # Any extension download would go to the listener, where the test would see it.
    con = sandbox.connect(
        {
            "temp_directory": str(scratch / "spill"),
            "custom_extension_repository": f"http://127.0.0.1:{listener.port}",
        }
    )
    sandbox.lock(con, [scratch], [allowed_csv])
    return con


def test_every_setting_the_wall_needs_exists_in_the_installed_duckdb() -> None:
    con = duckdb.connect()
    sandbox.verify_settings(con)  # raises naming any missing setting
    known = {row[0] for row in con.execute("SELECT name FROM duckdb_settings()").fetchall()}
    assert set(sandbox.CONNECT_SETTINGS) | set(sandbox.LOCK_SETTINGS) <= known


def test_the_locked_connection_reports_its_settings(
    locked: duckdb.DuckDBPyConnection, allowed_csv: Path
) -> None:
    def setting(name: str) -> str:
        return str(locked.execute("SELECT current_setting(?)", [name]).fetchone()[0]).lower()

    assert setting("enable_external_access") == "false"
    assert setting("lock_configuration") == "true"
    assert setting("autoinstall_known_extensions") == "false"
    assert setting("autoload_known_extensions") == "false"
    assert setting("allow_community_extensions") == "false"
    assert str(allowed_csv).lower() in setting("allowed_paths")


def test_the_files_it_was_handed_are_readable(locked: duckdb.DuckDBPyConnection, allowed_csv: Path) -> None:
    assert locked.execute(f"SELECT * FROM read_csv('{allowed_csv}', header=false)").fetchall() == [
        (1, "alpha")
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_text('/proc/self/environ')",
        "SELECT * FROM read_text('{text}')",
        "SELECT * FROM read_json_auto('{json}')",
        "SELECT * FROM read_parquet('{parquet}')",
        "SELECT * FROM parquet_scan('{parquet}')",
        "SELECT * FROM read_csv_auto('{text}')",
        "SELECT * FROM read_blob('{text}')",
        "SELECT * FROM sniff_csv('{text}')",
        "SELECT * FROM glob('{folder}/*')",
        "SELECT * FROM '{text}'",
        "SELECT * FROM read_text('{catalog}/../../secret.txt')",
        "COPY (SELECT 1) TO '{folder}/out.csv'",
        "ATTACH '{folder}/new.db' AS stolen",
        "EXPORT DATABASE '{folder}/export'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET allowed_paths = ['{text}']",
        "SET allowed_directories = ['/']",
        "SET lock_configuration = false",
        "SELECT * FROM read_csv('http://127.0.0.1:{port}/x.csv')",
        "SELECT * FROM read_parquet('s3://bucket/key.parquet')",
        "SELECT * FROM read_text('https://127.0.0.1:{port}/')",
    ],
)
def test_anything_else_is_refused_without_a_file_opened_or_a_connection_made(
    locked: duckdb.DuckDBPyConnection, secrets: Secrets, allowed_csv: Path, listener: Listener, sql: str
) -> None:
    statement = sql.format(
        text=secrets.text,
        json=secrets.json,
        parquet=secrets.parquet,
        folder=secrets.folder,
        catalog=allowed_csv.parent,
        port=listener.port,
    )
    before = sorted(secrets.folder.rglob("*"))
    with pytest.raises(
        (duckdb.PermissionException, duckdb.InvalidInputException, duckdb.CatalogException)
    ) as refused:
        locked.execute(statement).fetchall()
    assert secrets.marker not in str(refused.value)
    assert sorted(secrets.folder.rglob("*")) == before
    assert listener.connections == 0
