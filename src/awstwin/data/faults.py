"""Faults injected on purpose into a generated dataset, so quarantine and normalisation can be tested.

Each fault replaces one cell in its own row, so a faulty row has exactly one reason to be rejected
(or, for an untidy value, none). The generator returns the list of faults it wrote: a test knows the
row, the column, the text in the file and the reason the pipeline must give, without re-reading it.

Kinds:
- invalid (the row must be quarantined): `above_range` / `below_range` (a number just outside the
  column's valid range), `not_an_integer` (a word in an integer column), `unknown_category`.
  Asking for n invalid cells in a column cycles through the kinds that apply to it.
- untidy (the row must load, normalised): a valid category with stray spaces and upper case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from awstwin.data import schema

ABOVE_RANGE = "above_range"
BELOW_RANGE = "below_range"
NOT_AN_INTEGER = "not_an_integer"
UNKNOWN_CATEGORY = "unknown_category"
UNTIDY = "untidy"

NON_INTEGER_TEXT = "seven"
UNKNOWN_CATEGORY_TEXT = "Other"

# Where the fault rows are drawn from: a stream of the seed apart from the data's own chunks.
_FAULT_STREAM = 2**32 - 1


@dataclass(frozen=True)
class Fault:
    """One injected cell. `row` is 0-based among data rows; `line` is the 1-based line in the file."""

    row: int
    column: str
    kind: str
    text: str  # what the file holds in that cell (for untidy: filled in when the row is generated)
    problem: str | None  # schema.Column.problem() of `text`: the reason to quarantine, None = valid

    @property
    def line(self) -> int:
        return self.row + 2


def invalid_kinds(column: schema.Column) -> tuple[str, ...]:
    """The invalid kinds that apply to `column`, in the order they are cycled through."""
    if column.kind == "categorical":
        return (UNKNOWN_CATEGORY,)
    kinds = [ABOVE_RANGE] if column.maximum is not None else []
    return (*kinds, BELOW_RANGE, NOT_AN_INTEGER)


def invalid_text(column: schema.Column, kind: str) -> str:
    """The text written for an invalid cell of `kind` in `column`."""
    if kind == ABOVE_RANGE and column.maximum is not None:
        return str(column.maximum + 1)
    if kind == BELOW_RANGE and column.minimum is not None:
        return str(column.minimum - 1)
    if kind == NOT_AN_INTEGER and column.kind == "integer":
        return NON_INTEGER_TEXT
    if kind == UNKNOWN_CATEGORY and column.kind == "categorical":
        return UNKNOWN_CATEGORY_TEXT
    raise ValueError(f"fault kind {kind!r} does not apply to column {column.name} ({column.kind})")


def untidy_text(value: str) -> str:
    """A valid category spelled the way hand-edited files spell it."""
    return f"  {value.upper()} "


def plan(
    rows: int,
    seed: int,
    invalid: Mapping[str, int] | None = None,
    untidy: Mapping[str, int] | None = None,
) -> dict[int, Fault]:
    """{row: fault} for the requested counts per column, on distinct rows drawn from the seed."""
    invalid, untidy = dict(invalid or {}), dict(untidy or {})
    for name in (*invalid, *untidy):
        schema.column(name)  # raises KeyError naming the valid columns
    for name in untidy:
        if schema.column(name).kind != "categorical":
            raise ValueError(f"untidy values apply to categorical columns only, not {name}")
    specs: list[tuple[str, str]] = []
    for col in schema.COLUMNS:  # schema order, so the plan does not depend on dict order
        kinds = invalid_kinds(col)
        specs += [(col.name, kinds[i % len(kinds)]) for i in range(invalid.get(col.name, 0))]
    for col in schema.CATEGORICAL_COLUMNS:
        specs += [(col.name, UNTIDY)] * untidy.get(col.name, 0)
    if len(specs) > rows:
        raise ValueError(f"{len(specs)} faults asked for but only {rows} rows: each fault needs its own row")
    if not specs:
        return {}
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_FAULT_STREAM,))))
    positions = rng.choice(rows, size=len(specs), replace=False)
    faults = {}
    for position, (name, kind) in zip(positions.tolist(), specs, strict=True):
        col = schema.column(name)
        text = "" if kind == UNTIDY else invalid_text(col, kind)
        problem = None if kind == UNTIDY else col.problem(text)
        faults[position] = Fault(position, name, kind, text, problem)
    return faults


def parse_counts(items: list[str] | None) -> dict[str, int]:
    """["Attendance=2", "Gender"] -> {"Attendance": 2, "Gender": 1} (the CLI's COLUMN[=N] form)."""
    counts: dict[str, int] = {}
    for item in items or []:
        name, _, number = item.partition("=")
        canonical = schema.column(name.strip()).name
        counts[canonical] = counts.get(canonical, 0) + int(number or 1)
    return counts
