"""The run's input: the user's CSV (DATA=) or the generated dataset, with its sha256 and row count."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from awstwin.data import generator

SYNTHETIC_FILE_NAME = "student_performance_synthetic.csv"


class DatasetError(ValueError):
    """The input file is missing or unreadable; the message names it."""


@dataclass(frozen=True)
class Dataset:
    path: Path
    source: str  # the path the user gave, or "synthetic"
    sha256: str
    rows: int  # data rows (the header not counted)
    seed: int | None = None

    def summary(self) -> dict[str, object]:
        summary: dict[str, object] = {"source": self.source, "sha256": self.sha256, "rows": self.rows}
        if self.seed is not None:
            summary["seed"] = self.seed
        return summary


def count_rows(path: Path) -> int:
    """CSV records after the header, read as the crawler and Spark read them (quotes, CRLF)."""
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        if next(reader, None) is None:
            return 0
        return sum(1 for record in reader if record and any(field.strip() for field in record))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def from_file(path: Path) -> Dataset:
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise DatasetError(
            f"DATA={path}: no such file (give a CSV path, or leave DATA unset to generate one)"
        )
    return Dataset(path=resolved, source=str(path), sha256=sha256_of(resolved), rows=count_rows(resolved))


def synthetic(folder: Path, rows: int, seed: int) -> Dataset:
    """Write the synthetic CSV; the same rows and seed always give the same bytes (and sha256)."""
    target = folder / f"rows{rows}-seed{seed}" / SYNTHETIC_FILE_NAME
    result = generator.generate(target, rows=rows, seed=seed)
    return Dataset(path=target, source="synthetic", sha256=result.sha256, rows=result.rows, seed=seed)
