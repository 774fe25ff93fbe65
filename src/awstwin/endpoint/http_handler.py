"""How the endpoint's HTTP server turns a request into a WSGI environ.

Werkzeug's server drops every header with an underscore in its name (WSGI cannot tell `X_Foo` from
`X-Foo`), but S3 object metadata may have underscores in its names (`x-amz-meta-my_key`). Those are
kept here, under the environ keys and the original-spelling record that moto's request class reads
(`moto.core.request`: PRESERVED_HEADER_NAMES_ENVIRON_KEY), so moto-served services see them as moto's
own server would hand them over; an underscored header never stands in for a dashed one. Written for
this endpoint, so that starting it does not import moto (moto loads on the first request it serves).
"""

from __future__ import annotations

from typing import Any

from werkzeug.serving import WSGIRequestHandler

PRESERVED_NAMES_KEY = "moto.preserved_header_names"  # the environ key moto's Request reads
META_PREFIX = "x-amz-meta-"


def environ_key(header: str) -> str:
    key = header.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


class HeaderPreservingHandler(WSGIRequestHandler):
    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        dashed = {environ_key(name) for name in self.headers if "_" not in name}
        names: dict[str, str] = {}
        values: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            if "_" not in name or not name.lower().startswith(META_PREFIX):
                continue
            key = environ_key(name)
            if key in dashed:
                continue
            names.setdefault(key, name)
            values.setdefault(key, []).append(value.replace("\r\n", ""))
        for key, joined in values.items():
            environ[key] = ",".join(joined)
        environ[PRESERVED_NAMES_KEY] = names
        return environ
