"""The run report's summary: a failed run says it changed nothing and shows the date's counts only as
its last good run's; a run that published says so; the input's warnings are listed."""

from __future__ import annotations

from awstwin.pipeline.report import RunReport


def _report(**fields: object) -> RunReport:
    report = RunReport(profile="local", ingest_date="2024-05-03", run="20240503t101500_1a2b", **fields)
    report.dataset = {"source": "students.csv", "rows": 240, "sha256": "ab" * 32}
    report.rows_raw = 240
    return report


def test_a_failed_run_says_nothing_was_published_and_keeps_the_last_good_counts_apart() -> None:
    report = _report()
    report.staged = {"rows_loaded": 216, "rows_quarantined": 24}
    report.last_good = {"rows_loaded": 6606, "rows_quarantined": 1}
    report.fail("gate_row_counts", "check quarantined_share_within_limit failed")
    lines = report.summary().splitlines()
    assert lines[0] == (
        "status       FAILED: nothing was published; ingest_date 2024-05-03 is as its last good run left it"
    )
    assert (
        "rows         this run: raw 240, nothing loaded; it staged 216 valid + 24 quarantined (not published)"
        in lines
    )
    last_good = "last good    ingest_date 2024-05-03 holds loaded 6606, quarantined 1: from its last good run"
    assert f"{last_good}, not this one" in lines
    assert not any(line.startswith("rows         raw") for line in lines)  # no counts next to FAILED


def test_a_failed_first_run_of_a_date_says_the_date_has_nothing() -> None:
    report = _report()
    report.last_good = {"rows_loaded": 0, "rows_quarantined": 0}
    report.fail("wait_for_glue_job", "boom")
    summary = report.summary()
    assert "rows         this run: raw 240, nothing loaded\n" in summary
    assert "last good    ingest_date 2024-05-03 has no published rows" in summary


def test_a_run_that_failed_after_publishing_says_so() -> None:
    report = _report(published=True)
    report.rows_loaded, report.rows_quarantined = 216, 24
    report.fail("build_dashboard", "no such font")
    summary = report.summary()
    assert summary.startswith(
        "status       FAILED after publishing: ingest_date 2024-05-03 holds this run's rows"
    )
    assert "rows         raw 240, loaded 216, quarantined 24" in summary


def test_a_successful_run_lists_its_counts_and_the_inputs_warnings() -> None:
    report = _report(published=True, status="success")
    report.rows_loaded, report.rows_quarantined = 239, 1
    report.warnings = ["line 1, column 21 (Notes) is not a column of the dataset: it is not loaded"]
    summary = report.summary()
    assert summary.startswith("status       SUCCESS\n")
    assert "ingest_date  2024-05-03, run 20240503t101500_1a2b" in summary
    assert "rows         raw 240, loaded 239, quarantined 1" in summary
    assert (
        "warning      line 1, column 21 (Notes) is not a column of the dataset: it is not loaded" in summary
    )
    assert "last good" not in summary
