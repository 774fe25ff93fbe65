"""How each kind of number is written, in one place: the Findings and the page's tables use these same
functions, so a number quoted in a sentence is character for character the one in a table."""

from __future__ import annotations

import math

from awstwin.dashboard import stats


def count(n: int) -> str:
    return f"{n:,}"


def score(value: float) -> str:
    """Exam score points (means, differences, SDs)."""
    return f"{value:.2f}"


def hours(value: float) -> str:
    return f"{value:.1f}"


def pct(value: float) -> str:
    """A percentage given in percent (59.6 -> '59.6%')."""
    return f"{value:.1f}%"


def share(value: float) -> str:
    """A share given as a fraction (0.596 -> '59.6%')."""
    return pct(100 * value)


def coefficient(value: float) -> str:
    """r, r squared, slope, Cohen's d and eta squared."""
    return f"{value:.3f}"


def statistic(value: float) -> str:
    """t and F."""
    return "inf" if math.isinf(value) else f"{value:.2f}"


def df(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def p_value(p: float) -> str:
    """'p < 0.001' below a thousandth, else 'p = 0.123'."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def interval(ci: stats.Interval | None, render=score) -> str:  # noqa: ANN001 - a formatter from this module
    return "n/a" if ci is None else f"{render(ci.low)} to {render(ci.high)}"


def significance(p: float) -> str:
    return "significant" if p < stats.ALPHA else "not significant"
