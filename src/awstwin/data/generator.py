"""A deterministic synthetic Student Performance Factors CSV, written in chunks of bounded memory.

`python -m awstwin generate --rows N --seed S --out PATH` (or `generate(path, rows=, seed=)`) writes
the real file's header, domains, missing values and relations (see `awstwin.data.distributions`).

Determinism: the same (rows, seed, faults, line ending) gives a byte-identical file on every run and
platform. Chunk i draws from its own PCG64 stream `SeedSequence(seed, spawn_key=(i,))`, always a full
chunk, and the score is integer arithmetic; so the first N rows of a bigger file equal the N-row file.
Line endings are LF by default (`--crlf` writes CRLF like the real Kaggle file); no quoting is ever
needed (no value holds a comma or a quote).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from awstwin.data import distributions as dist
from awstwin.data import faults as faults_
from awstwin.data import schema

DEFAULT_ROWS = schema.REAL_ROW_COUNT
DEFAULT_SEED = 42
CHUNK_ROWS = 65_536  # rows drawn per chunk: a few MB of memory whatever the total


@dataclass(frozen=True)
class GeneratedDataset:
    """What was written: enough for the run report and for tests to know which rows are faulty."""

    path: Path | None
    rows: int
    seed: int
    sha256: str
    size_bytes: int
    seconds: float
    line_ending: str
    faults: tuple[faults_.Fault, ...] = ()

    def summary(self) -> dict[str, object]:
        return {
            "source": "synthetic",
            "path": str(self.path) if self.path else None,
            "rows": self.rows,
            "seed": self.seed,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "seconds": round(self.seconds, 3),
            "line_ending": "CRLF" if self.line_ending == "\r\n" else "LF",
            "faults": [dataclasses.asdict(f) | {"line": f.line} for f in self.faults],
        }


@dataclass(frozen=True)
class _ColumnSampler:
    """Inverse-CDF sampling of one column: a uniform in [0, 1) -> an index into `values`."""

    column: schema.Column
    thresholds: np.ndarray
    values: np.ndarray  # integer values, or category codes 0..k-1 (domain order)
    texts: np.ndarray  # object array: text of value v (integers) or of code c, with "" last (missing)

    def draw(self, uniforms: np.ndarray) -> np.ndarray:
        return self.values[np.searchsorted(self.thresholds, uniforms, side="right")]


def _build_samplers() -> tuple[_ColumnSampler, ...]:
    samplers = []
    for col in schema.COLUMNS:
        if col.name == schema.TARGET:
            continue
        if col.kind == "integer":
            probs = dist.INTEGER_DISTRIBUTIONS[col.name].probabilities()
            values = np.array(sorted(probs), dtype=np.int64)
            texts = np.array([str(v) for v in range(int(values.max()) + 1)], dtype=object)
            samplers.append(_ColumnSampler(col, dist.cumulative([probs[v] for v in values]), values, texts))
        else:
            shares = dist.CATEGORY_SHARES[col.name]
            codes = np.arange(len(col.domain), dtype=np.int64)
            texts = np.array([*col.domain, ""], dtype=object)  # code -1 (missing) indexes the ""
            thresholds = dist.cumulative([shares[v] for v in col.domain])
            samplers.append(_ColumnSampler(col, thresholds, codes, texts))
    return tuple(samplers)


_SAMPLERS = _build_samplers()
_SCORE_TEXTS = np.array([str(v) for v in range(dist.SCORE_RANGE[1] + 1)], dtype=object)


def _draw_chunk(seed: int, index: int) -> list[np.ndarray]:
    """The 20 columns of chunk `index` (CHUNK_ROWS rows) as arrays: integers, or codes with -1 = empty.

    The order of draws is part of the output's identity: change it and every file changes.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))
    drawn = {s.column.name: s.draw(rng.random(CHUNK_ROWS)) for s in _SAMPLERS}
    score = np.full(CHUNK_ROWS, dist.SCORE_INTERCEPT, dtype=np.int64)
    for name, slope in dist.SCORE_SLOPES.items():
        score += slope * drawn[name]
    for name, effects in dist.SCORE_LEVEL_EFFECTS.items():
        domain = schema.column(name).domain
        score += np.array([effects[level] for level in domain], dtype=np.int64)[drawn[name]]
    for name, rate in dist.MISSING_RATES.items():
        drawn[name] = np.where(rng.random(CHUNK_ROWS) < rate, -1, drawn[name])
    half_width = dist.SCORE_NOISE_HALF_WIDTH
    score += np.rint((rng.random(CHUNK_ROWS) + rng.random(CHUNK_ROWS) - 1.0) * half_width).astype(np.int64)
    score = np.floor_divide(score + 50, 100)
    low_bonus, high_bonus = dist.SCORE_OUTLIER_BONUS
    outlier = rng.random(CHUNK_ROWS) < dist.SCORE_OUTLIER_RATE
    bonus = low_bonus + np.floor(rng.random(CHUNK_ROWS) * (high_bonus - low_bonus + 1)).astype(np.int64)
    score = np.clip(score + np.where(outlier, bonus, 0), *dist.SCORE_RANGE)
    return [drawn[s.column.name] for s in _SAMPLERS] + [score]


def _format_chunk(
    seed: int, index: int, count: int, eol: str, faults: Mapping[int, faults_.Fault], written: list
) -> str:
    """The first `count` rows of chunk `index` as CSV text; faults in its range are applied and the
    untidy ones get their text recorded in `written`."""
    arrays = _draw_chunk(seed, index)
    texts = [s.texts for s in _SAMPLERS] + [_SCORE_TEXTS]
    cells = [table[values[:count]].tolist() for table, values in zip(texts, arrays, strict=True)]
    start = index * CHUNK_ROWS
    for row in sorted(r for r in faults if start <= r < start + count):
        fault = faults[row]
        position = schema.COLUMN_NAMES.index(fault.column)
        if fault.kind == faults_.UNTIDY:
            fault = dataclasses.replace(fault, text=faults_.untidy_text(cells[position][row - start]))
        cells[position][row - start] = fault.text
        written.append(fault)
    return eol.join(map(",".join, zip(*cells, strict=True))) + eol


def iter_csv(
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    *,
    crlf: bool = False,
    faults: Mapping[int, faults_.Fault] | None = None,
    written: list | None = None,
) -> Iterator[bytes]:
    """The CSV as a stream of byte chunks (header first), for a file, stdout or a streamed upload."""
    if rows < 0:
        raise ValueError(f"rows must be >= 0, not {rows}")
    eol = "\r\n" if crlf else "\n"
    written = [] if written is None else written
    yield (schema.HEADER + eol).encode("ascii")
    for index in range((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
        count = min(CHUNK_ROWS, rows - index * CHUNK_ROWS)
        yield _format_chunk(seed, index, count, eol, faults or {}, written).encode("ascii")


def write(
    stream: BinaryIO,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    *,
    crlf: bool = False,
    invalid_rows: Mapping[str, int] | None = None,
    untidy_rows: Mapping[str, int] | None = None,
    path: Path | None = None,
) -> GeneratedDataset:
    """Write the dataset to a binary stream and say what was written (sha256, size, faults)."""
    started = time.perf_counter()
    planned = faults_.plan(rows, seed, invalid_rows, untidy_rows)
    written: list[faults_.Fault] = []
    digest, size = hashlib.sha256(), 0
    for block in iter_csv(rows, seed, crlf=crlf, faults=planned, written=written):
        stream.write(block)
        digest.update(block)
        size += len(block)
    return GeneratedDataset(
        path=path,
        rows=rows,
        seed=seed,
        sha256=digest.hexdigest(),
        size_bytes=size,
        seconds=time.perf_counter() - started,
        line_ending="\r\n" if crlf else "\n",
        faults=tuple(sorted(written, key=lambda f: f.row)),
    )


def generate(
    path: str | os.PathLike[str],
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    *,
    crlf: bool = False,
    invalid_rows: Mapping[str, int] | None = None,
    untidy_rows: Mapping[str, int] | None = None,
) -> GeneratedDataset:
    """Write the dataset to `path` atomically (a partial file never appears under the final name).

    `invalid_rows={"Attendance": 2}` puts 2 invalid Attendance values in 2 rows (see
    `awstwin.data.faults`); `untidy_rows={"Gender": 1}` one valid but badly spelled category.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as stream:
            result = write(
                stream, rows, seed, crlf=crlf, invalid_rows=invalid_rows, untidy_rows=untidy_rows, path=target
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m awstwin generate",
        description="Write a deterministic synthetic Student Performance Factors CSV.",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"data rows (default {DEFAULT_ROWS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", default="-", help="output file, or - for stdout (default)")
    parser.add_argument("--crlf", action="store_true", help="CRLF line endings like the Kaggle file")
    parser.add_argument(
        "--invalid",
        action="append",
        metavar="COLUMN[=N]",
        help="inject N invalid values into COLUMN (repeatable), for quarantine tests",
    )
    parser.add_argument(
        "--untidy",
        action="append",
        metavar="COLUMN[=N]",
        help="inject N valid but untidy categories (spaces, upper case) into COLUMN (repeatable)",
    )
    parser.add_argument("--summary-json", metavar="PATH", help="write rows, sha256 and faults as JSON here")
    parser.add_argument("--quiet", action="store_true", help="print nothing on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        invalid, untidy = faults_.parse_counts(args.invalid), faults_.parse_counts(args.untidy)
        options = {"crlf": args.crlf, "invalid_rows": invalid, "untidy_rows": untidy}
        if args.out == "-":
            result = write(sys.stdout.buffer, args.rows, args.seed, **options)
            sys.stdout.flush()
        else:
            result = generate(args.out, args.rows, args.seed, **options)
    except (KeyError, ValueError) as error:
        print(f"generate: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(result.summary(), indent=2) + "\n")
    if not args.quiet:
        where = result.path or "stdout"
        print(
            f"generated {result.rows:,} rows (seed {result.seed}) -> {where}: {result.size_bytes:,} bytes, "
            f"sha256 {result.sha256}, {len(result.faults)} faults, {result.seconds:.2f} s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
