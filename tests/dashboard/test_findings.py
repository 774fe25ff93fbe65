"""The Findings on the real dataset: each number is shown elsewhere on the page, each claim agrees with
scipy run on the raw rows, and a difference within noise is called not significant in so many words."""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

import pytest
import tests.dashboard.page_text as page_text
from scipy import stats as sps
from tests.dashboard.warehouse_rows import LoadedDate, copy_rows

from awstwin.dashboard import render_dashboard
from awstwin.dashboard.analysis import analyse
from awstwin.dashboard.data import ScoreGroup, read_marts
from awstwin.dashboard.findings import findings
from awstwin.dashboard.marts import build_marts

NOT_SIGNIFICANT = "not statistically significant"
TINY_DATE = "2024-01-31"


@pytest.fixture(scope="module")
def real_page(connection: Any, real: LoadedDate) -> page_text.PageText:
    return page_text.read(render_dashboard(connection, real.ingest_date))


def sentence(page: page_text.PageText, starts: str) -> str:
    (found,) = [f for f in page.findings if f.startswith(starts)]
    return found


def scores(rows: list[dict], **where: Any) -> list[int]:
    return [r["exam_score"] for r in rows if all(r[k] == v for k, v in where.items())]


def test_every_number_in_a_finding_is_shown_in_a_card_or_table(real_page: page_text.PageText) -> None:
    assert len(real_page.findings) == 6
    shown = page_text.numbers(" ".join(real_page.rest))
    for text in real_page.findings:
        missing = page_text.numbers(text) - shown
        assert not missing, f"numbers {sorted(missing)} of finding {text!r} appear nowhere else on the page"


def test_school_type_difference_is_reported_as_not_significant(real: LoadedDate, real_page) -> None:
    public, private = scores(real.rows, school_type="Public"), scores(real.rows, school_type="Private")
    welch = sps.ttest_ind(public, private, equal_var=False)
    assert welch.pvalue > 0.05  # the real data: the original report's school-type "finding" is noise
    text = sentence(real_page, "Public and private")
    assert f"Welch t({welch.df:.1f}) = {welch.statistic:.2f}, p = {welch.pvalue:.3f}" in text
    assert f"(n = {len(public):,})" in text and f"(n = {len(private):,})" in text
    low, high = welch.confidence_interval(0.95)
    assert f"95% CI {low:.2f} to {high:.2f}" in text
    assert text.endswith("The difference is not statistically significant.")


def test_study_hours_correlation_matches_pearson_on_the_rows(real: LoadedDate, real_page) -> None:
    xs, ys = [r["hours_studied"] for r in real.rows], [r["exam_score"] for r in real.rows]
    pearson, fit = sps.pearsonr(xs, ys), sps.linregress(xs, ys)
    text = sentence(real_page, "Students who study more")
    assert f"slope {fit.slope:.3f} exam points" in text
    assert f"Pearson r = {pearson.statistic:.3f}" in text and f"r² = {pearson.statistic**2:.3f}" in text
    assert pearson.pvalue < 0.001 and "p < 0.001" in text and NOT_SIGNIFICANT not in text


def test_attendance_tutoring_and_sleep_anovas_match_f_oneway_on_the_rows(real: LoadedDate, real_page) -> None:
    def by(key) -> list[list[int]]:
        groups: dict[Any, list[int]] = {}
        for row in real.rows:
            groups.setdefault(key(row), []).append(row["exam_score"])
        return [groups[k] for k in sorted(groups)]

    cases = {
        "Exam scores differ by attendance": by(
            lambda r: max(5, min(r["attendance"] // 10, 9))
        ),  # 0-59, 60-69, ..., 90-100
        "Exam scores differ by the number of tutoring": by(lambda r: min(r["tutoring_sessions"], 4)),
        "Sleep hours show no clear link": by(lambda r: r["sleep_hours"]),
    }
    for starts, groups in cases.items():
        result = sps.f_oneway(*groups)
        text = sentence(real_page, starts)
        df = f"F({len(groups) - 1}, {sum(map(len, groups)) - len(groups)}) = {result.statistic:.2f}"
        assert df in text, (df, text)
        p = "p < 0.001" if result.pvalue < 0.001 else f"p = {result.pvalue:.3f}"
        assert p in text
        assert (NOT_SIGNIFICANT in text) == (result.pvalue >= 0.05), text


def test_extracurricular_share_and_score_gap_match_the_rows(real: LoadedDate, real_page) -> None:
    yes, no = (
        scores(real.rows, extracurricular_activities="Yes"),
        scores(real.rows, extracurricular_activities="No"),
    )
    share = sps.binomtest(len(yes), len(yes) + len(no)).proportion_ci(0.95, method="wilson")
    text = sentence(real_page, f"{100 * len(yes) / (len(yes) + len(no)):.1f}% of students take part")
    assert f"95% CI {100 * share.low:.1f}% to {100 * share.high:.1f}%" in text
    gap = statistics.fmean(yes) - statistics.fmean(no)
    assert f"a difference of {gap:.2f} points" in text
    assert "statistically significant; its effect size is negligible" in text  # d = 0.13


def test_badges_agree_with_the_sentences(real_page: page_text.PageText) -> None:
    for badge, text in zip(real_page.badges, real_page.findings, strict=True):
        assert (badge == "not significant") == (NOT_SIGNIFICANT in text), (badge, text)


def test_a_real_school_gap_is_called_significant(connection: Any, generated: LoadedDate) -> None:
    """The same rule, fed a clear difference, says so: the wording follows the numbers, not the topic."""
    marts = read_marts(connection, generated.ingest_date)
    gap = (ScoreGroup("Private", 900, 71.0, 3.8), ScoreGroup("Public", 2100, 66.5, 3.9))
    text = next(
        f.text for f in findings(analyse(dataclasses.replace(marts, school_types=gap))) if f.topic == "school"
    )
    assert text.startswith("Private school students score higher")
    assert NOT_SIGNIFICANT not in text and "the effect size is large" in text


def test_a_date_too_small_to_test_renders_without_claims(connection: Any, generated: LoadedDate) -> None:
    """Three students, one school type: the page shows what there is and claims nothing it cannot test."""
    tiny = [dict(r, school_type="Public") for r in generated.rows[:3]]
    copy_rows(connection, TINY_DATE, tiny)
    build_marts(connection, TINY_DATE)
    page = page_text.read(render_dashboard(connection, TINY_DATE))
    assert "Not enough data for this chart." in " ".join(page.rest)
    assert all("Public and private" not in text for text in page.findings)
    for badge, text in zip(page.badges, page.findings, strict=True):
        assert badge == "descriptive" or "n = 3" in text, text  # every test names its tiny n
