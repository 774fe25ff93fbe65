"""`python -m awstwin.redshift`: serve the Redshift front in the foreground until SIGTERM or Ctrl-C.

The backend's password comes from AWSTWIN_WAREHOUSE_PASSWORD (never from the command line, where
other users could read it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

from awstwin.redshift import Backend, RedshiftFront


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awstwin.redshift", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5439)
    parser.add_argument("--backend-host", default="127.0.0.1")
    parser.add_argument("--backend-port", type=int, required=True)
    parser.add_argument("--backend-user", default=os.environ.get("AWSTWIN_WAREHOUSE_USER", "awsuser"))
    args = parser.parse_args(argv)
    password = os.environ.get("AWSTWIN_WAREHOUSE_PASSWORD")
    if not password:
        print(
            "awstwin.redshift: set AWSTWIN_WAREHOUSE_PASSWORD to the backend user's password", file=sys.stderr
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    front = RedshiftFront(
        Backend(args.backend_host, args.backend_port, args.backend_user, password), args.host, args.port
    )

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(front.serve_forever())
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(serve())
    finally:
        front.context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
