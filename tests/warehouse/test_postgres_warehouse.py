"""The Redshift stand-in: a real Postgres on TCP, SQL folders applied with file and line in errors,
restarts that keep data, and a stop that leaves no process behind."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

import psutil
import psycopg2
import pytest

from awstwin.warehouse import PortInUseError, SqlFileError, Warehouse, WarehouseError, runtime


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_tables_are_created_and_queried_over_tcp(warehouse: Warehouse) -> None:
    connection = psycopg2.connect(warehouse.dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("CREATE TABLE tcp_check (id int PRIMARY KEY, name varchar(20))")
            cursor.execute("INSERT INTO tcp_check VALUES (1, 'one'), (2, 'two')")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_database(), current_user, inet_server_port(), count(*) FROM tcp_check"
            )
            assert cursor.fetchone() == ("dev", "awsuser", warehouse.port, 2)
    finally:
        connection.close()
    assert warehouse.jdbc_url == f"jdbc:postgresql://127.0.0.1:{warehouse.port}/dev"


def test_a_wrong_password_is_refused(warehouse: Warehouse) -> None:
    params = warehouse.connection_params() | {"password": "wrong"}
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(**params)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs another identity for Postgres")
def test_as_root_the_server_is_root_in_a_user_namespace_and_no_account_is_made(warehouse: Warehouse) -> None:
    """Postgres refuses euid 0: as root it runs inside a user namespace as `nobody`, which the kernel
    outside still sees as root, so it needs no account of its own and no folder opened up."""
    assert warehouse.pid is not None
    assert psutil.Process(warehouse.pid).uids().effective == 0  # root to the system
    own_namespace = os.readlink("/proc/self/ns/user")
    assert os.readlink(f"/proc/{warehouse.pid}/ns/user") != own_namespace
    mapping = Path(f"/proc/{warehouse.pid}/uid_map").read_text().split()
    assert mapping[1:] == ["0", "1"] and mapping[0] == str(pwd.getpwnam("nobody").pw_uid)
    assert (warehouse.pgdata.stat().st_uid, warehouse.pgdata.stat().st_mode & 0o777) == (0, 0o700)
    assert (warehouse.data_dir.stat().st_mode & 0o777, warehouse.log_path.stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )


def test_as_root_a_cluster_an_older_version_made_as_embedded_postgres_is_handed_back(
    cluster_dir: Path,
) -> None:
    """Older versions ran the server as the system user `embedded_postgres`, which owned the cluster;
    root in a user namespace cannot open such files, so they are handed back to root (inside the
    warehouse folder only) and the data is kept."""
    if os.geteuid() != 0:
        pytest.skip("only root ran the server as another account")
    try:
        legacy = pwd.getpwnam(runtime.LEGACY_ACCOUNT)
    except KeyError:
        pytest.skip(f"no {runtime.LEGACY_ACCOUNT} account here: no older cluster can exist")
    first = Warehouse(cluster_dir / "wh", port=0).start()
    first.execute("CREATE TABLE legacy_kept (x int)")
    first.execute("INSERT INTO legacy_kept VALUES (7)")
    first.stop()
    for path in [first.data_dir, *first.data_dir.rglob("*")]:
        os.chown(path, legacy.pw_uid, legacy.pw_gid, follow_symlinks=False)
    again = Warehouse(cluster_dir / "wh", port=0, password=first.password).start()
    try:
        assert again.execute("SELECT x FROM legacy_kept") == [(7,)]
        assert {p.stat().st_uid for p in [again.data_dir, *again.pgdata.rglob("*")]} == {0}
        assert cluster_dir.stat().st_uid == 0  # nothing above the warehouse folder was touched
    finally:
        again.stop()


def test_as_root_without_user_namespaces_it_refuses_before_acting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where `unshare --user` is not allowed (a container sandbox), nothing is created or changed: the
    error says what to do. (Simulated by an `unshare` that fails as a seccomp-blocked one does.)"""
    if os.geteuid() != 0:
        pytest.skip("only root needs a user namespace for Postgres")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "unshare").write_text(
        "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n"
    )
    (fake / "unshare").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.delenv("AWSTWIN_WAREHOUSE_USER", raising=False)
    runtime.user_namespace_prefix.cache_clear()
    try:
        with pytest.raises(WarehouseError, match="Operation not permitted.*AWSTWIN_WAREHOUSE_USER"):
            Warehouse(tmp_path / "wh", port=0).start()
    finally:
        runtime.user_namespace_prefix.cache_clear()
    assert not (tmp_path / "wh" / "pgdata").exists()


def test_sql_files_run_in_name_order_and_an_error_names_file_and_line(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    (tmp_path / "10_views.sql").write_text("CREATE VIEW sql_dir_v AS SELECT count(*) AS n FROM sql_dir_t;\n")
    (tmp_path / "02_tables.sql").write_text(
        "-- the table first\nCREATE TABLE sql_dir_t (x int);\nINSERT INTO sql_dir_t VALUES (1), (2);\n"
    )
    (tmp_path / "notes.txt").write_text("not SQL")
    applied = warehouse.apply_sql_dir(tmp_path)
    assert [p.name for p in applied] == ["02_tables.sql", "10_views.sql"]
    assert warehouse.execute("SELECT n FROM sql_dir_v") == [(2,)]

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "01_half.sql").write_text(
        "CREATE TABLE sql_dir_half (x int);\n\nINSERT INTO sql_dir_half\n  VALUES ('not a number');\n"
    )
    (bad / "02_never.sql").write_text("CREATE TABLE sql_dir_never (x int);\n")
    with pytest.raises(SqlFileError) as caught:
        warehouse.apply_sql_dir(bad)
    assert caught.value.path == bad / "01_half.sql"
    assert caught.value.line == 4
    assert str(caught.value).startswith(f"{bad / '01_half.sql'}:4: ERROR:")
    assert "invalid input syntax for type integer" in str(caught.value)
    tables = warehouse.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'sql_dir_%' ORDER BY 1")
    assert tables == [("sql_dir_t",)]  # the failed file rolled back whole; the next one never ran


def test_restart_keeps_data_reuses_a_running_server_and_stop_leaves_no_process(cluster_dir: Path) -> None:
    first = Warehouse(cluster_dir / "wh", port=0).start()
    try:
        assert first.created and first.is_running()
        first.execute("CREATE TABLE kept (x int)")
        first.execute("INSERT INTO kept VALUES (42)")
        same = Warehouse(cluster_dir / "wh", port=first.port).start()  # reuse: same server, not a second one
        assert (same.pid, same.created) == (first.pid, False)
        moved = Warehouse(cluster_dir / "wh", port=0).start()  # port 0 adopts the running server's port
        assert moved.pid == first.pid

        postmaster = psutil.Process(first.pid)
        family = [postmaster.pid, *(child.pid for child in postmaster.children(recursive=True))]
        assert len(family) > 3  # checkpointer, walwriter, ... are children of the postmaster
        first.stop()
        assert not first.is_running()
        assert [pid for pid in family if alive(pid)] == []
        assert not (cluster_dir / "wh" / "pgdata" / "postmaster.pid").exists()

        again = Warehouse(cluster_dir / "wh", port=0).start()
        assert not again.created
        assert again.execute("SELECT x FROM kept") == [(42,)]
        with pytest.raises(WarehouseError, match="initialised with other credentials"):
            Warehouse(cluster_dir / "wh", port=again.port, password="Other-password-1").start()
    finally:
        Warehouse(cluster_dir / "wh").stop()
    assert not first.is_running()


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            Warehouse(tmp_path / "wh", port=port).start()
    assert not (tmp_path / "wh" / "pgdata").exists()  # refused before any initdb


def test_missing_binaries_and_a_foreign_folder_are_explained(tmp_path: Path) -> None:
    with pytest.raises(
        WarehouseError, match="PostgreSQL binaries missing in .*initdb, pg_ctl, postgres, psql"
    ):
        Warehouse(tmp_path / "a", port=0, bin_dir=tmp_path / "nowhere").start()
    (tmp_path / "b" / "pgdata").mkdir(parents=True)
    (tmp_path / "b" / "pgdata" / "notes.txt").write_text("mine")
    with pytest.raises(WarehouseError, match="holds files but no PostgreSQL cluster"):
        Warehouse(tmp_path / "b", port=0).start()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: this process must still read what pg_ctl cannot")
def test_stop_works_even_when_pg_ctl_cannot_read_the_folder(cluster_dir: Path) -> None:
    server = Warehouse(cluster_dir / "wh", port=0).start()
    pid = server.pid
    assert pid is not None
    # pg_ctl (root in a user namespace: no override of permissions) cannot read postmaster.pid any more,
    # while this process (root) can: the stop falls back to signals.
    server.pgdata.chmod(0)
    try:
        server.stop(timeout=5)
    finally:
        server.pgdata.chmod(0o700)
    assert not alive(pid)
