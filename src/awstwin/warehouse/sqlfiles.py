"""Apply a folder of *.sql files in name order with psql, the way `postgres:16` runs its init scripts.

psql (bundled with the binaries) reads each file as written, so psql meta-commands, dollar quoting
and comments behave as in the compose stack's container, and a failure is reported as
`psql:<file>:<line>: ERROR: ...`, which becomes a SqlFileError naming the file and the line.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from awstwin.warehouse.errors import SqlFileError, WarehouseError
from awstwin.warehouse.runtime import PgRuntime

_PSQL_ERROR = re.compile(r"^psql:(?P<file>.+?):(?P<line>\d+): (?P<message>.*)$", re.MULTILINE)


def sql_files(folder: Path) -> list[Path]:
    """The *.sql files directly in `folder`, in name order (01_schema.sql before 02_marts.sql)."""
    if not folder.is_dir():
        raise WarehouseError(f"SQL folder {folder} does not exist")
    return sorted((p for p in folder.glob("*.sql") if p.is_file()), key=lambda p: p.name)


def run_file(
    psql: str, path: Path, params: Mapping[str, object], *, single_transaction: bool, timeout: float
) -> None:
    """Run one file with ON_ERROR_STOP; raise SqlFileError on the first failing statement."""
    command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-w", "-f", str(path)]
    command += [f"--host={params['host']}", f"--port={params['port']}"]
    command += [f"--username={params['user']}", f"--dbname={params['dbname']}"]
    if single_transaction:
        command.append("--single-transaction")
    env = {**os.environ, "PGPASSWORD": str(params["password"]), "PGAPPNAME": "awstwin-sql-files"}
    env.pop("PGOPTIONS", None)
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise SqlFileError(path, None, f"still running after {timeout:.0f} s") from error
    if done.returncode == 0:
        return
    match = _PSQL_ERROR.search(done.stderr)
    if match:
        following = done.stderr[match.end() :].strip()
        message = match.group("message") + (f"\n{following}" if following else "")
        raise SqlFileError(path, int(match.group("line")), message)
    raise SqlFileError(path, None, done.stderr.strip() or f"psql exited with {done.returncode}")


def apply_to(folders: list[Path], params: Mapping[str, object], *, timeout: float = 300.0) -> list[Path]:
    """Apply each folder's files in order to any Postgres-protocol warehouse (Redshift too).

    Used where no local cluster is ours to start: `make run PROFILE=aws` applies postgres_init/ and
    then postgres_init/redshift/ to the Redshift Serverless workgroup, as the local stacks do at start.
    """
    psql = PgRuntime().tool("psql")
    applied = []
    for folder in folders:
        for path in sql_files(folder):
            run_file(psql, path, params, single_transaction=True, timeout=timeout)
            applied.append(path)
    return applied
