"""Run every measurement in its own process and write artifacts/bench.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from awstwin.bench.measures import MEASURES, REPO
from awstwin.bench.targets import TARGETS, verdict

# Benchmarks that live next to their service's tests (they reuse those tests' fixtures).
SERVICE_BENCHES = ["tests.endpoint.s3.bench_s3", "tests.endpoint.athena.bench_athena"]


def _measure_in_child(name: str) -> dict[str, float]:
    code = (
        f"import json; from awstwin.bench.measures import MEASURES; print(json.dumps(MEASURES[{name!r}]()))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(name: str, value: float) -> str:
    unit = TARGETS.get(name, ("", 0, ""))[2]
    target = ""
    if name in TARGETS:
        op, bound, _ = TARGETS[name]
        target = f"target {op} {bound:g} {unit}  {verdict(name, value)}"
    return f"  {name:<34} {value:>12.2f} {unit:<7} {target}"


def main(argv: list[str] | None = None) -> int:
    quick = os.environ.get("QUICK") == "1" or "--quick" in (argv or [])
    names = [n for n in MEASURES if not (quick and n == "pipeline_1m")]
    results: dict[str, float] = {}
    failures: dict[str, str] = {}
    for name in names:
        print(f"bench {name} ...", flush=True)
        started = time.perf_counter()
        try:
            values = _measure_in_child(name)
        except RuntimeError as exc:
            failures[name] = str(exc)
            print(f"  {name} FAILED: {exc}", flush=True)
            continue
        results.update(values)
        for metric, value in values.items():
            print(_line(metric, value), flush=True)
        print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    for module in SERVICE_BENCHES:
        print(f"bench {module} ...", flush=True)
        done = subprocess.run([sys.executable, "-m", module], cwd=REPO, capture_output=True, text=True)
        print("\n".join("  " + line for line in done.stdout.strip().splitlines()), flush=True)
        if done.returncode != 0:
            failures[module] = (done.stderr.strip().splitlines() or ["failed"])[-1]
    missed = [m for m, v in results.items() if verdict(m, v) == "MISSED"]
    out = REPO / "artifacts" / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"results": results, "targets": TARGETS, "missed": missed, "failures": failures},
            indent=2,
        )
    )
    print(f"wrote {out.relative_to(REPO)}; {len(missed)} target(s) missed, {len(failures)} failure(s)")
    return 1 if missed or failures else 0


if __name__ == "__main__":
    sys.exit(main())
