"""What can go wrong with the local warehouse, each error saying where and what to do."""

from __future__ import annotations

from pathlib import Path


class WarehouseError(RuntimeError):
    """The local Postgres (the Redshift stand-in) could not do what was asked."""


class PortInUseError(WarehouseError):
    """Another process listens on the port the warehouse was asked to use."""

    def __init__(self, host: str, port: int, detail: str = ""):
        self.host, self.port = host, port
        hint = "stop what uses it, or pass another port (0 picks a free one)"
        super().__init__(f"port {port} on {host} is already in use{detail}: {hint}")


class SqlFileError(WarehouseError):
    """A statement in an SQL file failed; names the file and the line psql reported."""

    def __init__(self, path: Path, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
