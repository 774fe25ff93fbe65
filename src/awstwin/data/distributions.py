"""How the synthetic dataset is spread: one distribution per column and a linear model for the score.

Every number here is a summary fitted offline to the real Kaggle file (6,607 rows): its shares of
each category, the shape of each integer column, its missing-value rates and a least-squares fit of
Exam_Score on the other 19 columns (R^2 0.99 on the 99.2 % of rows that are not outliers). No row of
the real file is stored anywhere in the project.

What the real file looks like, and what we imitate:
- The 19 inputs are mutually independent (all pairwise correlations |r| < 0.03).
- Attendance and Previous_Scores are rounded uniforms (end values half as frequent); Hours_Studied,
  Sleep_Hours and Physical_Activity rounded normals clipped to their observed range; Tutoring_Sessions
  a Poisson(1.5).
- Exam_Score = round(linear model + small noise); 0.76 % of rows get a bonus of 15-30 points (the
  real file's high outliers). The real file has one score of 101; we clip at 100, so generated data
  is valid unless faults are injected on purpose (`awstwin.data.faults`).
- Teacher_Quality, Parental_Education_Level and Distance_from_Home are empty in about 1 % of rows.

Score coefficients are integers in hundredths of a point so the score is computed exactly in integer
arithmetic: the output is byte-identical on every platform.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RoundedNormal:
    """round(Normal(mean, sd)), with both tails folded into `low` and `high`."""

    mean: float
    sd: float
    low: int
    high: int

    def probabilities(self) -> dict[int, float]:
        def below(x: float) -> float:
            return 0.5 * (1.0 + math.erf((x - self.mean) / (self.sd * math.sqrt(2.0))))

        probs = {v: below(v + 0.5) - below(v - 0.5) for v in range(self.low, self.high + 1)}
        probs[self.low] += below(self.low - 0.5)
        probs[self.high] += 1.0 - below(self.high + 0.5)
        return probs


@dataclass(frozen=True)
class RoundedUniform:
    """round(Uniform(low, high)): every integer equally likely, the two ends half as likely."""

    low: int
    high: int

    def probabilities(self) -> dict[int, float]:
        width = self.high - self.low
        probs = {v: 1.0 / width for v in range(self.low, self.high + 1)}
        probs[self.low] = probs[self.high] = 0.5 / width
        return probs


@dataclass(frozen=True)
class Poisson:
    """Poisson(mean) with the tail above `high` folded into `high`."""

    mean: float
    high: int

    def probabilities(self) -> dict[int, float]:
        probs = {k: math.exp(-self.mean) * self.mean**k / math.factorial(k) for k in range(self.high + 1)}
        probs[self.high] += 1.0 - sum(probs.values())
        return probs


IntegerDistribution = RoundedNormal | RoundedUniform | Poisson

INTEGER_DISTRIBUTIONS: Mapping[str, IntegerDistribution] = {
    "Hours_Studied": RoundedNormal(mean=20.0, sd=6.0, low=1, high=44),
    "Attendance": RoundedUniform(60, 100),
    "Sleep_Hours": RoundedNormal(mean=7.0, sd=1.5, low=4, high=10),
    "Previous_Scores": RoundedUniform(50, 100),
    "Tutoring_Sessions": Poisson(mean=1.5, high=8),
    "Physical_Activity": RoundedNormal(mean=3.0, sd=1.0, low=0, high=6),
}

# Share of each category among non-empty values, in the schema's domain order.
CATEGORY_SHARES: Mapping[str, Mapping[str, float]] = {
    "Parental_Involvement": {"Low": 0.20, "Medium": 0.51, "High": 0.29},
    "Access_to_Resources": {"Low": 0.20, "Medium": 0.50, "High": 0.30},
    "Extracurricular_Activities": {"No": 0.40, "Yes": 0.60},
    "Motivation_Level": {"Low": 0.29, "Medium": 0.51, "High": 0.20},
    "Internet_Access": {"No": 0.075, "Yes": 0.925},
    "Family_Income": {"Low": 0.40, "Medium": 0.40, "High": 0.20},
    "Teacher_Quality": {"Low": 0.10, "Medium": 0.60, "High": 0.30},
    "School_Type": {"Public": 0.70, "Private": 0.30},
    "Peer_Influence": {"Negative": 0.21, "Neutral": 0.39, "Positive": 0.40},
    "Learning_Disabilities": {"No": 0.895, "Yes": 0.105},
    "Parental_Education_Level": {"High School": 0.495, "College": 0.305, "Postgraduate": 0.20},
    "Distance_from_Home": {"Near": 0.595, "Moderate": 0.305, "Far": 0.10},
    "Gender": {"Male": 0.58, "Female": 0.42},
}

# Share of rows whose value is left empty (the real file: 78, 90 and 67 of 6,607).
MISSING_RATES: Mapping[str, float] = {
    "Teacher_Quality": 0.0118,
    "Parental_Education_Level": 0.0136,
    "Distance_from_Home": 0.0101,
}

# Exam_Score model, in hundredths of a point. A missing categorical value still had a true level
# that moved the score; the generator draws it, scores it, then hides it.
SCORE_INTERCEPT = 3432  # fitted 34.46, less 0.14 so the mean score matches the real 67.24
SCORE_SLOPES: Mapping[str, int] = {
    "Hours_Studied": 30,
    "Attendance": 20,
    "Sleep_Hours": 2,
    "Previous_Scores": 5,
    "Tutoring_Sessions": 50,
    "Physical_Activity": 23,
}
SCORE_LEVEL_EFFECTS: Mapping[str, Mapping[str, int]] = {
    "Parental_Involvement": {"Low": 0, "Medium": 99, "High": 199},
    "Access_to_Resources": {"Low": 0, "Medium": 102, "High": 200},
    "Extracurricular_Activities": {"No": 0, "Yes": 50},
    "Motivation_Level": {"Low": 0, "Medium": 51, "High": 101},
    "Internet_Access": {"No": 0, "Yes": 100},
    "Family_Income": {"Low": 0, "Medium": 50, "High": 99},
    "Teacher_Quality": {"Low": 0, "Medium": 43, "High": 93},
    "School_Type": {"Public": 0, "Private": 0},
    "Peer_Influence": {"Negative": 0, "Neutral": 50, "Positive": 101},
    "Learning_Disabilities": {"No": 0, "Yes": -101},
    "Parental_Education_Level": {"High School": 0, "College": 49, "Postgraduate": 100},
    "Distance_from_Home": {"Near": 0, "Moderate": -50, "Far": -99},
    "Gender": {"Male": 0, "Female": 1},
}
# Triangular noise on [-w, w] before rounding (the real residuals: 88 % exact, 12 % off by one).
SCORE_NOISE_HALF_WIDTH = 40
# High outliers: this share of rows gets a bonus of BONUS_MIN..BONUS_MAX points.
SCORE_OUTLIER_RATE = 0.0076
SCORE_OUTLIER_BONUS = (15, 30)
SCORE_RANGE = (0, 100)


def cumulative(probabilities: list[float]) -> np.ndarray:
    """Cumulative thresholds for inverse-CDF sampling with `np.searchsorted(..., side="right")`.

    The last threshold is forced to exactly 1.0 so a uniform in [0, 1) never falls off the end.
    """
    total = sum(probabilities)
    thresholds = np.cumsum(np.array(probabilities, dtype=np.float64) / total)
    thresholds[-1] = 1.0
    return thresholds
