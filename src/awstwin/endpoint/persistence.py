"""Atomic JSON state files, so a backend's state survives a restart when `STATE_DIR` is set."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot persist {type(value).__name__}")


class StateFile:
    """One JSON document on disk; `path=None` keeps state in memory only (nothing is written)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def under(cls, state_dir: Path | None, *parts: str) -> StateFile:
        return cls(state_dir.joinpath(*parts) if state_dir else None)

    def load(self) -> dict[str, Any] | None:
        if self.path is None or not self.path.exists():
            return None
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RuntimeError(
                f"state file {self.path} is corrupt ({exc}); move it away to start empty"
            ) from exc

    def save(self, data: dict[str, Any]) -> None:
        if self.path is None:
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, default=_default, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
