"""One client connection through the front: messages forwarded, Redshift statements rewritten.

Two pumps run per connection. Client -> server: a Query or Parse whose SQL the planner rewrites is
sent as the plan's statements (extra steps of the extended protocol are sent as named Parse/Bind/
Execute/Close of the front's own); everything else is forwarded as read. Server -> client: each reply
is matched to what was sent (a queue of expectations, in protocol order) and forwarded, swallowed,
captured or changed as the step's action says. While the front feeds a COPY FROM STDIN of its own,
the client's next messages wait (the server ignores Sync during COPY, so they must not reach it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from awstwin.redshift import wire
from awstwin.redshift.plan import LoadFailed, Plan, Step

log = logging.getLogger("awstwin.redshift")
HIDDEN = "awstwin_step"
READ_SIZE = 1 << 18  # name of the front's own prepared statement and portal


class Planner(Protocol):
    def plan_query(self, sql: str) -> list[Plan] | None: ...

    def plan_statement(self, sql: str) -> Plan | None: ...


@dataclass
class Expect:
    """A reply the server owes: for a simple Query (steps), or one extended-protocol message."""

    kind: str  # simple, parse, bind, describe, execute, close, sync
    visible: bool = True
    step: Step | None = None
    steps: list[Step] | None = None
    index: int = 0
    failed: bool = False
    copy_waits: list[asyncio.Event] = field(default_factory=list)

    @property
    def current(self) -> Step | None:
        if self.steps is None or self.index >= len(self.steps):
            return None
        return self.steps[self.index]


class Session:
    def __init__(
        self,
        planner: Planner,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        server: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ):
        self.planner = planner
        self.client_reader, self.client_writer = client
        self.server_reader, self.server_writer = server
        self.pending: deque[Expect] = deque()
        self.statements: dict[str, Plan | None] = {}
        self.portals: dict[str, Plan | None] = {}

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._client_to_server()), asyncio.create_task(self._server_to_client())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if error and not isinstance(error, (ConnectionError, asyncio.IncompleteReadError)):
                    log.exception("session ended by an error", exc_info=error)
        finally:
            for task in tasks:
                task.cancel()
            for writer in (self.client_writer, self.server_writer):
                with contextlib.suppress(Exception):
                    writer.close()

    # ---- client -> server -------------------------------------------------------------------------

    async def _client_to_server(self) -> None:
        while True:
            message = await wire.read_message(self.client_reader)
            kind = message.kind
            waits: list[asyncio.Event] = []
            if kind == b"Q":
                waits = self._query(wire.parse_query(message.body), message.raw)
            elif kind == b"P":
                self._parse(message.body, message.raw)
            elif kind == b"B":
                self._bind(message.body, message.raw)
            elif kind == b"D":
                self._describe(message.body, message.raw)
            elif kind == b"E":
                waits = self._execute(message.body, message.raw)
            elif kind == b"C":
                name = wire.cstring(message.body, 1)[0]
                (self.statements if message.body[:1] == b"S" else self.portals).pop(name, None)
                self._send(message.raw, Expect("close"))
            elif kind in (b"S", b"F"):
                self._send(message.raw, Expect("sync"))
            elif kind == b"X":
                self.server_writer.write(message.raw)
                await self.server_writer.drain()
                return
            else:  # Flush, the client's own CopyData/CopyDone/CopyFail, ...
                self.server_writer.write(message.raw)
            await self.server_writer.drain()
            for event in waits:
                await event.wait()

    def _send(self, raw: bytes, expect: Expect | None = None) -> None:
        if expect is not None:
            self.pending.append(expect)
        self.server_writer.write(raw)

    def _query(self, sql: str, raw: bytes) -> list[asyncio.Event]:
        plans = self._plan(self.planner.plan_query, sql)
        if plans is None:
            self._send(raw, Expect("simple"))
            return []
        steps = [step for plan in plans for step in plan.steps]
        for step in steps:
            if step.action is not None and step.action.feeds_copy:
                step.copy_done = asyncio.Event()
        text = ";\n".join(step.sql for step in steps)
        log.debug("query rewritten: %s", text)
        self._send(wire.query(text), Expect("simple", steps=steps))
        return [step.copy_done for step in steps if step.copy_done is not None]

    def _plan(self, planner, sql):  # noqa: ANN001, ANN202 - either planner method
        try:
            return planner(sql)
        except Exception:  # a bug in a translation must not take the session down: send it as written
            log.exception("could not plan %r; sent unchanged", sql[:200])
            return None

    def _parse(self, body: bytes, raw: bytes) -> None:
        parse = wire.Parse.decode(body)
        plan = self._plan(self.planner.plan_statement, parse.sql)
        self.statements[parse.name] = plan
        if plan is None:
            self._send(raw, Expect("parse"))
            return
        for step in plan.before:  # tables the statement reads must exist to parse it (Spectrum)
            if step.before_parse:
                self._hidden_step(step)
        parse.sql = plan.main.sql
        self._send(parse.encode(), Expect("parse"))

    def _bind(self, body: bytes, raw: bytes) -> None:
        bind = wire.Bind.decode(body)
        plan = self.statements.get(bind.statement)
        self.portals[bind.portal] = plan
        if plan is not None and plan.main.action is not None and plan.main.action.captures_rows:
            bind.result_formats = []  # the front reads the rows: text
            raw = bind.encode()
        self._send(raw, Expect("bind"))

    def _describe(self, body: bytes, raw: bytes) -> None:
        name = wire.cstring(body, 1)[0]
        plan = (self.statements if body[:1] == b"S" else self.portals).get(name)
        self._send(raw, Expect("describe", step=plan.main if plan else None))

    def _execute(self, body: bytes, raw: bytes) -> list[asyncio.Event]:
        portal = wire.cstring(body)[0]
        plan = self.portals.get(portal)
        if plan is None:
            self._send(raw, Expect("execute"))
            return []
        waits = []
        for step in plan.before:
            waits += self._hidden_step(step)
        main = plan.main
        if main.action is not None and main.action.captures_rows:
            self._send(wire.describe(b"P", portal), Expect("describe", visible=False, step=main))
        self._arm(main)
        self._send(raw, Expect("execute", step=main))
        if main.copy_done is not None:
            waits.append(main.copy_done)
        for step in plan.after:
            waits += self._hidden_step(step)
        return waits

    def _arm(self, step: Step) -> None:
        if step.action is not None and step.action.feeds_copy:
            step.copy_done = asyncio.Event()

    def _hidden_step(self, step: Step) -> list[asyncio.Event]:
        self._arm(step)
        self._send(wire.Parse(HIDDEN, step.sql, b"").encode(), Expect("parse", visible=False))
        self._send(wire.bind(HIDDEN, HIDDEN), Expect("bind", visible=False))
        self._send(wire.execute(HIDDEN), Expect("execute", visible=False, step=step))
        self._send(wire.close(b"P", HIDDEN), Expect("close", visible=False))
        self._send(wire.close(b"S", HIDDEN), Expect("close", visible=False))
        return [step.copy_done] if step.copy_done is not None else []

    # ---- server -> client -------------------------------------------------------------------------

    async def _server_to_client(self) -> None:
        """Replies in batches: whatever the socket holds is split into messages at once, and a run of
        DataRows that go to the client unchanged is written as one slice (no per-row copies)."""
        buffer = bytearray()
        while True:
            chunk = await self.server_reader.read(READ_SIZE)
            if not chunk:
                raise ConnectionError("the warehouse closed the connection")
            buffer += chunk
            position = await self._dispatch(buffer)
            del buffer[:position]
            await self.client_writer.drain()

    async def _dispatch(self, buffer: bytearray) -> int:
        position, run = 0, -1
        view = memoryview(buffer)
        try:
            while len(buffer) - position >= 5:
                length = int.from_bytes(view[position + 1 : position + 5])
                end = position + 1 + length
                if end > len(buffer):
                    break
                kind = bytes(view[position : position + 1])
                if kind == b"D" and self._rows_pass():
                    run = position if run < 0 else run
                    position = end
                    continue
                if run >= 0:
                    self.client_writer.write(bytes(view[run:position]))
                    run = -1
                await self._reply(wire.Message(kind, bytes(view[position + 5 : end])))
                position = end
            if run >= 0:
                self.client_writer.write(bytes(view[run:position]))
        finally:
            view.release()
        return position

    def _rows_pass(self) -> bool:
        """Whether DataRows now go to the client as they are."""
        if not self.pending:
            return True
        head = self.pending[0]
        step = head.current if head.kind == "simple" else head.step
        if head.kind == "simple" and head.steps is None:
            return True
        if head.kind not in ("simple", "execute") or step is None:
            return head.kind == "execute" and head.visible
        visible = step.visible if head.kind == "simple" else head.visible
        return visible and not (step.action is not None and step.action.captures_rows)

    async def _reply(self, message: wire.Message) -> None:
        head = self.pending[0] if self.pending else None
        if head is None:
            self.client_writer.write(message.raw)
        elif head.kind == "simple":
            await self._simple_reply(head, message)
        else:
            await self._extended_reply(head, message)

    def _forward(self, raw: bytes) -> None:
        self.client_writer.write(raw)

    async def _simple_reply(self, head: Expect, message: wire.Message) -> None:
        kind, step = message.kind, head.current
        if head.steps is None or kind in (b"S", b"A") or (kind == b"Z"):
            if kind == b"Z":
                self.pending.popleft()
            self._forward(message.raw)
            return
        if kind == b"E":
            self._error(step, message)
            head.failed = True
            for later in head.steps[head.index :]:
                if later.copy_done is not None:
                    later.copy_done.set()
            head.index = len(head.steps)
            return
        if step is None:  # replies after the last step (notices)
            self._forward(message.raw)
            return
        if self._step_reply(step, step.visible, message):
            head.index += 1
        if kind == b"G" and step.action is not None and step.action.feeds_copy:
            await self._feed(step)

    async def _extended_reply(self, head: Expect, message: wire.Message) -> None:
        kind = message.kind
        if kind in (b"S", b"A", b"N") and head.kind != "execute":
            self._forward(message.raw)
            return
        if kind == b"E":
            self._error(head.step if head.kind == "execute" else None, message)
            while self.pending and self.pending[0].kind != "sync":
                dropped = self.pending.popleft()
                if dropped.step is not None and dropped.step.copy_done is not None:
                    dropped.step.copy_done.set()
            return
        if head.kind == "sync":
            if kind == b"Z":
                self.pending.popleft()
            self._forward(message.raw)
            return
        if head.kind in ("parse", "bind", "close"):
            self.pending.popleft()
            if head.visible:
                self._forward(message.raw)
            return
        if head.kind == "describe":
            self._describe_reply(head, message)
            return
        step = head.step or Step("")
        if self._step_reply(step, head.visible, message) or kind == b"s":
            self.pending.popleft()
            if kind == b"s":
                self._forward(message.raw)
        if kind == b"G" and step.action is not None and step.action.feeds_copy:
            await self._feed(step)

    def _describe_reply(self, head: Expect, message: wire.Message) -> None:
        kind, step = message.kind, head.step
        if kind == b"t":
            if head.visible:
                self._forward(message.raw)
            return
        self.pending.popleft()
        if not head.visible:
            if kind == b"T" and step is not None and step.action is not None:
                step.action.on_columns(wire.parse_row_description(message.body))
            return
        if kind == b"T" and step is not None and step.no_data:
            self._forward(wire.NO_DATA)
        else:
            self._forward(message.raw)

    def _step_reply(self, step: Step, visible: bool, message: wire.Message) -> bool:
        """Handle one reply to a step's execution; True when the step is complete."""
        kind, action = message.kind, step.action
        captures = action is not None and action.captures_rows
        if kind == b"T":
            if captures:
                action.on_columns(wire.parse_row_description(message.body))
            elif visible:
                self._forward(message.raw)
        elif kind == b"D":
            if captures:
                action.on_row(wire.parse_data_row(message.body))
            elif visible:
                self._forward(message.raw)
        elif kind == b"C":
            tag = step.tag or wire.parse_command_complete(message.body)
            extra: list[bytes] = []
            if action is not None:
                tag, extra = action.on_complete(tag)
            if visible:
                for raw in extra:
                    self._forward(raw)
                self._forward(wire.command_complete(tag))
            return True
        elif kind == b"I":
            if visible:
                self._forward(message.raw)
            return True
        elif kind == b"G" and action is not None and action.feeds_copy:
            return False
        elif visible or kind not in (b"N", b"H", b"d", b"c"):
            self._forward(message.raw)
        return False

    def _error(self, step: Step | None, message: wire.Message) -> None:
        if step is None or step.action is None:
            self._forward(message.raw)
            return
        fields = step.action.on_error(wire.parse_error(message.body))
        extra = {wire.FIELD_NAMES[key]: value for key, value in fields.items() if key in "DHPW"}
        self._forward(
            wire.error_response(
                fields.get("M", ""), fields.get("C", "XX000"), fields.get("S", "ERROR"), **extra
            )
        )

    async def _feed(self, step: Step) -> None:
        """Send the action's rows as CopyData, then CopyDone (or CopyFail when the load gives up)."""
        assert step.action is not None
        chunks = step.action.copy_chunks()
        end = object()
        try:
            while True:
                chunk = await asyncio.to_thread(next, chunks, end)
                if chunk is end:
                    break
                self.server_writer.write(wire.copy_data(chunk))
                await self.server_writer.drain()
            self.server_writer.write(wire.COPY_DONE)
        except LoadFailed as failed:
            self.server_writer.write(wire.copy_fail(failed.message))
        except Exception as error:  # a reader bug: the COPY fails whole, with the reason
            log.exception("COPY feed failed")
            self.server_writer.write(wire.copy_fail(f"{type(error).__name__}: {error}"))
        finally:
            await self.server_writer.drain()
            if step.copy_done is not None:
                step.copy_done.set()
