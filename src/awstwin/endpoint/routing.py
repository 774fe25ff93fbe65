"""Which service a request is for, read the way AWS's front door reads it.

Order: the JSON target header, the SigV4 credential scope (header or presigned query), our own admin
paths, and finally S3 for anything unsigned (browsers, curl).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

# X-Amz-Target prefixes of the services we serve ourselves; everything else goes to moto.
TARGET_PREFIXES = {"AWSGlue": "glue", "AmazonAthena": "athena"}
# Single operations of a moto-served service that we answer in front of moto (`logs/`).
TARGET_OPERATIONS = {"Logs_20140328.FilterLogEvents": "logs"}
ADMIN_PREFIX = "/_awstwin/"


def _scope_service(credential: str) -> str | None:
    parts = credential.split("/")
    return parts[3] if len(parts) >= 5 else None


def service_of(environ: dict[str, Any]) -> str:
    """Return 'glue', 'athena', 's3', 'logs', 'admin', or the signing name of a service moto serves."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target in TARGET_OPERATIONS:
        return TARGET_OPERATIONS[target]
    if target:
        prefix = target.split(".", 1)[0]
        return TARGET_PREFIXES.get(prefix, f"moto:{prefix}")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
        service = _scope_service(credential)
        if service:
            return service
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "X-Amz-Credential" in query:
        service = _scope_service(query["X-Amz-Credential"][0])
        if service:
            return service
    path = environ.get("PATH_INFO", "")
    if path.startswith(ADMIN_PREFIX):
        return "admin"
    if path.startswith("/moto-api"):
        return "moto"
    return "s3"
