"""Only local callers: the `Host` and `Origin` a request carries must be the endpoint's own names.

A web page can reach 127.0.0.1:4566 from the developer's browser in two ways, and both show here:
- DNS rebinding: the page's own name is made to resolve to 127.0.0.1, so the browser sends
  `Host: rebind.attacker.example:4566`. Only the endpoint's names pass (loopback addresses in any
  IPv4/IPv6 spelling, `localhost`, `*.localhost`, `localhost.localstack.cloud` and its subdomains, the
  bound address, `AWSTWIN_ALLOWED_HOSTS`); the port is not part of the check.
- A cross-origin request from a foreign page: browsers add `Origin: https://attacker.example` (or
  `null`) to every request that could change state. An Origin that is not one of the names above is
  refused too, so no Access-Control-Allow-Origin ever answers a foreign page.
S3's own virtual-host names (`bucket.s3.amazonaws.com`) pass as a Host, never as an Origin.
A malformed Host (spaces, `user@`, `%`-escapes, a bare IPv6 address, two ports) is refused rather
than guessed at. Clients without a browser (SDKs, the CLI, curl) send `Host: 127.0.0.1:4566`.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from awstwin.endpoint.security.settings import SecuritySettings, normalize_name

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
# S3's own names, which clients that point AWS's host names at the endpoint send as Host (virtual-host
# addressing: `bucket.s3.us-east-1.amazonaws.com`). Nobody can rebind AWS's DNS, so they are safe as a
# Host; never as an Origin: anyone can serve a page from an S3 bucket.
AWS_S3_HOST = re.compile(r"^(?:.+\.)?s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")


def parse_host(value: str) -> str | None:
    """`Example.COM.:4566` -> `example.com`, `[::1]:4566` -> `::1`; None when it is not a valid Host."""
    value = value.strip()
    if not value or any(c.isspace() for c in value):
        return None
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1 :] if end > 0 else ""
        if end < 0 or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        try:
            return str(ipaddress.IPv6Address(value[1:end]))
        except ValueError:
            return None
    name, sep, port = value.partition(":")
    if sep and not (port.isdigit() and len(port) <= 5):
        return None
    name = normalize_name(name)
    if not name or not name.isascii() or not set(name) <= _NAME_CHARS or ".." in name:
        return None
    return name


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped is not None and mapped.is_loopback)


def is_own_name(host: str, settings: SecuritySettings) -> bool:
    if settings.any_host or is_loopback(host) or host in settings.names:
        return True
    try:  # an allowed address written another way (`0:0:0:0:0:0:0:1`)
        return str(ipaddress.ip_address(host)) in settings.names
    except ValueError:
        return any(host.endswith(suffix) for suffix in settings.suffixes)


def origin_host(origin: str) -> str | None:
    """The host of an `Origin` header (`http://localhost:3000` -> `localhost`); None for `null`."""
    try:
        parts = urlsplit(origin.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        return None
    return parse_host(parts.netloc) if "@" not in parts.netloc else None


def refusal(environ: dict[str, object], settings: SecuritySettings) -> tuple[str, str] | None:
    """(header, value) of the Host or Origin that is not the endpoint's own, or None when local."""
    raw_host = str(environ.get("HTTP_HOST") or "")
    host = parse_host(raw_host)
    if host is None or not (is_own_name(host, settings) or AWS_S3_HOST.match(host)):
        return "Host", raw_host
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None:
        named = origin_host(str(origin))
        if named is None or not is_own_name(named, settings):
            return "Origin", str(origin)
    return None


def how_to_allow(header: str, value: str) -> str:
    """The refusal message: what was refused and the one setting that allows it."""
    name = parse_host(value) if header == "Host" else origin_host(value)
    shown = name or "<name>"
    return (
        f"The local endpoint answers only local callers; the {header} {value!r} is not one of its names "
        f"(loopback addresses, localhost, *.localhost). To allow it, start the endpoint with "
        f"AWSTWIN_ALLOWED_HOSTS={shown} (comma-separated; .{shown} allows its subdomains)."
    )
