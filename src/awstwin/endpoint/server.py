"""The endpoint's HTTP front: one threaded WSGI server routing to our services or to moto."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
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

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.http_handler import HeaderPreservingHandler
from awstwin.endpoint.routing import service_of
from awstwin.endpoint.security.guard import RequestGuard
from awstwin.endpoint.security.settings import SecurityConfigError, SecuritySettings

log = logging.getLogger("awstwin.endpoint")

BUILD_AFTER_SECONDS = 1.0
REDSHIFT_SERVICES = ("redshift-serverless", "redshift-data")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Endpoint:
    """All services behind one WSGI callable. Build it, then `serve()` or hand it to a server.

    Services are built when first needed, S3 apart from the others, so the endpoint answers its first
    request (a health check, a ListBuckets) without importing Glue's, Athena's and moto's code; the
    rest is built in the background right after (`build_all`), so crawler schedules and the recovery
    of runs cut off by a restart do not wait for a request."""

    def __init__(self, settings: EndpointSettings):
        self.settings = settings
        self._temp_state: Path | None = None
        state_dir = settings.state_dir
        if state_dir is None:
            self._temp_state = Path(tempfile.mkdtemp(prefix="awstwin-state-"))
            state_dir = self._temp_state
        state_dir.mkdir(parents=True, exist_ok=True)
        security = SecuritySettings.from_env(settings.host)  # local callers; SigV4 in strict mode
        self.context = EndpointContext(settings=settings, state_dir=state_dir, security=security)
        self.guard = RequestGuard(security)
        self._moto: WsgiApp | None = None
        self._moto_lock = threading.Lock()
        self._moto_state: Any = None  # moto_state.MotoState once moto is built
        self.apps: dict[str, WsgiApp] = {}
        self._s3_lock = threading.Lock()
        self._services_lock = threading.Lock()
        self._services: tuple[Any, Any, Any] | None = None  # (Glue, Athena, CloudFormation) once built
        self._redshift_lock = threading.Lock()
        self._redshift: Any = None  # Redshift Serverless and the Data API once built
        self._closers: list[Callable[[], None]] = []
        self._background: threading.Thread | None = None
        self._closed = False

    # -- building services when first needed -------------------------------------------------------
    @property
    def service_names(self) -> list[str]:
        return [
            "glue",
            "athena",
            "cloudformation",
            *REDSHIFT_SERVICES,
            *(["s3"] if self.settings.serves_s3 else []),
            "logs",
        ]

    def _build_s3(self) -> None:
        with self._s3_lock:
            if "s3" not in self.apps and self.settings.serves_s3:
                from awstwin.endpoint import s3

                self.apps["s3"] = s3.build(self.context)

    def _build_services(self) -> tuple[Any, Any, Any]:
        with self._services_lock:
            if self._services is None:
                # Import here so `awstwin.endpoint` stays cheap to import, and to start.
                from awstwin.endpoint import athena, cloudformation, glue, logs

                built_glue = glue.build(self.context)
                built_athena = athena.build(self.context, built_glue.catalog)
                # Glue Data Quality runs read tables as Athena does (Athena's relations, handed in).
                built_glue.dataquality.relations = built_athena.relations
                built_cloudformation = cloudformation.build(self.context)
                self._closers += [built_cloudformation.app.close, built_glue.app.close]
                self._closers.append(built_athena.app.close)
                self.apps.update(
                    {
                        "glue": built_glue.app,
                        "athena": built_athena.app,
                        "cloudformation": built_cloudformation.app,
                        "logs": logs.build(lambda: self.moto),
                    }
                )
                self._services = (built_glue, built_athena, built_cloudformation)
            return self._services

    def _build_redshift(self) -> Any:
        """Redshift Serverless and the Data API: they connect to the warehouse only when a call needs it."""
        with self._redshift_lock:
            if self._redshift is None:
                from awstwin.endpoint import redshift

                built = redshift.build(self.context)
                self._closers.append(built.close)
                self.apps["redshift-serverless"] = built.serverless_app
                self.apps["redshift-data"] = built.data_app
                self._redshift = built
            return self._redshift

    @property
    def redshift(self) -> Any:
        return self._build_redshift()

    @property
    def glue(self) -> Any:
        return self._build_services()[0]

    @property
    def athena(self) -> Any:
        return self._build_services()[1]

    @property
    def cloudformation(self) -> Any:
        return self._build_services()[2]

    def build_all(self) -> None:
        """Build every service now (the background start does this right after the first request)."""
        self._build_s3()
        self._build_services()
        self._build_redshift()

    def build_in_background(self) -> None:
        with self._moto_lock:
            if self._background is not None or self._closed:
                return
            self._background = threading.Thread(target=self.build_all, name="awstwin-build", daemon=True)
            self._background.start()

    def _app(self, service: str) -> WsgiApp:
        if service == "s3" and self.settings.serves_s3:
            self._build_s3()
        elif service in ("glue", "athena", "cloudformation", "logs"):
            self._build_services()
        elif service in REDSHIFT_SERVICES:
            self._build_redshift()
        app = self.apps.get(service)
        return app if app is not None else self.moto

    @property
    def moto(self) -> WsgiApp:
        with self._moto_lock:
            if self._moto is None:
                # AWS's managed policies exist in every account (a template's AWSGlueServiceRole attaches);
                # moto loads them only when asked (0.4 s, once).
                os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

                from awstwin.endpoint.moto_state import MotoState

                # With a STATE_DIR, moto's backends (IAM, Secrets Manager, ...) are kept there too.
                state = MotoState(None if self._temp_state else self.context.state_dir / "moto")
                state.restore()
                self._moto_state = state
                self._moto = state.wrap(DomainDispatcherApplication(create_backend_app))
            return self._moto

    def health(self) -> dict[str, Any]:
        return {
            "status": "running",
            "url": self.settings.url,
            "state_dir": str(self.context.state_dir),
            "persistent": self._temp_state is None,
            "services": {name: "awstwin" for name in self.service_names if name != "logs"}
            | {"logs": "moto (FilterLogEvents: awstwin)", "other": "moto"},
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refused = self.guard.refuse(environ)
        if refused is not None:
            return refused(environ, start_response)
        service = service_of(environ)
        try:
            if service == "admin":
                return self._admin(environ, start_response)
            return self._app(service)(environ, start_response)
        finally:
            self.build_in_background()

    def _admin(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == "/_awstwin/health":
            response = Response(json.dumps(self.health()), content_type="application/json")
        else:
            response = Response(json.dumps({"error": f"no admin path {path}"}), status=404)
        return response(environ, start_response)

    def close(self) -> None:
        with self._moto_lock:
            self._closed = True
            background = self._background
        if background is not None:
            background.join()  # a service half built must finish before it can be closed
        for close in self._closers:
            close()
        with self._moto_lock:
            moto_state = self._moto_state
        if moto_state is not None:
            moto_state.close()  # after the services: their last calls to moto are kept too
        if self._temp_state is not None:
            shutil.rmtree(self._temp_state, ignore_errors=True)


def _not_ready(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    return Response("starting", status=503)(environ, start_response)


class EndpointServer:
    """Runs an `Endpoint` on a threaded WSGI server, in the foreground or on a background thread."""

    def __init__(self, settings: EndpointSettings):
        self._server: BaseWSGIServer = make_server(
            settings.host, settings.port, _not_ready, threaded=True, request_handler=HeaderPreservingHandler
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
        self._build_soon()
        return self

    def _build_soon(self) -> None:
        """Build every service shortly after the start even if no request comes (crawler schedules,
        runs to recover); the first request starts it sooner."""
        timer = threading.Timer(BUILD_AFTER_SECONDS, self.endpoint.build_in_background)
        timer.daemon = True
        timer.start()

    def serve_forever(self) -> None:
        def _stop(signum: int, _frame: object) -> None:
            threading.Thread(target=self._server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self._build_soon()
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
    except SecurityConfigError as exc:
        print(f"awstwin endpoint: {exc}", file=sys.stderr)
        return 2
    health = server.endpoint.health()
    where = health["state_dir"] if health["persistent"] else "a temporary folder (set --state-dir to keep it)"
    print(f"awstwin endpoint listening on {server.url}; state in {where}", flush=True)
    server.serve_forever()
    return 0
