"""`make bench`: every comparison side by side, written to artifacts/bench.json and printed as a table.

    make bench                          # everything but pipeline_10m and pipeline_1m_cluster
    make bench BENCH_QUICK=1            # the comparisons that take seconds (S3, Athena, crawler, start)
    python -m awstwin bench --only s3_list_10k,athena_select_1 --runs 5
    python -m awstwin bench --big       # those two too

Each comparison measures awstwin and its baseline alternately (A B A B ...), `--runs` times (3 by
default), and reports min and median of each and their ratio; the machine's load average is recorded
with every comparison, since on a shared machine that is what the absolute seconds depend on.
When it may (root, `unshare` present), the bench runs in a private network namespace: the stacks'
fixed ports (4566, 5439, 8080) are then its own, and everything it measures runs offline.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from awstwin.bench import harness
from awstwin.bench.harness import Comparison
from awstwin.bench.options import Options, parse
from awstwin.core.paths import ARTIFACTS_DIR

SUITES = (
    "awstwin.bench.suites.s3",
    "awstwin.bench.suites.athena",
    "awstwin.bench.suites.startup",
    "awstwin.bench.suites.glue",
    "awstwin.bench.suites.pipelines",
)
NETNS_MARK = "AWSTWIN_BENCH_NETNS"


def run_suites(
    suites: list[Callable[[Options], Iterator[Comparison]]],
    options: Options,
    measured: Callable[[list[dict], dict[str, str]], None] = lambda _e, _f: None,
) -> tuple[list[dict], dict[str, str]]:
    """Every comparison the suites yield, measured in turn; a suite that fails is recorded and the
    others still run. `measured` sees the results so far after each comparison (bench.json is
    rewritten then, so a bench stopped part-way keeps what it measured)."""
    entries: list[dict] = []
    failures: dict[str, str] = {}
    for suite in suites:
        name = getattr(suite, "__module__", repr(suite))
        try:
            for comparison in suite(options):
                options.log(f"bench {comparison.name} vs {comparison.baseline_name or '(no baseline)'} ...")
                load_before = os.getloadavg()[0]
                began = time.perf_counter()
                try:
                    entry = harness.interleave(comparison, options.runs, options.log)
                except Exception as exc:  # noqa: BLE001 - the suite's next comparisons still run
                    failures[comparison.name] = f"{type(exc).__name__}: {exc}"
                    options.log(f"bench {comparison.name} FAILED: {exc}\n{traceback.format_exc()}")
                    measured(entries, failures)
                    continue
                entry["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
                entry["wall_s"] = round(time.perf_counter() - began, 1)
                entries.append(entry)
                measured(entries, failures)
                for line in list(harness.table([entry]))[1:]:
                    options.log(line)
        except Exception as exc:  # noqa: BLE001 - one broken suite must not lose the others' numbers
            failures[name] = f"{type(exc).__name__}: {exc}"
            options.log(f"bench suite {name} FAILED: {exc}\n{traceback.format_exc()}")
    return entries, failures


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
        "private_network_namespace": os.environ.get(NETNS_MARK) == "1",
    }


def write(
    entries: list[dict],
    failures: dict[str, str],
    options: Options,
    started: dict,
    out: Path,
    partial: bool = False,
) -> None:
    """bench.json; `partial` while comparisons are still to come."""
    out.parent.mkdir(parents=True, exist_ok=True)
    metrics = {"machine": {**started, "load_average_at_end": [round(x, 1) for x in os.getloadavg()]}}
    document = {
        "comparisons": entries,
        "metrics": metrics,
        "failures": failures,
        "runs": options.runs,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "partial": partial,
    }
    temp = out.with_suffix(".tmp")
    temp.write_text(json.dumps(document, indent=2) + "\n")
    temp.replace(out)


def _in_private_network() -> bool:
    """Re-run this command in a private network namespace when allowed; True when already in one."""
    if os.environ.get(NETNS_MARK) == "1":
        return True
    if os.environ.get("BENCH_NETNS", "1") == "0" or os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    # LocalStack installs from the registry: do it before the namespace cuts the network.
    from awstwin.bench.servers import localstack_unavailable

    localstack_unavailable()
    command = " ".join([sys.executable, "-m", "awstwin", "bench", *map(_quote, sys.argv[2:])])
    os.environ[NETNS_MARK] = "1"
    os.execvp("unshare", ["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {command}"])
    return True  # not reached


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def main(argv: list[str] | None = None) -> int:
    options = parse(list(argv or []))
    if argv is None or sys.argv[1:2] == ["bench"]:
        _in_private_network()
    started = machine()
    load = started["load_average_at_start"]
    options.log(f"bench: {options.runs} interleaved runs per comparison; load average {load}")
    suites = [importlib.import_module(name).comparisons for name in SUITES]
    out = ARTIFACTS_DIR / "bench.json"
    entries, failures = run_suites(
        suites, options, lambda done, failed: write(done, failed, options, started, out, partial=True)
    )
    write(entries, failures, options, started, out)
    print()
    for line in harness.table(entries):
        print(line)
    missed = [e["name"] for e in entries for g in e["goals"] if g["met"] is False]
    print(
        f"\nwrote {out}; {len(entries)} comparisons, {len(missed)} goal(s) missed, "
        f"{len(failures)} suite failure(s); load average now {[round(x, 1) for x in os.getloadavg()]}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
