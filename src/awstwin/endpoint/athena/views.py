"""Athena views in the Glue catalog, encoded as Athena (Presto/Trino) stores them.

A view is a Glue table with `TableType = VIRTUAL_VIEW`, `Parameters = {"presto_view": "true",
"comment": "Presto View"}`, `ViewExpandedText = "/* Presto View */"` and `ViewOriginalText =
"/* Presto View: <base64 of JSON> */"`, the JSON holding `originalSql`, `catalog`, `schema` and
`columns` [{name, type}] with Trino type names. Other engines (and the real Athena) read the same.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from awstwin.endpoint.athena import dialect

ORIGINAL_PREFIX = "/* Presto View: "
ORIGINAL_SUFFIX = " */"
EXPANDED_TEXT = "/* Presto View */"


def view_table_input(name: str, database: str, sql: str, columns: list[tuple[str, str]]) -> dict[str, Any]:
    document = {
        "originalSql": sql,
        "catalog": dialect.ENGINE_CATALOG,
        "schema": database,
        "columns": [{"name": n, "type": t} for n, t in columns],
        "owner": "awstwin",
        "runAsInvoker": False,
        "properties": {},
    }
    encoded = base64.b64encode(json.dumps(document).encode()).decode()
    return {
        "Name": name,
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "ViewOriginalText": f"{ORIGINAL_PREFIX}{encoded}{ORIGINAL_SUFFIX}",
        "ViewExpandedText": EXPANDED_TEXT,
        "PartitionKeys": [],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in columns],
            "Location": "",
            "SerdeInfo": {},
            "Compressed": False,
            "NumberOfBuckets": 0,
            "StoredAsSubDirectories": False,
        },
    }


def decode_view(table: dict[str, Any]) -> dict[str, Any] | None:
    """The view's JSON document, or None when the table is not an Athena view."""
    if table.get("TableType") != "VIRTUAL_VIEW":
        return None
    text = (table.get("ViewOriginalText") or "").strip()
    if not (text.startswith(ORIGINAL_PREFIX) and text.endswith(ORIGINAL_SUFFIX)):
        return None
    try:
        document = json.loads(base64.b64decode(text[len(ORIGINAL_PREFIX) : -len(ORIGINAL_SUFFIX)]))
    except ValueError:
        return None
    return document if isinstance(document, dict) and "originalSql" in document else None
