"""`python -m awstwin.stack.localstack_host install|serve|python`: the host LocalStack by hand."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from pathlib import Path

from awstwin.core.paths import STATE_DIR
from awstwin.core.processes import ServiceError
from awstwin.stack.localstack_host.install import InstallError, ensure_installed
from awstwin.stack.localstack_host.server import LocalStackServer
from awstwin.stack.localstack_host.toolchain import NoSuitablePython, find_python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awstwin.stack.localstack_host")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("python", help="show the Python 3.13 that runs LocalStack")
    commands.add_parser("install", help="install LocalStack 4.14.0 into .venv-localstack (once)")
    serve = commands.add_parser("serve", help="run LocalStack in the foreground until Ctrl-C")
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--state-dir", type=Path, default=STATE_DIR / "localstack")
    args = parser.parse_args(argv)
    try:
        if args.command == "python":
            found = find_python()
            print(f"{found.path} (Python {found.version}, {found.where})")
        elif args.command == "install":
            installation = ensure_installed()
            print(f"LocalStack is installed in {installation.venv} (Python {installation.python_version})")
        else:
            server = LocalStackServer(args.state_dir, port=args.port)
            server.start()
            print(f"LocalStack serves {server.url}; Ctrl-C stops it")
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
            server.stop()
    except (NoSuitablePython, InstallError, ServiceError) as exc:
        print(f"awstwin localstack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
