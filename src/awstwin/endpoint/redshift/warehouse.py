"""The warehouse every workgroup runs on: the Redshift front at the endpoint's `warehouse_endpoint`.

One local warehouse stands in for the compute of each Redshift Serverless workgroup; the namespace's
admin user (given to CreateNamespace) is the warehouse user the endpoint acts as when it must, like
Redshift's own service does: to create the database users that temporary credentials log in as.
Every connection goes through the front, so statements get its Redshift translation, COPY and UNLOAD;
the endpoint only speaks the Postgres wire protocol to it (psycopg2), as any Redshift client does.
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
from psycopg2 import sql

# Temporary passwords: Redshift wants 8-64 characters with upper, lower case and a digit.
_ALPHABET = string.ascii_letters + string.digits


class WarehouseUnreachable(Exception):
    """The warehouse did not accept a connection; the message names where and why."""


class Session:
    """One logged-in connection to the warehouse (autocommit unless a batch says otherwise)."""

    def __init__(self, connection: Any):
        self.connection = connection

    @property
    def backend_pid(self) -> int:
        return int(self.connection.get_backend_pid())

    def close(self) -> None:
        self.connection.close()


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"warehouse endpoint {text!r} is not host:port (AWSTWIN_WAREHOUSE_ENDPOINT)")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def temporary_password() -> str:
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(32))
        kinds = (str.islower, str.isupper, str.isdigit)
        if all(any(kind(c) for c in password) for kind in kinds):
            return password


class Warehouse:
    def __init__(self, address: Address):
        self.address = address
        self._lock = threading.Lock()
        # db user -> (password, valid until): one Postgres role holds one password, so credentials
        # handed out earlier stay valid while newer ones for the same user are (see `temporary_login`).
        self._logins: dict[str, tuple[str, datetime]] = {}

    def connect(self, user: str, password: str, database: str) -> Session:
        try:
            connection = psycopg2.connect(
                host=self.address.host,
                port=self.address.port,
                user=user,
                password=password,
                dbname=database,
                connect_timeout=10,
                application_name="awstwin-redshift-data",
            )
        except psycopg2.OperationalError as exc:
            reason = " ".join(str(exc).split())
            raise WarehouseUnreachable(f"the warehouse at {self.address} refused {user!r}: {reason}") from exc
        connection.autocommit = True
        return Session(connection)

    def temporary_login(
        self,
        admin: tuple[str, str],
        database: str,
        db_user: str,
        valid_until: datetime,
        needed_until: datetime | None = None,
    ) -> str:
        """A password `db_user` logs in with until `valid_until` (the role is created when new).

        Postgres keeps one password per role, so while an earlier password of the user is still
        valid it is handed out again and its validity extended: every credential issued stays good at
        least until its own expiration, as on Redshift. A caller that only needs to log in now
        (`needed_until`) gets a known password that is good until then without a trip to the warehouse.
        """
        with self._lock:
            known = self._logins.get(db_user)
            if known and known[1] >= (needed_until or valid_until):
                return known[0]
            password = known[0] if known and known[1] > datetime.now(valid_until.tzinfo) else None
            until = max(valid_until, known[1]) if password and known else valid_until
            session = self.connect(admin[0], admin[1], database)
            try:
                with session.connection.cursor() as cursor:
                    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (db_user,))
                    exists = cursor.fetchone() is not None
                    role = sql.Identifier(db_user)
                    if password is None:
                        password = temporary_password()
                        verb = "ALTER ROLE {} WITH LOGIN" if exists else "CREATE ROLE {} WITH LOGIN"
                        statement = sql.SQL(verb + " PASSWORD %s VALID UNTIL %s").format(role)
                        cursor.execute(statement, (password, until.isoformat()))
                    else:
                        statement = sql.SQL("ALTER ROLE {} VALID UNTIL %s").format(role)
                        cursor.execute(statement, (until.isoformat(),))
            finally:
                session.close()
            self._logins[db_user] = (password, until)
            return password
