"""Inference from summaries equals the same inference on the raw values (scipy on the samples)."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass

import pytest
from scipy import stats as sps

from awstwin.dashboard import stats


@dataclass(frozen=True)
class Group:
    label: str
    n: int
    mean: float
    sd: float | None


def summary(values: list[float], label: str = "") -> Group:
    return Group(
        label, len(values), statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None
    )


def samples(seed: int, sizes: tuple[int, ...], shifts: tuple[float, ...]) -> list[list[int]]:
    rng = random.Random(seed)
    return [
        [round(rng.gauss(67 + shift, 4)) for _ in range(n)] for n, shift in zip(sizes, shifts, strict=True)
    ]


def test_mean_ci_is_the_t_interval_of_the_sample() -> None:
    (values,) = samples(1, (40,), (0,))
    ci = stats.mean_ci(summary(values))
    low, high = sps.t.interval(0.95, len(values) - 1, loc=statistics.fmean(values), scale=sps.sem(values))
    assert (ci.low, ci.high) == pytest.approx((low, high))
    assert stats.mean_ci(Group("one", 1, 70.0, None)) is None


def test_welch_from_summaries_equals_welch_on_the_samples() -> None:
    a, b = samples(2, (300, 120), (0.0, 1.0))
    result = stats.welch(summary(a), summary(b))
    expected = sps.ttest_ind(a, b, equal_var=False)
    assert result.t == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    assert result.df == pytest.approx(expected.df)
    low, high = expected.confidence_interval(0.95)
    assert (result.ci.low, result.ci.high) == pytest.approx((low, high))
    pooled = math.sqrt(
        ((len(a) - 1) * statistics.variance(a) + (len(b) - 1) * statistics.variance(b))
        / (len(a) + len(b) - 2)
    )
    assert result.cohens_d == pytest.approx((statistics.fmean(a) - statistics.fmean(b)) / pooled)
    assert result.significant == (expected.pvalue < 0.05)


def test_regression_from_sums_equals_linregress() -> None:
    rng = random.Random(3)
    xs = [rng.randint(1, 44) for _ in range(2000)]
    ys = [min(100, max(0, round(60 + 0.3 * x + rng.gauss(0, 3.5)))) for x in xs]
    fit = stats.regression_from_sums(
        len(xs),
        sum(xs),
        sum(ys),
        sum(x * x for x in xs),
        sum(y * y for y in ys),
        sum(x * y for x, y in zip(xs, ys, strict=True)),
    )
    expected = sps.linregress(xs, ys)
    assert (fit.slope, fit.intercept, fit.r) == pytest.approx(
        (expected.slope, expected.intercept, expected.rvalue)
    )
    pearson = sps.pearsonr(xs, ys)
    assert fit.p == pytest.approx(pearson.pvalue, rel=1e-6, abs=1e-300)
    ci = pearson.confidence_interval(0.95)
    assert (fit.r_ci.low, fit.r_ci.high) == pytest.approx((ci.low, ci.high))


def test_regression_sums_stay_exact_for_millions_of_rows() -> None:
    """n * sum_xx - sum_x**2 with 10 million rows: floats would cancel, exact integers do not."""
    n, x = 10_000_000, 20
    sums = (n + 1, n * x + 21, n * 67 + 68, n * x * x + 21 * 21, n * 67 * 67 + 68 * 68, n * x * 67 + 21 * 68)
    fit = stats.regression_from_sums(*sums)
    assert fit.slope == pytest.approx(1.0)  # the only information is the one point (21, 68) next to (20, 67)
    assert fit.r == pytest.approx(1.0)


def test_anova_from_summaries_equals_f_oneway_on_the_samples() -> None:
    groups = samples(4, (50, 80, 65, 1), (0.0, 0.5, 1.5, 0.0))
    result = stats.anova([summary(g) for g in groups])
    expected = sps.f_oneway(*groups)
    assert result.f == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    assert (result.df_between, result.df_within, result.n) == (
        3,
        sum(map(len, groups)) - 4,
        sum(map(len, groups)),
    )
    everything = [v for g in groups for v in g]
    mean = statistics.fmean(everything)
    between = sum(len(g) * (statistics.fmean(g) - mean) ** 2 for g in groups)
    assert result.eta_squared == pytest.approx(between / sum((v - mean) ** 2 for v in everything))


def test_pooling_groups_equals_the_summary_of_all_their_values() -> None:
    groups = samples(5, (30, 1, 12), (0.0, 3.0, -2.0))
    pooled = stats.pool([summary(g) for g in groups], "all")
    everything = [v for g in groups for v in g]
    assert (pooled.n, pooled.mean, pooled.sd) == pytest.approx(
        (len(everything), statistics.fmean(everything), statistics.stdev(everything))
    )


def test_wilson_interval_equals_scipy() -> None:
    share = stats.wilson(3937, 6606)
    expected = sps.binomtest(3937, 6606).proportion_ci(0.95, method="wilson")
    assert (share.ci.low, share.ci.high) == pytest.approx((expected.low, expected.high))
    assert share.share == pytest.approx(3937 / 6606)
    with pytest.raises(ValueError, match="successes"):
        stats.wilson(7, 5)


def test_tests_refuse_groups_too_small_to_test() -> None:
    with pytest.raises(ValueError, match="at least 2 rows"):
        stats.welch(Group("a", 1, 70.0, None), Group("b", 10, 68.0, 3.0))
    with pytest.raises(ValueError, match="2 groups"):
        stats.anova([Group("a", 10, 70.0, 3.0)])
    with pytest.raises(ValueError, match="vary"):
        stats.regression_from_sums(3, 3, 6, 3, 14, 6)
