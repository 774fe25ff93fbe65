"""What one statement's execution hands between the engine (engine.py) and its writers (writes.py).

Kept apart from both so that the engine can run the writers and the writers can read these without
importing each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from awstwin.endpoint.athena.dialect import StatementKind

LEADING_SPACE_OR_COMMENT = re.compile(r"\s+|--[^\n]*(?:\n|$)|/\*.*?\*/", re.DOTALL)


def strip_leading_comments(sql: str) -> str:
    pos = 0
    while (match := LEADING_SPACE_OR_COMMENT.match(sql, pos)) and match.end() > pos:
        pos = match.end()
    return sql[pos:]


@dataclass
class QueryRequest:
    query_id: str
    sql: str
    database: str
    output_location: str
    workgroup: str
    kind: StatementKind
    bytes_scanned_cutoff: int | None = None  # the workgroup's BytesScannedCutoffPerQuery


@dataclass
class QueryOutcome:
    """What the execution record and GetQueryResults need to know about a finished statement."""

    result_format: str  # csv | txt
    columns: list[dict[str, Any]] = field(default_factory=list)
    row_count: int = 0
    update_count: int | None = None
    scanned_bytes: int = 0
    manifest_location: str | None = None
    planning_ms: int = 0


@dataclass
class Compiled:
    """A query ready to run: DuckDB SQL whose output columns are named c0..cN, with Athena's names."""

    sql: str
    names: list[str]
    types: list[Any]

    @property
    def relation(self) -> str:
        aliases = ", ".join(f"c{i}" for i in range(len(self.names)))
        return f"SELECT * FROM ({self.sql}) AS q({aliases})" if self.names else self.sql
