"""Who is calling: the access key a request is signed with, and the database user AWS derives from it.

Temporary credentials (GetCredentials, a Data API call without SecretArn) log in as a database user
named after the caller's IAM identity: `arn:aws:iam::123456789012:user/foo` is `IAM:foo`, an assumed
role `arn:aws:sts::123456789012:assumed-role/R/session` is `IAMR:R`
(https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_ExecuteStatement.html). The
identity is what the endpoint's STS answers for the caller's access key, as GetCallerIdentity would.
Handlers see no HTTP, so `with_caller` keeps the request's access key in a context variable for them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_ACCESS_KEY: contextvars.ContextVar[str | None] = contextvars.ContextVar("awstwin_access_key", default=None)


def access_key_of(environ: dict[str, Any]) -> str | None:
    """The access key id of a SigV4 request (Authorization header or presigned query), else None."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = auth.split("Credential=", 1)[1].split(",", 1)[0] if "Credential=" in auth else ""
    if not credential:
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
    return credential.split("/", 1)[0].strip() or None


def with_caller(app: WsgiApp) -> WsgiApp:
    """`app` with the request's access key available to its handlers (`current_access_key()`)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token = _ACCESS_KEY.set(access_key_of(environ))
        try:
            return app(environ, start_response)
        finally:
            _ACCESS_KEY.reset(token)

    return wrapped


def current_access_key() -> str | None:
    return _ACCESS_KEY.get()


def db_user_for(arn: str) -> str:
    """The database user name Redshift gives an IAM identity (IAM:user, IAMR:role)."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        return "IAMR:" + rest.split("/", 1)[0]
    if kind == "role":
        return "IAMR:" + rest.rsplit("/", 1)[-1]
    return "IAM:" + rest.rsplit("/", 1)[-1]


def caller_arn(sts_client_for: Callable[[str], Any]) -> str:
    """The caller's ARN: the endpoint's STS asked with the caller's own access key."""
    return str(sts_client_for(current_access_key() or "test").get_caller_identity()["Arn"])
