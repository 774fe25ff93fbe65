"""`make dashboard`: serve the latest artifacts/dashboard.html on localhost and print its URL.

The page is self-contained, so this is only a convenience over opening the file: one file, read
afresh on each request (a new `make run` shows up on reload), on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from awstwin.core.paths import ARTIFACTS_DIR
from awstwin.dashboard.publish import CONTENT_TYPE, FILE_NAME

DEFAULT_FILE = ARTIFACTS_DIR / FILE_NAME
PREFERRED_PORT = 8050  # used when free and no port is asked for; else any free port


def make_handler(page: Path) -> type[BaseHTTPRequestHandler]:
    class DashboardHandler(BaseHTTPRequestHandler):
        """GET / (or /dashboard.html) answers the page; anything else is 404."""

        def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
            if self.path.split("?", 1)[0] not in ("/", f"/{FILE_NAME}"):
                self.send_error(HTTPStatus.NOT_FOUND, f"only / serves the dashboard, not {self.path}")
                return
            try:
                body = page.read_bytes()
            except FileNotFoundError:
                self.send_error(HTTPStatus.NOT_FOUND, f"{page} is gone: run `make run` to render it again")
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            sys.stderr.write(f"dashboard: {format % args}\n")

    return DashboardHandler


def bind(page: Path, host: str, port: int | None) -> ThreadingHTTPServer:
    """A server on `port`, or on PREFERRED_PORT when free, else on any free port."""
    handler = make_handler(page)
    if port is not None:
        return ThreadingHTTPServer((host, port), handler)
    try:
        return ThreadingHTTPServer((host, PREFERRED_PORT), handler)
    except OSError:
        return ThreadingHTTPServer((host, 0), handler)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m awstwin dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help=f"the page (default {DEFAULT_FILE})")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ["DASHBOARD_PORT"]) if os.environ.get("DASHBOARD_PORT") else None,
        help=f"port (default: $DASHBOARD_PORT, else {PREFERRED_PORT} when free, else any free port; 0 = any)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    page = args.file.resolve()
    if not page.is_file():
        print(
            f"dashboard: no dashboard at {page}: run `make run` first (its dashboard task writes it)",
            file=sys.stderr,
        )
        return 2
    try:
        server = bind(page, args.host, args.port)
    except OSError as error:
        print(
            f"dashboard: cannot listen on {args.host}:{args.port}: {error.strerror}; pass another --port",
            file=sys.stderr,
        )
        return 2
    host, port = server.server_address[:2]
    print(f"Dashboard ({page}) at http://{host}:{port}/  (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
