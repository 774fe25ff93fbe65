"""The check in front of every service: local callers only, and a valid signature in strict mode."""

from __future__ import annotations

import logging
from typing import Any

from werkzeug.wrappers import Response

from awstwin.endpoint.security import hosts, wire
from awstwin.endpoint.security.settings import SecuritySettings
from awstwin.endpoint.security.sigv4 import AuthFailure, SigV4Verifier

log = logging.getLogger("awstwin.endpoint.security")

# Answered without a signature even in strict mode (healthchecks poll them with plain HTTP).
UNSIGNED_PATHS = ("/_awstwin/health",)


class RequestGuard:
    """`refuse(environ)` is None for a request the endpoint serves, else the response refusing it."""

    def __init__(self, settings: SecuritySettings):
        self.settings = settings
        self.verifier = SigV4Verifier(settings.credentials) if settings.strict else None

    def refuse(self, environ: dict[str, Any]) -> Response | None:
        refused = hosts.refusal(environ, self.settings)
        if refused is not None:
            header, value = refused
            message = hosts.how_to_allow(header, value)
            log.warning("refused a request from a foreign %s %r: %s", header, value, message)
            code = "AccessDeniedException" if wire.protocol_of(environ) == wire.JSON else "AccessDenied"
            return wire.error_response(environ, code, message, 403)
        if self.verifier is None or self._unsigned_allowed(environ):
            return None
        try:
            self.verifier.verify(environ)
        except AuthFailure as failure:
            protocol = wire.protocol_of(environ)
            code, status = failure.code_and_status(protocol)
            log.warning(
                "strict mode (AWSTWIN_AUTH=sigv4) refused %s %s: %s; sign requests with a key from "
                "AWSTWIN_CREDENTIALS",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                code,
            )
            extra = failure.extra if protocol == wire.S3 else None
            return wire.error_response(environ, code, failure.message(protocol), status, extra)
        return None

    @staticmethod
    def _unsigned_allowed(environ: dict[str, Any]) -> bool:
        path = str(environ.get("PATH_INFO") or "")
        if path.rstrip("/") in UNSIGNED_PATHS:
            return True
        # A CORS preflight carries no credentials by design and changes nothing.
        return environ.get("REQUEST_METHOD") == "OPTIONS" and bool(
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        )
