"""PostgreSQL wire protocol v3 messages: read frames, and build or parse the few the front touches.

The front forwards every other message as the raw bytes it read, so it never re-encodes a DataRow it
only passes on. Layouts: https://www.postgresql.org/docs/current/protocol-message-formats.html
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

PROTOCOL_3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_MESSAGE = 1 << 30


@dataclass
class Message:
    """One typed message: its type byte and its body (without type and length)."""

    kind: bytes
    body: bytes

    @property
    def raw(self) -> bytes:
        return self.kind + struct.pack("!I", len(self.body) + 4) + self.body


async def read_startup(reader: asyncio.StreamReader) -> bytes:
    """The untyped first packet (StartupMessage, SSLRequest, CancelRequest): length included."""
    head = await reader.readexactly(4)
    (length,) = struct.unpack("!I", head)
    if not 8 <= length <= 10000:
        raise ConnectionError(f"startup packet of {length} bytes")
    return head + await reader.readexactly(length - 4)


async def read_message(reader: asyncio.StreamReader) -> Message:
    head = await reader.readexactly(5)
    (length,) = struct.unpack("!I", head[1:])
    if not 4 <= length <= MAX_MESSAGE:
        raise ConnectionError(f"message {head[:1]!r} of {length} bytes")
    return Message(head[:1], await reader.readexactly(length - 4))


def startup_code(packet: bytes) -> int:
    return struct.unpack("!I", packet[4:8])[0]


def parse_startup(packet: bytes) -> dict[str, str]:
    """The parameters of a StartupMessage (user, database, options, ...)."""
    parts = packet[8:].split(b"\0")
    values = [part.decode("utf-8", "replace") for part in parts]
    return {values[i]: values[i + 1] for i in range(0, len(values) - 1, 2) if values[i]}


def build_startup(params: dict[str, str]) -> bytes:
    body = struct.pack("!I", PROTOCOL_3)
    body += b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params.items()) + b"\0"
    return struct.pack("!I", len(body) + 4) + body


# ---- strings ---------------------------------------------------------------------------------------


def cstring(body: bytes, offset: int = 0) -> tuple[str, int]:
    """The NUL-terminated string at `offset`, and the offset after it."""
    end = body.index(b"\0", offset)
    return body[offset:end].decode("utf-8", "replace"), end + 1


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def c(text: str) -> bytes:
    return text.encode("utf-8") + b"\0"


# ---- frontend messages ----------------------------------------------------------------------------


def query(sql: str) -> bytes:
    return message(b"Q", c(sql))


def parse_query(body: bytes) -> str:
    return cstring(body)[0]


@dataclass
class Parse:
    name: str
    sql: str
    param_types: bytes  # the count and OIDs as sent, kept verbatim

    @classmethod
    def decode(cls, body: bytes) -> Parse:
        name, at = cstring(body)
        sql, at = cstring(body, at)
        return cls(name, sql, body[at:])

    def encode(self) -> bytes:
        return message(b"P", c(self.name) + c(self.sql) + (self.param_types or b"\0\0"))


@dataclass
class Bind:
    portal: str
    statement: str
    rest: bytes  # parameter formats and values, kept verbatim up to the result formats
    result_formats: list[int]

    @classmethod
    def decode(cls, body: bytes) -> Bind:
        portal, at = cstring(body)
        statement, at = cstring(body, at)
        start = at
        (nformats,) = struct.unpack_from("!H", body, at)
        at += 2 + 2 * nformats
        (nparams,) = struct.unpack_from("!H", body, at)
        at += 2
        for _ in range(nparams):
            (size,) = struct.unpack_from("!i", body, at)
            at += 4 + max(size, 0)
        rest = body[start:at]
        (nresults,) = struct.unpack_from("!H", body, at)
        formats = list(struct.unpack_from(f"!{nresults}H", body, at + 2))
        return cls(portal, statement, rest, formats)

    def encode(self) -> bytes:
        formats = struct.pack(
            f"!H{len(self.result_formats)}H", len(self.result_formats), *self.result_formats
        )
        return message(b"B", c(self.portal) + c(self.statement) + self.rest + formats)


def bind(portal: str, statement: str) -> bytes:
    """A Bind with no parameters and text results."""
    return message(b"B", c(portal) + c(statement) + b"\0\0\0\0\0\0")


def describe(kind: bytes, name: str) -> bytes:
    return message(b"D", kind + c(name))


def execute(portal: str, max_rows: int = 0) -> bytes:
    return message(b"E", c(portal) + struct.pack("!I", max_rows))


def close(kind: bytes, name: str) -> bytes:
    return message(b"C", kind + c(name))


def copy_data(data: bytes) -> bytes:
    return message(b"d", data)


COPY_DONE = message(b"c")
SYNC = message(b"S")
FLUSH = message(b"H")


def copy_fail(reason: str) -> bytes:
    return message(b"f", c(reason))


# ---- backend messages -----------------------------------------------------------------------------


def command_complete(tag: str) -> bytes:
    return message(b"C", c(tag))


def parse_command_complete(body: bytes) -> str:
    return cstring(body)[0]


NO_DATA = message(b"n")
PARSE_COMPLETE = message(b"1")
BIND_COMPLETE = message(b"2")


def ready_for_query(status: bytes = b"I") -> bytes:
    return message(b"Z", status)


# ErrorResponse/NoticeResponse field codes: https://www.postgresql.org/docs/current/protocol-error-fields.html
FIELD_NAMES = {
    "S": "severity",
    "V": "severity_nonlocalized",
    "C": "code",
    "M": "message",
    "D": "detail",
    "H": "hint",
    "P": "position",
    "W": "where",
}


def error_response(message_text: str, code: str = "XX000", severity: str = "ERROR", **extra: str) -> bytes:
    """An ErrorResponse (or NoticeResponse when severity is INFO/NOTICE/WARNING)."""
    fields = {"S": severity, "V": severity, "C": code, "M": message_text}
    codes = {name: key for key, name in FIELD_NAMES.items()}
    fields.update({codes[name]: value for name, value in extra.items() if value})
    body = b"".join(key.encode() + c(value) for key, value in fields.items()) + b"\0"
    kind = b"E" if severity in ("ERROR", "FATAL", "PANIC") else b"N"
    return message(kind, body)


def parse_error(body: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    at = 0
    while at < len(body) and body[at] != 0:
        key = chr(body[at])
        value, at = cstring(body, at + 1)
        fields[key] = value
    return fields


@dataclass
class Column:
    name: str
    type_oid: int
    type_modifier: int
    format: int


def parse_row_description(body: bytes) -> list[Column]:
    (count,) = struct.unpack_from("!H", body)
    at, columns = 2, []
    for _ in range(count):
        name, at = cstring(body, at)
        _, _, oid, _, modifier, fmt = struct.unpack_from("!IHIhiH", body, at)
        at += 18
        columns.append(Column(name, oid, modifier, fmt))
    return columns


def parse_data_row(body: bytes) -> list[bytes | None]:
    (count,) = struct.unpack_from("!H", body)
    at, values = 2, []
    for _ in range(count):
        (size,) = struct.unpack_from("!i", body, at)
        at += 4
        if size < 0:
            values.append(None)
        else:
            values.append(body[at : at + size])
            at += size
    return values


def row_description(columns: list[tuple[str, int]]) -> bytes:
    """A RowDescription of text columns (name, type OID)."""
    body = struct.pack("!H", len(columns))
    for name, oid in columns:
        body += c(name) + struct.pack("!IHIhiH", 0, 0, oid, -1, -1, 0)
    return message(b"T", body)


def data_row(values: list[str | None]) -> bytes:
    body = struct.pack("!H", len(values))
    for value in values:
        if value is None:
            body += struct.pack("!i", -1)
        else:
            data = value.encode()
            body += struct.pack("!i", len(data)) + data
    return message(b"D", body)
