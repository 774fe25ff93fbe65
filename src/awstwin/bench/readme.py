"""The README's Performance table, from artifacts/bench.json: `python -m awstwin.bench.readme`.

Same numbers as the printed table, in Markdown, so the README is pasted from a bench run, never typed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from awstwin.core.paths import ARTIFACTS_DIR


def _short(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _seconds(value: dict[str, float] | None) -> str:
    if not value:
        return "-"
    return f"{_short(value['min'])} / {_short(value['median'])}"


def _value(goal: str, value: float) -> str:
    if goal.endswith("x"):
        return f"{value:.2f}x"
    if goal.endswith(" s"):
        return _short(value)
    return f"{value:g}"


def _goals(entry: dict) -> str:
    shown = []
    for goal in entry.get("goals", []):
        verdict = {True: "met", False: "**missed**", None: "not measured"}[goal["met"]]
        value = goal.get("value")
        measured = f" ({_value(goal['goal'], value)})" if isinstance(value, (int, float)) else ""
        shown.append(f"{goal['goal']}: {verdict}{measured}")
    return "; ".join(shown) or "-"


def markdown(document: dict) -> Iterator[str]:
    yield "| comparison | baseline | awstwin min / median | baseline min / median | ratio | goals | load |"
    yield "|---|---|---|---|---|---|---|"
    for entry in document["comparisons"]:
        if entry.get("skipped"):
            yield f"| `{entry['name']}` | {entry['baseline'] or '-'} | skipped: {entry['skipped']} | | | | |"
            continue
        ratio = f"{entry['ratio']:.2f}x" if entry.get("ratio") is not None else "-"
        load = "-".join(f"{x:g}" for x in entry.get("load_average", [])) or "-"
        yield (
            f"| `{entry['name']}` | {entry['baseline'] or '-'} | {_seconds(entry['awstwin_s'])} | "
            f"{_seconds(entry['baseline_s'])} | {ratio} | {_goals(entry)} | {load} |"
        )


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else ARTIFACTS_DIR / "bench.json"
    document = json.loads(path.read_text())
    for line in markdown(document):
        print(line)
    machine = document.get("metrics", {}).get("machine", {})
    print(
        f"\n{machine.get('cpus')} CPUs, {machine.get('memory_gb')} GB, Python {machine.get('python')}; "
        f"load average at start {machine.get('load_average_at_start')}, "
        f"at end {machine.get('load_average_at_end')}; "
        f"{document.get('runs')} interleaved runs; written {document.get('written_at')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
