"""Strict mode (`AWSTWIN_AUTH=sigv4`): a request is served only if its SigV4 signature verifies.

The signature is recomputed with botocore's own signer (`SigV4Auth`, `S3SigV4Auth` and their
presigned-URL forms: the same canonical request, string to sign and key derivation every boto3 client
uses) from the request as received: method, raw path and query, the headers it says it signed, and
the payload hash it declares in `x-amz-content-sha256` (S3's `UNSIGNED-PAYLOAD` and the streaming
`STREAMING-...` values are signed as they are, as AWS accepts them; the chunk signatures of a
streaming upload are not checked again) or else the body's SHA-256.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

Refusals are AWS's own, per protocol (`FAILURES`), with AWS's status and text:
no signature -> MissingAuthenticationToken(Exception) / S3 AccessDenied; malformed -> IncompleteSignature
(S3 AuthorizationHeaderMalformed); unknown key -> UnrecognizedClientException / InvalidClientTokenId /
S3 InvalidAccessKeyId; wrong signature -> InvalidSignatureException / SignatureDoesNotMatch; a date more
than 15 minutes off -> "Signature expired" / S3 RequestTimeTooSkewed; an expired presigned URL -> S3
AccessDenied "Request has expired" / RequestExpired.
"""

from __future__ import annotations

import hmac
import io
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import parse_qs, quote

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from awstwin.endpoint.security.wire import JSON, QUERY, S3

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
SPOOL_BYTES = 8 * 1024 * 1024

# failure kind -> protocol -> (AWS error code, HTTP status)
FAILURES: dict[str, dict[str, tuple[str, int]]] = {
    "missing": {
        JSON: ("MissingAuthenticationTokenException", 400),
        QUERY: ("MissingAuthenticationToken", 403),
        S3: ("AccessDenied", 403),
    },
    "incomplete": {
        JSON: ("IncompleteSignatureException", 400),
        QUERY: ("IncompleteSignature", 400),
        S3: ("AuthorizationHeaderMalformed", 400),
    },
    "unknown_key": {
        JSON: ("UnrecognizedClientException", 400),
        QUERY: ("InvalidClientTokenId", 403),
        S3: ("InvalidAccessKeyId", 403),
    },
    "mismatch": {
        JSON: ("InvalidSignatureException", 400),
        QUERY: ("SignatureDoesNotMatch", 403),
        S3: ("SignatureDoesNotMatch", 403),
    },
    "skewed": {
        JSON: ("InvalidSignatureException", 400),
        QUERY: ("SignatureDoesNotMatch", 403),
        S3: ("RequestTimeTooSkewed", 403),
    },
    "expired": {JSON: ("RequestExpired", 400), QUERY: ("RequestExpired", 400), S3: ("AccessDenied", 403)},
    # Signature Version 2 (`Authorization: AWS key:sig`, `?AWSAccessKeyId=...&Signature=...`)
    "unsupported": {
        JSON: ("IncompleteSignatureException", 400),
        QUERY: ("IncompleteSignature", 400),
        S3: ("InvalidRequest", 400),
    },
}
SIGV2_MESSAGE = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
_MISMATCH = "The request signature we calculated does not match the signature you provided."
MESSAGES: dict[str, dict[str, str]] = {
    "missing": {
        JSON: "Request is missing Authentication Token",
        QUERY: "Request is missing Authentication Token",
        S3: "Access Denied",
    },
    "unknown_key": {
        JSON: "The security token included in the request is invalid.",
        QUERY: "The security token included in the request is invalid.",
        S3: "The AWS Access Key Id you provided does not exist in our records.",
    },
    "mismatch": {
        JSON: _MISMATCH + " Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.",
        QUERY: _MISMATCH + " Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.",
        S3: _MISMATCH + " Check your key and signing method.",
    },
}


@dataclass
class AuthFailure(Exception):
    """Why a request is refused; `code_and_status(protocol)` gives AWS's answer for it."""

    kind: str
    message_by_protocol: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # S3's extra <Error> children

    def code_and_status(self, protocol: str) -> tuple[str, int]:
        return FAILURES[self.kind][protocol]

    def message(self, protocol: str) -> str:
        return self.message_by_protocol.get(protocol) or MESSAGES.get(self.kind, {}).get(protocol, self.kind)


def _same(message: str) -> dict[str, str]:
    return {JSON: message, QUERY: message, S3: message}


@dataclass
class _Signed:
    """What the request says about its own signature."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    timestamp: str  # SIGV4 form, as in the string to sign
    presigned: bool
    expires: int | None = None


def _environ_key(header: str) -> str:
    name = header.upper().replace("-", "_")
    return name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"


class _ExactHeaders:
    """Sign exactly the headers the request names (botocore's default skips a few, e.g. User-Agent)."""

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name, value in request.headers.items():
            headers[name.lower()] = value
        return headers


class _HeaderSigner(_ExactHeaders, SigV4Auth):
    pass


class _S3HeaderSigner(_ExactHeaders, S3SigV4Auth):
    pass


class _QuerySigner(_ExactHeaders, SigV4QueryAuth):
    pass


class _S3QuerySigner(_ExactHeaders, S3SigV4QueryAuth):
    pass


class SigV4Verifier:
    """Checks a WSGI request's SigV4 signature against the configured key pairs."""

    def __init__(self, credentials: Mapping[str, str], clock: Callable[[], float] = time.time):
        self.credentials = dict(credentials)
        self.clock = clock

    def verify(self, environ: dict[str, Any]) -> None:
        """Return when the signature verifies; raise `AuthFailure` otherwise (the body stays readable)."""
        signed = self._read_signature(environ)
        secret = self.credentials.get(signed.access_key)
        if secret is None:
            raise AuthFailure("unknown_key", extra={"AWSAccessKeyId": signed.access_key})
        self._check_time(signed)
        request, signer = self._rebuild(environ, signed, secret)
        canonical = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical)
        expected = signer.signature(string_to_sign, request)
        if not hmac.compare_digest(expected, signed.signature):
            detail = (
                f"\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
                f"The String-to-Sign should have been\n'{string_to_sign}'\n"
            )
            raise AuthFailure(
                "mismatch",
                {JSON: MESSAGES["mismatch"][JSON] + detail, QUERY: MESSAGES["mismatch"][QUERY] + detail},
                {
                    "AWSAccessKeyId": signed.access_key,
                    "StringToSign": string_to_sign,
                    "SignatureProvided": signed.signature,
                    "CanonicalRequest": canonical,
                },
            )

    # -- what the request claims ------------------------------------------------------------------
    def _read_signature(self, environ: dict[str, Any]) -> _Signed:
        auth = str(environ.get("HTTP_AUTHORIZATION") or "").strip()
        query = parse_qs(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True)
        if auth:
            return self._from_header(auth, environ)
        if "X-Amz-Signature" in query or "X-Amz-Credential" in query or "X-Amz-Algorithm" in query:
            return self._from_query({k: v[0] for k, v in query.items()})
        if "AWSAccessKeyId" in query and "Signature" in query:
            raise AuthFailure("unsupported", _same(SIGV2_MESSAGE))
        raise AuthFailure("missing")

    def _from_header(self, auth: str, environ: dict[str, Any]) -> _Signed:
        algorithm, _, rest = auth.partition(" ")
        if algorithm != ALGORITHM:
            unsupported = f"Unsupported AWS 'algorithm': '{algorithm}'"
            raise AuthFailure("unsupported", {JSON: unsupported, QUERY: unsupported, S3: SIGV2_MESSAGE})
        fields: dict[str, str] = {}
        for part in rest.split(","):
            key, sep, value = part.strip().partition("=")
            if sep:
                fields[key.strip()] = value.strip()
        missing = [
            f"Authorization header requires '{k}' parameter."
            for k in ("Credential", "Signature", "SignedHeaders")
            if not fields.get(k)
        ]
        amz_date = environ.get("HTTP_X_AMZ_DATE")
        http_date = environ.get("HTTP_DATE")
        if not amz_date and not http_date:
            missing.append(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            )
        if missing:
            raise AuthFailure(
                "incomplete",
                {
                    JSON: " ".join(missing) + f" Authorization={auth}",
                    QUERY: " ".join(missing) + f" Authorization={auth}",
                    S3: "The authorization header is malformed; " + " ".join(missing),
                },
            )
        scope = self._scope(fields["Credential"])
        headers = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
        if "host" not in headers:
            raise AuthFailure(
                "incomplete",
                _same("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
            )
        timestamp = self._timestamp(
            str(amz_date) if amz_date else None, str(http_date) if http_date else None
        )
        return _Signed(
            *scope,
            signed_headers=headers,
            signature=fields["Signature"],
            timestamp=timestamp,
            presigned=False,
        )

    def _from_query(self, params: dict[str, str]) -> _Signed:
        required = (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-SignedHeaders",
            "X-Amz-Date",
        )
        missing = [f"AWS query-string parameters must include '{k}'." for k in required if not params.get(k)]
        if missing:
            message = " ".join(missing) + " Re-examine the query-string parameters."
            raise AuthFailure("incomplete", _same(message))
        if params["X-Amz-Algorithm"] != ALGORITHM:
            raise AuthFailure(
                "incomplete", _same(f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'")
            )
        expires = params.get("X-Amz-Expires")
        if expires is not None and not (expires.isdigit() and 0 < int(expires) <= MAX_PRESIGNED_EXPIRES):
            raise AuthFailure(
                "incomplete",
                _same("X-Amz-Expires must be less than a week (in seconds) that is 604800"),
            )
        scope = self._scope(params["X-Amz-Credential"])
        headers = [h.strip().lower() for h in params["X-Amz-SignedHeaders"].split(";") if h.strip()]
        return _Signed(
            *scope,
            signed_headers=headers,
            signature=params["X-Amz-Signature"],
            timestamp=self._timestamp(params["X-Amz-Date"], None),
            presigned=True,
            expires=int(expires) if expires else None,
        )

    @staticmethod
    def _scope(credential: str) -> tuple[str, str, str, str]:
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
            message = (
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                f"keyid/date/region/service/term, got '{credential}'"
            )
            raise AuthFailure("incomplete", _same(message))
        return parts[0], parts[1], parts[2], parts[3]

    @staticmethod
    def _timestamp(amz_date: str | None, http_date: str | None) -> str:
        try:
            if amz_date:
                moment = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
            else:
                moment = parsedate_to_datetime(str(http_date)).astimezone(UTC)
        except (TypeError, ValueError):
            raise AuthFailure(
                "incomplete",
                _same("Date must be in ISO-8601 'basic format'. Got '" + str(amz_date or http_date) + "'."),
            ) from None
        return moment.strftime(SIGV4_TIMESTAMP)

    def _check_time(self, signed: _Signed) -> None:
        now = self.clock()
        stamp = datetime.strptime(signed.timestamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC).timestamp()
        server = datetime.fromtimestamp(now, UTC)
        if signed.presigned:
            if signed.expires is not None and now > stamp + signed.expires:
                raise AuthFailure(
                    "expired",
                    {S3: "Request has expired", JSON: "Request has expired.", QUERY: "Request has expired."},
                    {
                        "X-Amz-Expires": str(signed.expires),
                        "Expires": datetime.fromtimestamp(stamp + signed.expires, UTC).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                        "ServerTime": server.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    },
                )
            if stamp - now <= MAX_SKEW_SECONDS:
                return
        elif abs(now - stamp) <= MAX_SKEW_SECONDS:
            return
        now_text = server.strftime(SIGV4_TIMESTAMP)
        if stamp < now:
            bound = datetime.fromtimestamp(now - MAX_SKEW_SECONDS, UTC).strftime(SIGV4_TIMESTAMP)
            text = f"Signature expired: {signed.timestamp} is now earlier than {bound} ({now_text} - 15 min.)"
        else:
            bound = datetime.fromtimestamp(now + MAX_SKEW_SECONDS, UTC).strftime(SIGV4_TIMESTAMP)
            text = (
                f"Signature not yet current: {signed.timestamp} is still later than {bound} "
                f"({now_text} + 15 min.)"
            )
        raise AuthFailure(
            "skewed",
            {
                JSON: text,
                QUERY: text,
                S3: "The difference between the request time and the current time is too large.",
            },
            {
                "RequestTime": signed.timestamp,
                "ServerTime": server.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "MaxAllowedSkewMilliseconds": str(MAX_SKEW_SECONDS * 1000),
            },
        )

    # -- the request as the client signed it ------------------------------------------------------
    def _rebuild(self, environ: dict[str, Any], signed: _Signed, secret: str) -> tuple[AWSRequest, SigV4Auth]:
        path, query = _raw_target(environ)
        if signed.presigned:
            query = "&".join(p for p in query.split("&") if p and not p.startswith("X-Amz-Signature="))
        headers = {name: str(environ.get(_environ_key(name), "")) for name in signed.signed_headers}
        body: bytes | IO[bytes] = b""
        if not signed.presigned and "x-amz-content-sha256" not in headers:
            body = _buffer_body(environ)  # the payload hash is the body's: read it, then hand it on
        host = headers.get("host") or str(environ.get("HTTP_HOST") or "")
        request = AWSRequest(
            method=str(environ.get("REQUEST_METHOD") or "GET"),
            url=f"http://{host}{path}" + (f"?{query}" if query else ""),
            headers=headers,
            data=body,
        )
        request.context["timestamp"] = signed.timestamp
        s3 = signed.service == "s3"
        classes = {(True, True): _S3QuerySigner, (True, False): _QuerySigner, (False, True): _S3HeaderSigner}
        signer_class = classes.get((signed.presigned, s3), _HeaderSigner)
        credentials = Credentials(signed.access_key, secret)
        return request, signer_class(credentials, signed.service, signed.region)


def _raw_target(environ: dict[str, Any]) -> tuple[str, str]:
    """The path and query exactly as the client sent them (percent-escapes kept)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        text = str(raw)
        if "://" in text:  # absolute-form request line
            text = "/" + text.split("://", 1)[1].partition("/")[2]
        path, _, query = text.partition("?")
        return path or "/", query
    path = quote(str(environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8", "replace"), safe="/~")
    return path, str(environ.get("QUERY_STRING") or "")


def _buffer_body(environ: dict[str, Any]) -> IO[bytes]:
    """Read the body once into a spooled file for hashing and put it back as the app's input."""
    from werkzeug.wsgi import get_input_stream

    stream = get_input_stream(environ, safe_fallback=True)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed on
    size = 0
    while chunk := stream.read(64 * 1024):
        spool.write(chunk)
        size += len(chunk)
    spool.seek(0)
    environ["wsgi.input"] = spool if size else io.BytesIO(b"")
    environ["CONTENT_LENGTH"] = str(size)
    environ.pop("wsgi.input_terminated", None)
    return spool if size else io.BytesIO(b"")
