"""Rule recommendations: a DQDL ruleset that the rows as they are pass, from profiling each column.

What a recommendation run returns (https://docs.aws.amazon.com/glue/latest/dg/data-quality-getting-started.html):
the row count within a band around today's, completeness (IsComplete, or the share seen), IsUnique
for a column of distinct values, the values of a column with few of them (`ColumnValues ... in`),
lengths of text and ranges of numbers. Every rule recommended passes on the rows it was made from.
"""

from __future__ import annotations

import json
import math
from typing import Any

from awstwin.dataquality.checks import quote

MAX_LISTED_VALUES = 10  # a column with at most this many distinct values gets `ColumnValues ... in [...]`
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
LISTED = ("VARCHAR", *INTEGER)


def recommend(con: Any, relation: str = "primary") -> str:
    """The recommended ruleset for the rows of `relation` on the DuckDB connection `con`."""
    table = quote(relation)
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    rules = [f"RowCount between {math.floor(rows * 0.8)} and {math.ceil(rows * 1.2) + 1}"]
    for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall():
        if rows:
            rules += _column(con, table, name, str(kind).upper(), rows)
    return "Rules = [\n    " + ",\n    ".join(rules) + "\n]"


def _column(con: Any, table: str, name: str, kind: str, rows: int) -> list[str]:
    column, label = quote(name), json.dumps(name)
    present, distinct = con.execute(
        f"SELECT count({column}), count(DISTINCT {column}) FROM {table}"
    ).fetchall()[0]
    found = []
    if present == rows:
        found.append(f"IsComplete {label}")
    elif present:
        found.append(f"Completeness {label} >= {math.floor(present / rows * 100) / 100}")
    if present == rows and distinct == rows and rows > 1:
        found.append(f"IsUnique {label}")
    base = kind.split("(")[0]
    if 0 < distinct <= MAX_LISTED_VALUES and distinct < rows and base in LISTED:
        values = [
            v
            for (v,) in con.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        listed = [json.dumps(v) if isinstance(v, str) else str(v) for v in values]
        if present < rows:
            listed.append("NULL")
        found.append(f"ColumnValues {label} in [{', '.join(listed)}]")
    elif base == "VARCHAR" and present:
        low, high = con.execute(
            f"SELECT min(length({column})), max(length({column})) FROM {table}"
        ).fetchall()[0]
        found.append(f"ColumnLength {label} between {max(low - 1, 0) if low else 0} and {high + 1}")
    elif base in NUMERIC and present:
        low, high = con.execute(f"SELECT min({column}), max({column}) FROM {table}").fetchall()[0]
        rule = f"ColumnValues {label} between {math.floor(low) - 1} and {math.ceil(high) + 1}"
        if present < rows:  # NULL fails a range: ask for the share that has a value
            rule += f" with threshold >= {math.floor(present / rows * 100) / 100}"
        found.append(rule)
    return found
