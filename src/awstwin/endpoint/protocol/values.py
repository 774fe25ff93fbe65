"""Values between JSON and Python, shaped by botocore's model: epoch timestamps, base64 blobs.

`decode_input` turns wire JSON into what botocore's validator and the handlers expect (datetimes,
bytes); `encode_output` turns a handler's result into JSON-ready values (every JSON-based protocol
starts from these; CBOR converts them further in `codecs.py`).
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape


def strict_models() -> bool:
    """In strict mode (tests) a response that does not fit botocore's output shape is a 500."""
    return os.environ.get("AWSTWIN_STRICT_MODEL", "") == "1"


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except ValueError:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise TypeError(f"not a timestamp: {value!r}")


def decode_input(shape: Shape | None, value: Any) -> Any:
    """Turn wire JSON into the Python values botocore's validator expects (datetimes, bytes)."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: decode_input(members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [decode_input(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: decode_input(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        try:
            return _to_datetime(value)
        except (TypeError, ValueError):
            return value  # let validation report it
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value)
        except ValueError:
            return value
    return value


def encode_output(shape: Shape | None, value: Any, unknown: list[str], path: str = "") -> Any:
    """Shape a handler's result for the wire: drop None, epoch timestamps, base64 blobs.

    Keys that the output shape does not have are dropped and recorded in `unknown`.
    """
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            member = shape.members.get(key)
            if member is None:
                unknown.append(f"{path}{key}")
                continue
            out[key] = encode_output(member, item, unknown, f"{path}{key}.")
        return out
    if kind == "list":
        return [encode_output(shape.member, v, unknown, path) for v in value]
    if kind == "map":
        return {k: encode_output(shape.value, v, unknown, path) for k, v in value.items()}
    if kind == "timestamp":
        return _to_datetime(value).timestamp()
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(raw).decode()
    if kind in ("integer", "long") and isinstance(value, float):
        return int(value)
    return value
