"""Where a Glue JDBC connection points and who it logs in as: the one reading of a connection.

A Glue connection of type JDBC has `JDBC_CONNECTION_URL` (`jdbc:<subprotocol>://host:port/db`) and
either `USERNAME`/`PASSWORD` or `SECRET_ID`, a Secrets Manager secret whose JSON holds `username` and
`password` (https://docs.aws.amazon.com/glue/latest/dg/connection-properties.html). The crawler's
JdbcTargets and the job runtime's JDBC reads and loads both resolve connections here; how the secret
is fetched (`read_secret`) is the caller's, so this module needs no AWS client and no Spark.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

# JDBC subprotocol -> its default port (what a URL without a port means)
DEFAULT_PORTS = {"postgresql": 5432, "redshift": 5439, "mysql": 3306, "sqlserver": 1433, "oracle": 1521}
# Subprotocols whose servers speak the Postgres wire protocol: the ones reachable locally.
POSTGRES_WIRE = ("postgresql", "redshift")


class JdbcUrlError(ValueError):
    """A JDBC URL or connection that cannot be used; the message names it and what to fix."""


@dataclass(frozen=True)
class JdbcEndpoint:
    """A resolved JDBC connection: where to connect and as whom."""

    connection_name: str
    subprotocol: str  # postgresql | redshift | mysql | ...
    host: str
    port: int
    database: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sslmode: str | None = None

    def describe(self) -> str:
        return f"{self.host}:{self.port}/{self.database} (Glue connection {self.connection_name!r})"


def parse_jdbc_url(url: str) -> tuple[str, str, int, str, dict[str, str]]:
    """`jdbc:postgresql://host:port/db?user=u` -> (subprotocol, host, port, database, query params)."""
    if not url.startswith("jdbc:"):
        raise JdbcUrlError(f"JDBC URL {url!r} does not start with 'jdbc:'")
    parts = urlsplit(url[len("jdbc:") :])
    if not parts.scheme:
        raise JdbcUrlError(f"JDBC URL {url!r} has no subprotocol (jdbc:<subprotocol>://host:port/database)")
    params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    database = parts.path.lstrip("/") or "dev"
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    return parts.scheme, parts.hostname or "localhost", port, database, params


def resolve(
    name: str,
    properties: dict[str, Any],
    read_secret: Callable[[str], str],
    database: str | None = None,
) -> JdbcEndpoint:
    """The endpoint of Glue connection `name` (its ConnectionProperties); `database` overrides the
    URL's (a crawler's include path or a catalog table's location names the database to use)."""
    url = properties.get("JDBC_CONNECTION_URL")
    if not url:
        raise JdbcUrlError(f"Glue connection {name!r} has no JDBC_CONNECTION_URL")
    subprotocol, host, port, url_database, params = parse_jdbc_url(url)
    user = properties.get("USERNAME") or params.get("user")
    password = properties.get("PASSWORD") or params.get("password")
    if properties.get("SECRET_ID"):
        try:
            secret = json.loads(read_secret(properties["SECRET_ID"]))
        except ValueError as exc:
            raise JdbcUrlError(
                f"secret {properties['SECRET_ID']} of Glue connection {name!r} is not JSON with "
                f"username and password: {exc}"
            ) from None
        user = secret.get("username") or secret.get("user") or user
        password = secret.get("password") or password
    enforce_ssl = str(properties.get("JDBC_ENFORCE_SSL", "")).lower() == "true"
    sslmode = "require" if enforce_ssl else params.get("sslmode")
    return JdbcEndpoint(name, subprotocol, host, port, database or url_database, user, password, sslmode)
