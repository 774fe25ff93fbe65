"""The Redshift front: a TCP server in front of a real Postgres, speaking Postgres' wire protocol.

    front = RedshiftFront(Backend("127.0.0.1", 54321, "awsuser", "..."), port=5439)
    front.start()            # serves on a thread of its own; front.stop() ends it and every session

Authentication (SCRAM), transactions, cancel requests and the extended protocol stay Postgres' own:
the front forwards them. It answers an SSL request with "no" (clients must not require TLS locally),
drops startup parameters Postgres does not know (Redshift drivers send client_protocol_version,
driver_version, ...), and for each session plans statements with `StatementPlanner`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import threading

from awstwin.redshift import dialect, wire
from awstwin.redshift.client import FrontSession
from awstwin.redshift.context import Backend, FrontContext, SessionState
from awstwin.redshift.planner import StatementPlanner
from awstwin.redshift.session import Session

log = logging.getLogger("awstwin.redshift")


class RedshiftFront:
    def __init__(
        self, backend: Backend, host: str = "127.0.0.1", port: int = 0, aws_endpoint_url: str | None = None
    ):
        self.backend = backend
        self.host, self.port = host, port
        self.context = FrontContext(backend, aws_endpoint_url)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._connections: set[asyncio.Task] = set()

    # ---- lifecycle (a thread of its own, for embedding) --------------------------------------------

    def start(self, timeout: float = 30.0) -> RedshiftFront:
        self._thread = threading.Thread(target=self._serve_thread, name="redshift-front", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"the Redshift front did not start on {self.host}:{self.port}: {self._error}")
        return self

    def _serve_thread(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self.listen())
        except BaseException as error:  # noqa: BLE001 - reported by start()
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._close())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self.context.close()

    def session(self, user: str, password: str, database: str = "dev") -> FrontSession:
        """A session through this front (the Redshift Data API runs its statements in these)."""
        return FrontSession(self.host, self.port, user, password, database)

    def __enter__(self) -> RedshiftFront:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info(
            "Redshift front on %s:%s -> Postgres %s:%s",
            self.host,
            self.port,
            self.backend.host,
            self.backend.port,
        )

    async def serve_forever(self) -> None:
        await self.listen()
        try:
            assert self._server is not None
            await self._server.serve_forever()
        finally:
            await self._close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    # ---- one connection -----------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("connection failed")
        finally:
            self._connections.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        packet = await wire.read_startup(reader)
        while wire.startup_code(packet) in (wire.SSL_REQUEST, wire.GSSENC_REQUEST):
            writer.write(b"N")  # no TLS locally: the client goes on in plain text or gives up
            await writer.drain()
            packet = await wire.read_startup(reader)
        code = wire.startup_code(packet)
        if code == wire.CANCEL_REQUEST:
            await self._forward_cancel(packet)
            return
        if code != wire.PROTOCOL_3:
            writer.write(
                wire.error_response(
                    f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}", "0A000", "FATAL"
                )
            )
            await writer.drain()
            return
        params = wire.parse_startup(packet)
        kept = {k: v for k, v in params.items() if k.lower() in dialect.STARTUP_PARAMETERS or "." in k}
        database = kept.get("database") or kept.get("user", "")
        try:
            await asyncio.to_thread(self.context.install, database)
        except Exception as error:  # noqa: BLE001 - the backend tells the client (no such database, ...)
            log.warning("Redshift objects not installed in %r: %s", database, error)
        password = await self._ask_password(reader, writer)
        server_reader, server_writer = await asyncio.open_connection(self.backend.host, self.backend.port)
        server_writer.write(wire.build_startup(kept))
        await server_writer.drain()
        user = kept.get("user", "")
        state = SessionState(self.context, database, user)
        state.backend_pid = await self._authenticate(writer, server_reader, server_writer, user, password)
        session = Session(StatementPlanner(state), (reader, writer), (server_reader, server_writer))
        await session.run()

    async def _ask_password(self, reader, writer) -> str:  # noqa: ANN001
        """The client's password, asked for as Postgres' cleartext request (code 3) over loopback.

        The front authenticates to Postgres itself with it (SCRAM, MD5 or cleartext, whatever the
        backend asks), so the client needs no SASL support: redshift_connector's SASL code cannot
        read Postgres' mechanism list, and Redshift itself never asks for SCRAM.
        """
        writer.write(wire.message(b"R", struct.pack("!I", 3)))
        await writer.drain()
        answer = await wire.read_message(reader)
        if answer.kind != b"p":
            raise ConnectionError("the client sent no password")
        return wire.cstring(answer.body)[0]

    async def _authenticate(self, writer, server_reader, server_writer, user: str, password: str) -> int:  # noqa: ANN001
        """Log in to Postgres as the client's user; relay the result. Returns the backend's pid."""
        pid, scram = 0, None
        while True:
            message = await wire.read_message(server_reader)
            if message.kind == b"R":
                code = struct.unpack("!I", message.body[:4])[0]
                answer, scram = auth_answer(code, message.body[4:], user, password, scram)
                if answer is not None:
                    server_writer.write(answer)
                    await server_writer.drain()
                if code == 0:
                    writer.write(message.raw)
                continue
            writer.write(message.raw)
            if message.kind == b"K":
                pid = struct.unpack("!I", message.body[:4])[0]
            elif message.kind == b"E":
                await writer.drain()
                raise ConnectionError("authentication failed")
            elif message.kind == b"Z":
                await writer.drain()
                return pid

    async def _forward_cancel(self, packet: bytes) -> None:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(self.backend.host, self.backend.port)
            writer.write(packet)
            await writer.drain()
            writer.close()


def auth_answer(code: int, data: bytes, user: str, password: str, scram):  # noqa: ANN001, ANN201
    """The front's answer to one Postgres authentication request, and the SCRAM state to keep."""
    import hashlib

    import scramp

    if code == 3:  # cleartext
        return wire.message(b"p", wire.c(password)), scram
    if code == 5:  # md5(md5(password + user) + salt)
        inner = hashlib.md5((password + user).encode()).hexdigest().encode()  # noqa: S324 - the protocol's
        return wire.message(b"p", wire.c("md5" + hashlib.md5(inner + data[:4]).hexdigest())), scram  # noqa: S324
    if code == 10:  # SASL: the mechanisms, NUL-terminated, then an empty one
        mechanisms = [m.decode() for m in data.split(b"\0") if m]
        scram = scramp.ScramClient([m for m in mechanisms if not m.endswith("-PLUS")], user, password)
        first = scram.get_client_first().encode()
        mechanism = scram.mechanism_name.encode()
        return wire.message(b"p", mechanism + b"\0" + struct.pack("!I", len(first)) + first), scram
    if code == 11:  # SASLContinue
        scram.set_server_first(data.decode())
        return wire.message(b"p", scram.get_client_final().encode()), scram
    if code == 12:  # SASLFinal
        scram.set_server_final(data.decode())
        return None, scram
    if code == 0:
        return None, scram
    raise ConnectionError(f"authentication request {code} from Postgres is not supported by the front")
