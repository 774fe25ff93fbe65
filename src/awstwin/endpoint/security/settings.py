"""The endpoint's security configuration, read from the environment once at start.

- `AWSTWIN_ALLOWED_HOSTS`: more names the endpoint answers to besides its own (loopback addresses,
  `localhost`, `*.localhost`, `localhost.localstack.cloud` and its subdomains, the address it is bound
  to). Comma-separated; `.example.test` or `*.example.test` allows that name's subdomains. Compose and
  the profiles set it to the names other containers use (`emulator`, `localstack`).
- `AWSTWIN_AUTH`: empty (default) or `sigv4`, the strict mode where every request must be signed.
- `AWSTWIN_CREDENTIALS`: `AKID:SECRET[,AKID2:SECRET2]`, the keys strict mode accepts. Default: the
  `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` of the endpoint's own environment. The first pair is also
  what the endpoint and its Glue jobs sign their own calls to the endpoint with.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_NAMES = ("localhost", "localhost.localstack.cloud")
DEFAULT_SUFFIXES = (".localhost", ".localhost.localstack.cloud")
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::", "[::]")
AUTH_MODES = ("", "none", "sigv4")


class SecurityConfigError(ValueError):
    """The security settings cannot work as given; the message says which variable to fix."""


@dataclass(frozen=True)
class SecuritySettings:
    names: frozenset[str] = frozenset(DEFAULT_NAMES)
    suffixes: tuple[str, ...] = DEFAULT_SUFFIXES
    any_host: bool = False  # AWSTWIN_ALLOWED_HOSTS=* (no Host check at all: only behind your own proxy)
    auth: str = ""
    credentials: Mapping[str, str] = field(default_factory=dict)

    @property
    def strict(self) -> bool:
        return self.auth == "sigv4"

    @property
    def own_credentials(self) -> tuple[str, str]:
        """The key pair the endpoint (and the Glue jobs it runs) sign their own calls to it with."""
        return next(iter(self.credentials.items()), ("test", "test"))

    @classmethod
    def from_env(
        cls, bound_host: str = "127.0.0.1", environ: Mapping[str, str] | None = None
    ) -> SecuritySettings:
        env = os.environ if environ is None else environ
        names = set(DEFAULT_NAMES)
        suffixes = list(DEFAULT_SUFFIXES)
        if bound_host not in WILDCARD_ADDRESSES:
            names.add(normalize_name(bound_host))
        any_host = False
        for item in (env.get("AWSTWIN_ALLOWED_HOSTS") or "").split(","):
            item = item.strip().lower()
            if not item:
                continue
            if item == "*":
                any_host = True
            elif item.startswith(("*.", ".")):
                suffixes.append("." + item.lstrip("*.").rstrip("."))
            else:
                names.add(normalize_name(item))
        auth = (env.get("AWSTWIN_AUTH") or "").strip().lower()
        if auth not in AUTH_MODES:
            raise SecurityConfigError(f"AWSTWIN_AUTH={auth!r} is not a mode; use sigv4, or leave it empty")
        credentials = parse_credentials(env)
        if auth == "sigv4" and not credentials:
            raise SecurityConfigError(
                "AWSTWIN_AUTH=sigv4 needs the keys it accepts: set AWSTWIN_CREDENTIALS=AKID:SECRET "
                "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the endpoint"
            )
        return cls(
            frozenset(names), tuple(suffixes), any_host, "sigv4" if auth == "sigv4" else "", credentials
        )


def normalize_name(name: str) -> str:
    """Host names compare case-insensitively and without the root's trailing dot; IPv6 unbracketed."""
    name = name.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name[:-1] if name.endswith(".") else name


def parse_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """`AWSTWIN_CREDENTIALS=AKID:SECRET,...`, else the environment's own AWS key pair."""
    given = (environ.get("AWSTWIN_CREDENTIALS") or "").strip()
    pairs: dict[str, str] = {}
    for item in given.split(","):
        if not item.strip():
            continue
        key, sep, secret = item.strip().partition(":")
        if item.strip() == ":":  # `${KEY:-}:${SECRET:-}` with neither set: not given
            continue
        if not sep or not key or not secret:
            raise SecurityConfigError(
                f"AWSTWIN_CREDENTIALS has an entry without a secret ({key or item!r}); "
                "write AKID:SECRET pairs separated by commas"
            )
        pairs[key] = secret
    if pairs:
        return pairs
    key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    return {key: secret} if key and secret else {}
