"""What the front sends the warehouse for one client statement: backend statements and their actions.

A client statement becomes one or more `Step`s, all run in the client's own session (so inside its
transaction: a COPY that fails leaves nothing behind, a temp table a query reads is the session's).
Exactly one step answers the client (`visible`); the others are the front's own (their results are
swallowed, their errors reach the client as the statement's error). An `Action` is what the front does
with a step's results: feed a COPY FROM STDIN, capture rows (UNLOAD), change the reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

from awstwin.redshift.wire import Column


class LoadFailed(Exception):
    """A COPY feed gave up: the backend gets CopyFail, the client gets `message` as the error."""

    def __init__(self, message: str, code: str = "XX000", detail: str = ""):
        super().__init__(message)
        self.message, self.code, self.detail = message, code, detail


class Action:
    """Hooks the session calls for one step; the default passes everything through."""

    captures_rows = False  # RowDescription/DataRow go to on_columns/on_row instead of the client
    feeds_copy = False  # the step is a COPY FROM STDIN that copy_chunks() feeds

    def on_columns(self, columns: list[Column]) -> None:
        pass

    def on_row(self, values: list[bytes | None]) -> None:
        pass

    def copy_chunks(self) -> Iterator[bytes]:
        """CopyData payloads, produced on a worker thread; raise LoadFailed to abort the COPY."""
        return iter(())

    def on_complete(self, tag: str) -> tuple[str, list[bytes]]:
        """The tag the client sees and any messages (notices) sent before it."""
        return tag, []

    def on_error(self, fields: dict[str, str]) -> dict[str, str]:
        return fields


@dataclass
class Step:
    sql: str
    visible: bool = True
    action: Action | None = None
    tag: str | None = None  # the client's CommandComplete tag, when it differs from Postgres'
    no_data: bool = False  # a Describe of it answers NoData (UNLOAD returns no rows)
    before_parse: bool = False  # extended protocol: also run before the client's Parse (DDL it needs)
    copy_done: asyncio.Event | None = field(default=None, repr=False)


@dataclass
class Plan:
    """The steps for one client statement, in order (pre steps, the visible one, post steps)."""

    steps: list[Step]

    @property
    def main(self) -> Step:
        return next(step for step in self.steps if step.visible)

    @property
    def before(self) -> list[Step]:
        index = self.steps.index(self.main)
        return self.steps[:index]

    @property
    def after(self) -> list[Step]:
        index = self.steps.index(self.main)
        return self.steps[index + 1 :]


def passthrough(sql: str) -> Plan:
    return Plan([Step(sql)])
