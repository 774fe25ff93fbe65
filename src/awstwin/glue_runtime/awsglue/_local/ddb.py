"""DynamoDB JSON -> plain values, for `unnest_ddb_json` and `simplify_ddb_json`.

DynamoDB exports and streams type every value with a one-key descriptor
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html):
`{"S": "x"}`, `{"N": "12"}`, `{"BOOL": true}`, `{"NULL": true}`, `{"M": {...}}`, `{"L": [...]}`,
`{"SS": [...]}`, `{"NS": [...]}`, `{"B": "..."}`, `{"BS": [...]}`. Numbers become JSON numbers, so the
frame read back types them long or double.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

SCALARS = ("S", "B", "BOOL")
SETS = ("SS", "BS")


def _number(text: str) -> int | float:
    """DynamoDB sends numbers as text: an integer stays exact, anything else is a double."""
    if "." in text or "e" in text.lower():
        return float(Decimal(text))
    return int(text)


DESCRIPTORS = frozenset(("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"))


def descriptor(value: Any) -> tuple[str, Any] | None:
    """(kind, value) when `value` is a typed DynamoDB value. Read through Spark, a record holds every
    descriptor key seen in any record, the others null: only the one that is set counts."""
    if not isinstance(value, dict) or not value or not set(value) <= DESCRIPTORS:
        return None
    present = [(k, v) for k, v in value.items() if v is not None]
    if len(present) == 1:
        return present[0]
    return ("NULL", True) if not present else None


def plain(value: Any, keep_mixed_lists: bool = False) -> Any:
    """A DynamoDB-typed value as a plain one; anything that is not a descriptor is walked as is.

    With `keep_mixed_lists` (simplify_ddb_json), a list whose elements are maps or of more than one
    type keeps its elements' descriptors, as AWS documents for that method.
    """
    if isinstance(value, list):
        return [plain(v, keep_mixed_lists) for v in value]
    if not isinstance(value, dict):
        return value
    typed = descriptor(value)
    if typed is None:
        return {k: plain(v, keep_mixed_lists) for k, v in value.items()}
    kind, inner = typed
    if kind in SCALARS or kind in SETS:
        return inner
    if kind == "N":
        return _number(inner)
    if kind == "NS":
        return [_number(v) for v in inner]
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: plain(v, keep_mixed_lists) for k, v in (inner or {}).items()}
    # "L"
    kinds = {typed[0] for v in inner if (typed := descriptor(v)) is not None}
    if keep_mixed_lists and (len(kinds) > 1 or "M" in kinds):
        return inner
    return [plain(v, keep_mixed_lists) for v in inner]


def unnest_record(record: dict[str, Any]) -> dict[str, Any]:
    """An exported item (`{"Item": {...}}`) -> its attributes as top-level plain fields."""
    item = record.get("Item") if set(record) == {"Item"} and isinstance(record.get("Item"), dict) else record
    return {k: plain(v) for k, v in item.items()}


def simplify_record(record: dict[str, Any]) -> dict[str, Any]:
    """Descriptors removed where they are, the record's own nesting (`Item`) kept."""
    return {k: plain(v, keep_mixed_lists=True) for k, v in record.items()}
