"""What a bench invocation asks for: which comparisons, how many runs, and the big optional ones."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_RUNS = 3
# BENCH_QUICK=1: the comparisons that take seconds, not minutes (no pipeline, no 1M-row load).
QUICK = (
    "s3_put_get",
    "s3_multipart_100mb",
    "s3_list_10k",
    "endpoint_cold_start",
    "athena_select_1",
    "athena_count_1m",
    "athena_groupby_1m",
    "crawler_1000_files",
    "imports_bytecode",
)
BEHIND_FLAG = ("pipeline_10m", "pipeline_1m_cluster")  # --big / BENCH_BIG=1


@dataclass
class Options:
    runs: int = DEFAULT_RUNS
    only: frozenset[str] | None = None
    quick: bool = False
    big: bool = False
    pipeline_runs: int | None = None  # BENCH_PIPELINE_RUNS: fewer runs of the minutes-long pipelines
    log: Callable[[str], None] = field(default=print)

    def wants(self, name: str) -> bool:
        if self.only is not None:
            return name in self.only
        if name in BEHIND_FLAG and not self.big:
            return False
        return name in QUICK if self.quick else True

    def wants_any(self, *names: str) -> bool:
        return any(self.wants(name) for name in names)


def parse(argv: list[str], environ: dict[str, str] | None = None) -> Options:
    """`--only a,b`, `--runs N`, `--quick`, `--big`; BENCH_ONLY, BENCH_RUNS, BENCH_QUICK=1, BENCH_BIG=1,
    BENCH_PIPELINE_RUNS (at most this many runs of each pipeline comparison)."""
    env = dict(os.environ if environ is None else environ)
    only = env.get("BENCH_ONLY") or None
    runs = int(env.get("BENCH_RUNS") or DEFAULT_RUNS)
    quick = env.get("BENCH_QUICK") == "1"
    big = env.get("BENCH_BIG") == "1"
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--only" and args:
            only = args.pop(0)
        elif arg.startswith("--only="):
            only = arg.split("=", 1)[1]
        elif arg == "--runs" and args:
            runs = int(args.pop(0))
        elif arg.startswith("--runs="):
            runs = int(arg.split("=", 1)[1])
        elif arg == "--quick":
            quick = True
        elif arg == "--big":
            big = True
        else:
            raise SystemExit(f"bench: unknown argument {arg!r} (use --only a,b --runs N --quick --big)")
    if runs < 1:
        raise SystemExit("bench: --runs must be at least 1")
    names = frozenset(n.strip() for n in only.split(",") if n.strip()) if only else None
    pipeline_runs = int(env["BENCH_PIPELINE_RUNS"]) if env.get("BENCH_PIPELINE_RUNS") else None
    return Options(runs=runs, only=names, quick=quick, big=big, pipeline_runs=pipeline_runs)
