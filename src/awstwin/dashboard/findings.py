"""The "Findings": one sentence per question, written from the numbers, never from expectations.

Each sentence gives the effect size, n and p-value, and says plainly when a difference is not
statistically significant. Every number in a sentence is formatted by `fmt`, the same functions that
write the page's tables, so a reader finds each one again in the section it summarises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from awstwin.dashboard import fmt, stats
from awstwin.dashboard.analysis import Analysis, GroupComparison, GroupedScores

NOT_SIGNIFICANT = "The difference is not statistically significant"
NOT_SIGNIFICANT_GROUPS = "The differences are not statistically significant"

# Conventional labels for effect sizes (Cohen 1988): upper bounds, smallest first.
D_SIZES = ((0.2, "negligible"), (0.5, "small"), (0.8, "medium"), (float("inf"), "large"))
ETA_SIZES = ((0.01, "negligible"), (0.06, "small"), (0.14, "medium"), (float("inf"), "large"))
R_SIZES = ((0.1, "negligible"), (0.3, "weak"), (0.5, "moderate"), (float("inf"), "strong"))


@dataclass(frozen=True)
class Finding:
    topic: str  # the page section that shows its numbers (an element id)
    text: str
    significant: bool | None  # None: no test was possible


def size_label(value: float, scale: tuple[tuple[float, str], ...]) -> str:
    return next(label for bound, label in scale if abs(value) < bound)


def _anova_text(test: stats.Anova) -> str:
    return (
        f"one-way ANOVA F({test.df_between}, {test.df_within}) = {fmt.statistic(test.f)}, "
        f"{fmt.p_value(test.p)}, η² = {fmt.coefficient(test.eta_squared)}, n = {fmt.count(test.n)}"
    )


def _ranked(scores: GroupedScores, topic: str, what: str, group: Callable[[str], str]) -> Finding | None:
    """Groups in their natural order: do scores differ across them? Quotes the first and last group."""
    if scores.anova is None or len(scores.groups) < 2:
        return None
    low, high = scores.groups[0], scores.groups[-1]
    test = scores.anova
    trend = (
        f"students {group(high.label)} average {fmt.score(high.mean)} (n = {fmt.count(high.n)}) against "
        f"{fmt.score(low.mean)} {group(low.label)} (n = {fmt.count(low.n)})"
    )
    if test.significant:
        text = (
            f"Exam scores differ by {what}: {trend}; {_anova_text(test)}, "
            f"a {size_label(test.eta_squared, ETA_SIZES)} effect."
        )
    else:
        text = (
            f"Exam scores do not differ clearly by {what}: {trend}; {_anova_text(test)}. "
            f"{NOT_SIGNIFICANT_GROUPS}."
        )
    return Finding(topic, text, test.significant)


def attendance(analysis: Analysis) -> Finding | None:
    return _ranked(
        analysis.attendance_bands, "attendance", "attendance", lambda band: f"attending {band}% of classes"
    )


def tutoring(analysis: Analysis) -> Finding | None:
    return _ranked(
        analysis.tutoring_groups,
        "attendance",
        "the number of tutoring sessions",
        lambda group: f"with {group} tutoring sessions a month",
    )


def study_hours(analysis: Analysis) -> Finding | None:
    fit = analysis.regression
    if fit is None:
        return None
    numbers = (
        f"Pearson r = {fmt.coefficient(fit.r)}, 95% CI {fmt.interval(fit.r_ci, fmt.coefficient)}, "
        f"r² = {fmt.coefficient(fit.r_squared)} (n = {fmt.count(fit.n)}, {fmt.p_value(fit.p)})"
    )
    slope = f"slope {fmt.coefficient(fit.slope)} exam points per weekly hour of study"
    if fit.significant:
        size = size_label(fit.r, R_SIZES)
        direction = "higher" if fit.slope > 0 else "lower"
        text = f"Students who study more score {direction}: {slope}; {numbers}, a {size} association."
    else:
        text = f"Hours studied show no clear link with exam score: {slope}; {numbers}. {NOT_SIGNIFICANT}."
    return Finding("hours", text, fit.significant)


def _comparison_numbers(cmp: GroupComparison, a_name: str, b_name: str) -> str:
    test = cmp.test
    assert test is not None
    return (
        f"{a_name} {fmt.score(cmp.a.mean)} (n = {fmt.count(cmp.a.n)}) vs {b_name} {fmt.score(cmp.b.mean)} "
        f"(n = {fmt.count(cmp.b.n)}), a difference of {fmt.score(test.diff)} points "
        f"(95% CI {fmt.interval(test.ci)}, Cohen's d = {fmt.coefficient(test.cohens_d)}); "
        f"Welch t({fmt.df(test.df)}) = {fmt.statistic(test.t)}, {fmt.p_value(test.p)}"
    )


def school_type(analysis: Analysis) -> Finding | None:
    cmp = analysis.school
    if cmp is None or cmp.test is None:
        return None
    numbers = _comparison_numbers(cmp, cmp.a.label.lower(), cmp.b.label.lower())
    if cmp.test.significant:
        higher = cmp.a.label if cmp.test.diff > 0 else cmp.b.label
        size = size_label(cmp.test.cohens_d, D_SIZES)
        text = f"{higher} school students score higher: {numbers}; the effect size is {size}."
    else:
        text = f"Public and private school students score about the same: {numbers}. {NOT_SIGNIFICANT}."
    return Finding("school", text, cmp.test.significant)


def sleep(analysis: Analysis) -> Finding | None:
    scores = analysis.sleep
    if scores.anova is None:
        return None
    means = [g.mean for g in scores.groups]
    first, last = scores.groups[0], scores.groups[-1]
    spread = (
        f"mean scores for {first.label} to {last.label} hours of sleep lie between "
        f"{fmt.score(min(means))} and {fmt.score(max(means))}; {_anova_text(scores.anova)}"
    )
    if scores.anova.significant:
        size = size_label(scores.anova.eta_squared, ETA_SIZES)
        text = f"Sleep hours go with exam score: {spread}, a {size} effect."
    else:
        text = f"Sleep hours show no clear link with exam score: {spread}. {NOT_SIGNIFICANT_GROUPS}."
    return Finding("sleep", text, scores.anova.significant)


def extracurricular(analysis: Analysis) -> Finding | None:
    share, cmp = analysis.extracurricular_share, analysis.extracurricular
    if share is None:
        return None
    text = (
        f"{fmt.share(share.share)} of students take part in extracurricular activities "
        f"(95% CI {fmt.interval(share.ci, fmt.share)}, n = {fmt.count(share.n)})."
    )
    if cmp is None or cmp.test is None:
        return Finding("extracurricular", text, None)
    numbers = _comparison_numbers(cmp, "those taking part", "those not")
    if cmp.test.significant:
        direction = "higher" if cmp.test.diff > 0 else "lower"
        size = size_label(cmp.test.cohens_d, D_SIZES)
        text += (
            f" Those who do score {direction}: {numbers}. The difference is statistically significant; "
            f"its effect size is {size}."
        )
    else:
        text += f" Their exam scores do not differ clearly: {numbers}. {NOT_SIGNIFICANT}."
    return Finding("extracurricular", text, cmp.test.significant)


RULES = (attendance, study_hours, tutoring, extracurricular, school_type, sleep)


def findings(analysis: Analysis) -> list[Finding]:
    """Every finding the numbers allow, in the page's reading order."""
    return [found for rule in RULES if (found := rule(analysis)) is not None]
