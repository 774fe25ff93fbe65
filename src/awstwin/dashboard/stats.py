"""Inference from summary statistics: what the marts hold (n, mean, sample SD, sums) is enough.

No raw rows are needed, so every figure here can be recomputed from the warehouse by any reader:
confidence intervals for means, Welch's t-test, Pearson r and the least-squares line from sums,
one-way ANOVA from group summaries, and the Wilson interval for a share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from scipy import stats as sps

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE


class Summary(Protocol):
    """A group's size, mean and sample standard deviation (None when n < 2)."""

    @property
    def n(self) -> int: ...
    @property
    def mean(self) -> float: ...
    @property
    def sd(self) -> float | None: ...


@dataclass(frozen=True)
class Pooled:
    """Several groups combined into one: exact, from their n, mean and SD alone."""

    label: str
    n: int
    mean: float
    sd: float | None
    order: int = 0


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Welch:
    """Welch's unequal-variance t-test of mean(a) - mean(b)."""

    diff: float
    ci: Interval
    t: float
    df: float
    p: float
    cohens_d: float
    n: int

    @property
    def significant(self) -> bool:
        return self.p < ALPHA


@dataclass(frozen=True)
class Regression:
    """Least-squares line y = intercept + slope * x and Pearson r, with r's two-sided p-value."""

    n: int
    slope: float
    intercept: float
    r: float
    t: float
    p: float
    r_ci: Interval

    @property
    def r_squared(self) -> float:
        return self.r * self.r

    @property
    def significant(self) -> bool:
        return self.p < ALPHA


@dataclass(frozen=True)
class Anova:
    """One-way ANOVA: do the group means differ more than their spread explains?"""

    f: float
    df_between: int
    df_within: int
    p: float
    eta_squared: float
    n: int

    @property
    def significant(self) -> bool:
        return self.p < ALPHA


@dataclass(frozen=True)
class Proportion:
    """A share with its Wilson score interval (good near 0 % and 100 % and for small n)."""

    successes: int
    n: int
    ci: Interval

    @property
    def share(self) -> float:
        return self.successes / self.n


def mean_ci(group: Summary, confidence: float = CONFIDENCE) -> Interval | None:
    """t-interval for a group's mean; None when n < 2 (no spread to estimate)."""
    if group.n < 2 or group.sd is None:
        return None
    half = sps.t.ppf(0.5 + confidence / 2, group.n - 1) * group.sd / math.sqrt(group.n)
    return Interval(group.mean - half, group.mean + half)


def _within_ss(group: Summary) -> float:
    return (group.n - 1) * (group.sd or 0.0) ** 2


def pool(groups: Sequence[Summary], label: str, order: int = 0) -> Pooled:
    """The combined group: n adds up, the mean is n-weighted, and the sum of squares splits exactly
    into each group's own spread plus its mean's distance from the combined mean."""
    n = sum(g.n for g in groups)
    if n == 0:
        raise ValueError(f"cannot pool {label!r}: no rows")
    mean = sum(g.n * g.mean for g in groups) / n
    ss = sum(_within_ss(g) + g.n * (g.mean - mean) ** 2 for g in groups)
    return Pooled(label, n, mean, math.sqrt(ss / (n - 1)) if n > 1 else None, order)


def welch(a: Summary, b: Summary, confidence: float = CONFIDENCE) -> Welch:
    """Welch's t-test from two summaries (scipy's ttest_ind_from_stats), the CI of the difference on
    Welch-Satterthwaite degrees of freedom, and Cohen's d on the pooled SD as the effect size."""
    if min(a.n, b.n) < 2 or a.sd is None or b.sd is None:
        raise ValueError("Welch's test needs at least 2 rows in each group")
    result = sps.ttest_ind_from_stats(a.mean, a.sd, a.n, b.mean, b.sd, b.n, equal_var=False)
    va, vb = a.sd**2 / a.n, b.sd**2 / b.n
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    diff = a.mean - b.mean
    half = sps.t.ppf(0.5 + confidence / 2, df) * se
    pooled_sd = math.sqrt((_within_ss(a) + _within_ss(b)) / (a.n + b.n - 2))
    return Welch(
        diff=diff,
        ci=Interval(diff - half, diff + half),
        t=float(result.statistic),
        df=df,
        p=float(result.pvalue),
        cohens_d=diff / pooled_sd if pooled_sd > 0 else math.nan,
        n=a.n + b.n,
    )


def regression_from_sums(
    n: int, sum_x: int, sum_y: int, sum_xx: int, sum_yy: int, sum_xy: int, confidence: float = CONFIDENCE
) -> Regression:
    """Slope, intercept and Pearson r from the five sums (what Redshift can compute without CORR).

    The centred sums are formed in exact integer arithmetic (n * sum_xx - sum_x**2 ...), so nothing is
    lost to cancellation even for millions of rows. r's p-value uses t = r sqrt((n-2)/(1-r^2)) on n-2
    degrees of freedom; its CI the Fisher z-transform.
    """
    if n < 3:
        raise ValueError(f"a regression needs at least 3 rows, not {n}")
    sxx, syy, sxy = n * sum_xx - sum_x * sum_x, n * sum_yy - sum_y * sum_y, n * sum_xy - sum_x * sum_y
    if sxx <= 0 or syy <= 0:
        raise ValueError("a regression needs x and y that vary")
    slope = sxy / sxx
    intercept = (sum_y - slope * sum_x) / n
    r = max(-1.0, min(1.0, sxy / math.sqrt(sxx) / math.sqrt(syy)))
    df = n - 2
    if abs(r) < 1:
        t = r * math.sqrt(df / (1 - r * r))
        p = float(2 * sps.t.sf(abs(t), df))
    else:
        t, p = math.copysign(math.inf, r), 0.0
    if n > 3 and abs(r) < 1:
        z, half = math.atanh(r), sps.norm.ppf(0.5 + confidence / 2) / math.sqrt(n - 3)
        r_ci = Interval(math.tanh(z - half), math.tanh(z + half))
    else:  # Fisher's z has no spread to work with: the interval says nothing more than r itself
        r_ci = Interval(-1.0, 1.0) if n <= 3 else Interval(r, r)
    return Regression(n, slope, intercept, r, t, p, r_ci)


def anova(groups: Sequence[Summary]) -> Anova:
    """One-way ANOVA from group summaries; eta squared (between / total sum of squares) as effect size."""
    groups = [g for g in groups if g.n > 0]
    k, n = len(groups), sum(g.n for g in groups)
    if k < 2 or n <= k:
        raise ValueError(
            f"ANOVA needs at least 2 groups and more rows than groups (got {k} groups, {n} rows)"
        )
    grand = sum(g.n * g.mean for g in groups) / n
    between = sum(g.n * (g.mean - grand) ** 2 for g in groups)
    within = sum(_within_ss(g) for g in groups)
    df_between, df_within = k - 1, n - k
    if within == 0:
        f, p = (math.inf, 0.0) if between > 0 else (math.nan, 1.0)
    else:
        f = (between / df_between) / (within / df_within)
        p = float(sps.f.sf(f, df_between, df_within))
    total = between + within
    return Anova(f, df_between, df_within, p, between / total if total else 0.0, n)


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> Proportion:
    """The Wilson score interval for successes / n."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"a share needs 0 <= successes <= n and n > 0 (got {successes} of {n})")
    z = sps.norm.ppf(0.5 + confidence / 2)
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return Proportion(successes, n, Interval(max(0.0, centre - half), min(1.0, centre + half)))
