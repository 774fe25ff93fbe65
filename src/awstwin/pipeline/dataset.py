"""The run's input: the user's CSV (DATA=) or the generated dataset, with its sha256 and row count,
checked by the preflight (awstwin.data.preflight) before anything starts."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from awstwin.data import generator, preflight

SYNTHETIC_FILE_NAME = "student_performance_synthetic.csv"


@dataclass(frozen=True)
class Dataset:
    path: Path
    source: str  # the path the user gave, or "synthetic"
    sha256: str
    rows: int  # data rows (the header not counted)
    seed: int | None = None
    upload: Path | None = None  # what is uploaded, when not `path` itself (a UTF-8 copy)
    warnings: tuple[str, ...] = ()  # what the preflight found that the pipeline drops or changes

    @property
    def upload_file(self) -> Path:
        return self.upload or self.path

    def summary(self) -> dict[str, object]:
        summary: dict[str, object] = {"source": self.source, "sha256": self.sha256, "rows": self.rows}
        if self.seed is not None:
            summary["seed"] = self.seed
        if self.upload is not None:
            summary["uploaded_sha256"] = sha256_of(self.upload)
        return summary


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def from_file(path: Path, encoding: str | None = None, copies: Path | None = None) -> Dataset:
    """The user's file after the preflight (raises awstwin.data.preflight.PreflightRefused, which names
    the file, line and column): its rows, its warnings, and a UTF-8 copy under `copies` to upload when
    the file is in another `encoding` (DATA_ENCODING) or starts with a byte-order mark."""
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise preflight.PreflightRefused(
            f"DATA={path}: no such file (give a CSV path, or leave DATA unset to generate one)"
        )
    result = preflight.check_file(resolved, encoding)
    upload = None
    if result.needs_copy:
        folder = copies if copies is not None else Path(tempfile.mkdtemp(prefix="awstwin-upload-"))
        upload = preflight.write_upload_copy(result, folder / f"{resolved.stem}.utf-8.csv")
    return Dataset(
        path=resolved,
        source=str(path),
        sha256=sha256_of(resolved),
        rows=result.rows,
        upload=upload,
        warnings=result.warnings,
    )


def synthetic(folder: Path, rows: int, seed: int) -> Dataset:
    """Write the synthetic CSV; the same rows and seed always give the same bytes (and sha256)."""
    target = folder / f"rows{rows}-seed{seed}" / SYNTHETIC_FILE_NAME
    result = generator.generate(target, rows=rows, seed=seed)
    return Dataset(path=target, source="synthetic", sha256=result.sha256, rows=result.rows, seed=seed)
