"""The endpoint's HTTP front: one threaded WSGI server routing to our services or to moto."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response

from awstwin.config import EndpointSettings
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.routing import service_of

log = logging.getLogger("awstwin.endpoint")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Endpoint:
    """All services behind one WSGI callable. Build it, then `serve()` or hand it to a server."""

    def __init__(self, settings: EndpointSettings):
        self.settings = settings
        self._temp_state: Path | None = None
        state_dir = settings.state_dir
        if state_dir is None:
            self._temp_state = Path(tempfile.mkdtemp(prefix="awstwin-state-"))
            state_dir = self._temp_state
        state_dir.mkdir(parents=True, exist_ok=True)
        self.context = EndpointContext(settings=settings, state_dir=state_dir)
        self._moto: WsgiApp | None = None
        self._moto_lock = threading.Lock()
        # Import here so `awstwin.endpoint` stays cheap to import for clients.
        from awstwin.endpoint import athena, glue, logs, s3

        self.glue = glue.build(self.context)
        self.athena = athena.build(self.context, self.glue.catalog)
        self.apps: dict[str, WsgiApp] = {"glue": self.glue.app, "athena": self.athena.app}
        if settings.serves_s3:
            self.apps["s3"] = s3.build(self.context)
        self.apps["logs"] = logs.build(lambda: self.moto)
        self._closers: list[Callable[[], None]] = [self.glue.app.close, self.athena.app.close]

    @property
    def moto(self) -> WsgiApp:
        with self._moto_lock:
            if self._moto is None:
                from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

                self._moto = DomainDispatcherApplication(create_backend_app)
            return self._moto

    def health(self) -> dict[str, Any]:
        return {
            "status": "running",
            "url": self.settings.url,
            "state_dir": str(self.context.state_dir),
            "persistent": self._temp_state is None,
            "services": {name: "awstwin" for name in self.apps}
            | {"logs": "moto (FilterLogEvents: awstwin)", "other": "moto"},
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        service = service_of(environ)
        if service == "admin":
            return self._admin(environ, start_response)
        app = self.apps.get(service)
        if app is None:
            app = self.moto
        return app(environ, start_response)

    def _admin(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == "/_awstwin/health":
            response = Response(json.dumps(self.health()), content_type="application/json")
        else:
            response = Response(json.dumps({"error": f"no admin path {path}"}), status=404)
        return response(environ, start_response)

    def close(self) -> None:
        for close in self._closers:
            close()
        if self._temp_state is not None:
            shutil.rmtree(self._temp_state, ignore_errors=True)


def _not_ready(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    return Response("starting", status=503)(environ, start_response)


class EndpointServer:
    """Runs an `Endpoint` on a threaded WSGI server, in the foreground or on a background thread."""

    def __init__(self, settings: EndpointSettings):
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        self._server: BaseWSGIServer = make_server(
            settings.host, settings.port, _not_ready, threaded=True, request_handler=MotoRequestHandler
        )
        # Port 0 means "any free port": services must know the real one (they call themselves).
        bound = dataclasses.replace(settings, port=self._server.server_address[1])
        self.endpoint = Endpoint(bound)
        self._server.app = self.endpoint
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return self.endpoint.settings.url

    def start(self) -> EndpointServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="awstwin-endpoint", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        def _stop(signum: int, _frame: object) -> None:
            threading.Thread(target=self._server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        try:
            self._server.serve_forever()
        finally:
            self.endpoint.close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.endpoint.close()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m awstwin.endpoint", description=__doc__)
    parser.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 4566)")
    parser.add_argument("--state-dir", default=None, help="keep S3 objects and service state here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    settings = EndpointSettings.from_env(host=args.host, port=args.port, state_dir=args.state_dir)
    try:
        server = EndpointServer(settings)
    except OSError as exc:
        print(f"awstwin endpoint: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 2
    health = server.endpoint.health()
    where = health["state_dir"] if health["persistent"] else "a temporary folder (set --state-dir to keep it)"
    print(f"awstwin endpoint listening on {server.url}; state in {where}", flush=True)
    server.serve_forever()
    return 0
