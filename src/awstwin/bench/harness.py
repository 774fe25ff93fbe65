"""The side-by-side harness: awstwin and a baseline measured in turn (A B A B ...), min and median of
each, their ratio, and the JSON and table that `make bench` writes.

A shared 2-core machine swings 2-5x with other work, so no absolute number means much on its own.
Two subjects measured alternately see the same load, and their ratio holds when the seconds do not.
Nothing here knows what is measured: a `Comparison` carries two callables returning `Sample`s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# "time": ratio = awstwin seconds / baseline seconds (lower is better).
# "rate": both subjects do the same work, ratio = awstwin throughput / baseline throughput
#         = baseline seconds / awstwin seconds (higher is better).
RATIO_KINDS = ("time", "rate")


@dataclass
class Sample:
    """One measured run: its seconds, and whatever else it saw (peak RSS, the stages of a pipeline)."""

    seconds: float
    metrics: dict[str, Any] = field(default_factory=dict)


Measure = Callable[[], Sample]


@dataclass
class Goal:
    """A stated goal, as data: `what` is "ratio", "seconds" (awstwin's median), "overhead" (awstwin's
    median minus the baseline's) or a metric's name; `op` is "<=" or ">="."""

    what: str
    op: str
    bound: float

    def describe(self) -> str:
        unit = {"ratio": "x", "seconds": " s", "overhead": " s"}.get(self.what, "")
        label = "" if self.what in ("ratio", "seconds") else f"{self.what} "
        return f"{label}{self.op} {self.bound:g}{unit}"

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= self.bound if self.op == "<=" else value >= self.bound


@dataclass
class Comparison:
    """awstwin against one baseline (or alone, when there is none to compare with)."""

    name: str
    awstwin: Measure
    baseline_name: str | None = None
    baseline: Measure | None = None
    kind: str = "time"
    goals: list[Goal] = field(default_factory=list)
    warmup: bool = False  # one unrecorded run of each first (a server's lazy imports, page cache)
    note: str = ""
    skipped: str | None = None  # why there is no measurement (e.g. LocalStack cannot be installed)
    max_runs: int | None = None  # at most this many runs, whatever --runs asks (runs that take minutes)

    def __post_init__(self) -> None:
        if self.kind not in RATIO_KINDS:
            raise ValueError(f"comparison {self.name}: kind {self.kind!r} is not one of {RATIO_KINDS}")


def stats(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values)}


def ratio(kind: str, awstwin: float | None, baseline: float | None) -> float | None:
    if awstwin is None or baseline is None or awstwin <= 0 or baseline <= 0:
        return None
    return awstwin / baseline if kind == "time" else baseline / awstwin


def interleave(comparison: Comparison, runs: int, log: Callable[[str], None] = lambda _: None) -> dict:
    """Measure the comparison `runs` times, awstwin then baseline each time, and return its record."""
    if comparison.skipped is not None:
        return record(comparison, [], skipped=comparison.skipped)
    runs = min(runs, comparison.max_runs or runs)
    if comparison.warmup:
        comparison.awstwin()
        if comparison.baseline is not None:
            comparison.baseline()
    pairs: list[tuple[Sample, Sample | None]] = []
    for index in range(runs):
        mine = comparison.awstwin()
        theirs = comparison.baseline() if comparison.baseline is not None else None
        pairs.append((mine, theirs))
        shown = f"  {comparison.name} run {index + 1}/{runs}: awstwin {mine.seconds:.3f} s"
        if theirs is not None:
            shown += f", {comparison.baseline_name} {theirs.seconds:.3f} s"
        log(shown)
    return record(comparison, pairs)


def record(
    comparison: Comparison, pairs: list[tuple[Sample, Sample | None]], skipped: str | None = None
) -> dict:
    """The comparison's entry in bench.json: {"name","awstwin_s","baseline","baseline_s","ratio","runs"}
    plus the ratio's meaning, the goals and whether they were met, and the runs' own metrics."""
    mine = [a.seconds for a, _ in pairs]
    theirs = [b.seconds for _, b in pairs if b is not None]
    mine_stats, their_stats = stats(mine), stats(theirs)
    median_ratio = ratio(
        comparison.kind,
        mine_stats and mine_stats["median"],
        their_stats and their_stats["median"],
    )
    entry: dict[str, Any] = {
        "name": comparison.name,
        "awstwin_s": mine_stats,
        "baseline": comparison.baseline_name,
        "baseline_s": their_stats,
        "ratio": median_ratio,
        "ratio_min": ratio(
            comparison.kind, mine_stats and mine_stats["min"], their_stats and their_stats["min"]
        ),
        "ratio_means": (
            "awstwin seconds / baseline seconds (lower is better)"
            if comparison.kind == "time"
            else "awstwin throughput / baseline throughput (higher is better)"
        ),
        "runs": [
            {"awstwin": a.seconds, **({"baseline": b.seconds} if b is not None else {})} for a, b in pairs
        ],
    }
    metrics = merge_metrics([a.metrics for a, _ in pairs])
    if metrics:
        entry["metrics"] = metrics
    baseline_metrics = merge_metrics([b.metrics for _, b in pairs if b is not None])
    if baseline_metrics:
        entry["baseline_metrics"] = baseline_metrics
    if comparison.note:
        entry["note"] = comparison.note
    if skipped is not None:
        entry["skipped"] = skipped
    entry["goals"] = [
        {"goal": goal.describe(), "value": goal_value(goal, entry), "met": goal.met(goal_value(goal, entry))}
        for goal in comparison.goals
    ]
    return entry


def goal_value(goal: Goal, entry: dict) -> float | None:
    mine, theirs = entry["awstwin_s"], entry["baseline_s"]
    if goal.what == "ratio":
        return entry["ratio"]
    if goal.what == "seconds":
        return mine and mine["median"]
    if goal.what == "overhead":
        return mine["median"] - theirs["median"] if mine and theirs else None
    value = (entry.get("metrics") or {}).get(goal.what)
    return value.get("max") if isinstance(value, dict) else value


def merge_metrics(samples: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Numbers become {min, median, max} over the runs; anything else is kept from the last run."""
    merged: dict[str, Any] = {}
    collected: dict[str, list[float]] = {}
    for metrics in samples:
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                collected.setdefault(key, []).append(float(value))
            else:
                merged[key] = value
    for key, values in collected.items():
        merged[key] = {"min": min(values), "median": statistics.median(values), "max": max(values)}
    return merged


def timed(action: Callable[[], Any]) -> Sample:
    """Run `action` once; its seconds by the monotonic clock (and its metrics when it returns a dict)."""
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    return Sample(seconds, result if isinstance(result, dict) else {})


# -- the table -------------------------------------------------------------------------------------
def _seconds(value: dict[str, float] | None) -> str:
    if not value:
        return "-"
    return f"{_short(value['min'])} / {_short(value['median'])}"


def _short(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def table(entries: list[dict]) -> Iterator[str]:
    """The printed table: one line per comparison, the same numbers as bench.json."""
    yield (
        f"{'comparison':<22} {'baseline':<24} {'awstwin min / median':>22} {'baseline min / median':>22} "
        f"{'ratio':>7}  goals"
    )
    for entry in entries:
        if entry.get("skipped"):
            yield f"{entry['name']:<22} {entry['baseline'] or '-':<24} skipped: {entry['skipped']}"
            continue
        shown_ratio = f"{entry['ratio']:.2f}x" if entry["ratio"] is not None else "-"
        goals = "; ".join(
            f"{g['goal']} {'ok' if g['met'] else 'MISSED' if g['met'] is False else '?'}"
            for g in entry["goals"]
        )
        yield (
            f"{entry['name']:<22} {entry['baseline'] or '-':<24} {_seconds(entry['awstwin_s']):>22} "
            f"{_seconds(entry['baseline_s']):>22} {shown_ratio:>7}  {goals}"
        )
