"""The bench's harness: interleaving, min/median/ratio, goals, options and the shape of bench.json.

No Spark, no server: the measured subjects are functions returning fixed samples, so this runs in
milliseconds and never times anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from awstwin.bench import harness
from awstwin.bench.harness import Comparison, Goal, Sample
from awstwin.bench.options import Options, parse
from awstwin.bench.runner import run_suites, write


def scripted(name: str, seconds: list[float], calls: list[str], metrics: dict | None = None):  # noqa: ANN201
    """A subject that records its calls and returns the next of `seconds` each time."""
    queue = list(seconds)

    def measure() -> Sample:
        calls.append(name)
        return Sample(queue.pop(0), dict(metrics or {}))

    return measure


def test_runs_alternate_awstwin_then_baseline_after_one_warmup_each() -> None:
    calls: list[str] = []
    comparison = Comparison(
        "x",
        scripted("A", [9.0, 1.0, 2.0, 3.0], calls),
        "base",
        scripted("B", [9.0, 4.0, 5.0, 6.0], calls),
        warmup=True,
    )
    entry = harness.interleave(comparison, runs=3)
    assert calls == ["A", "B", "A", "B", "A", "B", "A", "B"]
    assert entry["runs"] == [
        {"awstwin": 1.0, "baseline": 4.0},
        {"awstwin": 2.0, "baseline": 5.0},
        {"awstwin": 3.0, "baseline": 6.0},
    ], "the warm-up runs are not recorded"


def test_min_median_and_both_kinds_of_ratio() -> None:
    calls: list[str] = []
    timed = Comparison("t", scripted("A", [3.0, 1.0, 2.0], calls), "b", scripted("B", [8.0, 4.0, 6.0], calls))
    entry = harness.interleave(timed, runs=3)
    assert entry["awstwin_s"] == {"min": 1.0, "median": 2.0}
    assert entry["baseline_s"] == {"min": 4.0, "median": 6.0}
    assert entry["ratio"] == pytest.approx(2.0 / 6.0)  # time: lower is better
    assert entry["ratio_min"] == pytest.approx(1.0 / 4.0)

    rate = Comparison(
        "r", scripted("A", [2.0, 2.0, 2.0], calls), "b", scripted("B", [1.0, 1.0, 1.0], calls), kind="rate"
    )
    assert harness.interleave(rate, runs=3)["ratio"] == pytest.approx(0.5)  # half the throughput


def test_goals_are_judged_on_ratio_seconds_overhead_and_metrics() -> None:
    calls: list[str] = []
    comparison = Comparison(
        "g",
        scripted("A", [0.05, 0.03, 0.04], calls, {"peak_rss_mb": 900}),
        "b",
        scripted("B", [0.02, 0.01, 0.03], calls),
        goals=[
            Goal("seconds", "<=", 0.040),
            Goal("overhead", "<=", 0.010),
            Goal("ratio", ">=", 2.0),
            Goal("peak_rss_mb", "<=", 4096),
        ],
    )
    entry = harness.interleave(comparison, runs=3)
    judged = {g["goal"]: (g["value"], g["met"]) for g in entry["goals"]}
    assert judged["<= 0.04 s"] == (pytest.approx(0.04), True)
    assert judged["overhead <= 0.01 s"] == (pytest.approx(0.02), False)
    assert judged[">= 2x"] == (pytest.approx(2.0), True)
    assert judged["peak_rss_mb <= 4096"] == (900, True)
    assert entry["metrics"]["peak_rss_mb"] == {"min": 900, "median": 900, "max": 900}


def test_a_comparison_without_baseline_and_a_skipped_one() -> None:
    calls: list[str] = []
    alone = harness.interleave(Comparison("alone", scripted("A", [1.0, 2.0, 3.0], calls)), runs=3)
    assert alone["baseline"] is None and alone["baseline_s"] is None and alone["ratio"] is None
    assert alone["runs"] == [{"awstwin": 1.0}, {"awstwin": 2.0}, {"awstwin": 3.0}]
    skipped = harness.interleave(
        Comparison("s", scripted("A", [], calls), "LocalStack", None, skipped="not installable here"), runs=3
    )
    assert skipped["skipped"] == "not installable here" and skipped["runs"] == []
    assert calls == ["A", "A", "A"]


def test_bench_json_shape_and_the_printed_table(tmp_path: Path) -> None:
    calls: list[str] = []

    def suite(options: Options) -> Iterator[Comparison]:
        if options.wants("fast"):
            yield Comparison(
                "fast",
                scripted("A", [0.5] * 3, calls),
                "base",
                scripted("B", [1.0] * 3, calls),
                goals=[Goal("ratio", "<=", 1)],
            )
        if options.wants("slow"):
            yield Comparison("slow", scripted("A", [5.0] * 3, calls))

    def broken(options: Options) -> Iterator[Comparison]:
        raise RuntimeError("no server")
        yield  # pragma: no cover

    options = Options(runs=3, only=frozenset({"fast"}), log=lambda _line: None)
    entries, failures = run_suites([suite, broken], options)
    assert [e["name"] for e in entries] == ["fast"], "--only leaves the others out"
    assert list(failures.values()) == ["RuntimeError: no server"], "a broken suite is recorded, not fatal"
    out = tmp_path / "bench.json"
    write(entries, failures, options, {"cpus": 2}, out)
    document = json.loads(out.read_text())
    assert set(document) >= {"comparisons", "metrics"}
    [entry] = document["comparisons"]
    assert {"name", "awstwin_s", "baseline", "baseline_s", "ratio", "runs"} <= set(entry)
    assert entry["ratio"] == 0.5 and len(entry["runs"]) == 3 and len(entry["load_average"]) == 2
    assert document["metrics"]["machine"]["cpus"] == 2
    lines = list(harness.table(document["comparisons"]))
    assert lines[1].split()[:2] == ["fast", "base"] and "0.50x" in lines[1] and "<= 1x ok" in lines[1]


def test_options_from_arguments_and_environment() -> None:
    assert parse([], {}).runs == 3
    only = parse(["--only", "a,b", "--runs", "5"], {})
    assert only.only == frozenset({"a", "b"}) and only.runs == 5
    assert parse([], {"BENCH_ONLY": "s3_list_10k", "BENCH_RUNS": "4"}).only == frozenset({"s3_list_10k"})
    quick = parse([], {"BENCH_QUICK": "1"})
    assert quick.wants("s3_list_10k") and not quick.wants("pipeline_6607_warm")
    assert not parse([], {}).wants("pipeline_10m"), "10M rows only when asked for"
    assert not parse([], {}).wants("pipeline_1m_cluster"), "a Spark cluster only when asked for"
    assert parse(["--big"], {}).wants("pipeline_1m_cluster")
    assert parse(["--big"], {}).wants("pipeline_10m") and parse([], {}).wants("pipeline_1m")
    with pytest.raises(SystemExit):
        parse(["--runs", "0"], {})
    with pytest.raises(SystemExit):
        parse(["--what"], {})


def test_a_comparison_capped_at_one_run_runs_once_whatever_runs_asks() -> None:
    calls: list[str] = []
    slow = Comparison("slow", scripted("A", [5.0], calls), max_runs=1)
    entry = harness.interleave(slow, runs=3)
    assert calls == ["A"]
    assert entry["awstwin_s"] == {"min": 5.0, "median": 5.0}
    assert entry["baseline_s"] is None and entry["ratio"] is None


def test_quick_leaves_out_the_pipelines_and_big_runs_only_behind_its_flag() -> None:
    quick = parse([], {"BENCH_QUICK": "1"})
    assert quick.wants("s3_list_10k") and not quick.wants("pipeline_6607_warm")
    assert not quick.wants("glue_job_start") and not quick.wants("warehouse_load_1m")
    full = parse([], {})
    assert full.wants("pipeline_6607_cold") and not full.wants("pipeline_10m")
    assert parse(["--big"], {}).wants("pipeline_10m")
    only = parse(["--only", "warehouse_load_1m"], {})
    assert only.wants("warehouse_load_1m") and not only.wants("s3_put_get")


def test_the_readme_table_has_one_row_per_comparison_with_its_ratio_and_goals() -> None:
    from awstwin.bench.readme import markdown

    calls: list[str] = []
    measured = harness.interleave(
        Comparison(
            "fast",
            scripted("A", [0.5], calls),
            "base",
            scripted("B", [2.0], calls),
            goals=[Goal("ratio", "<=", 1)],
        ),
        runs=1,
    )
    skipped = harness.interleave(
        Comparison("gone", scripted("A", [], calls), "ls", skipped="not installed"), runs=1
    )
    lines = list(markdown({"comparisons": [measured, skipped]}))
    assert lines[2].startswith(
        "| `fast` | base | 500 ms / 500 ms | 2.00 s / 2.00 s | 0.25x | <= 1x: met (0.25x) |"
    )
    assert "skipped: not installed" in lines[3]


def test_a_failing_comparison_is_recorded_and_the_suite_goes_on() -> None:
    calls: list[str] = []

    def broken() -> Sample:
        raise RuntimeError("the run failed")

    def suite(options: Options) -> Iterator[Comparison]:
        yield Comparison("broken", broken)
        yield Comparison("fine", scripted("A", [1.0], calls))

    seen: list[int] = []
    entries, failures = run_suites(
        [suite], Options(runs=1, log=lambda _: None), lambda e, _f: seen.append(len(e))
    )
    assert [e["name"] for e in entries] == ["fine"]
    assert failures == {"broken": "RuntimeError: the run failed"}
    assert seen == [0, 1], "bench.json is rewritten after every comparison, failed or not"
