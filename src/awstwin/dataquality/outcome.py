"""What evaluating one rule gives, and how the Glue API and the job transform report it.

The API reports `Result` as PASS / FAIL / ERROR (`DataQualityRuleResult`); EvaluateDataQuality's
rule outcomes frame says Passed / Failed / Error. A failed rule says which value failed in AWS's
words: `Value: 9.0 does not meet the constraint requirement!`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from awstwin.dataquality.model import AnyRule

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"
FRAME_OUTCOME = {PASS: "Passed", FAIL: "Failed", ERROR: "Error"}


def java_double(value: float) -> str:
    """A metric as Java prints a double (`4.0`, `0.75`, `1.0E7`), as AWS's messages show it."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value != 0 and (abs(value) >= 1e7 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.16E}".split("E")
        mantissa = mantissa.rstrip("0")
        mantissa = mantissa + "0" if mantissa.endswith(".") else mantissa
        return f"{mantissa}E{int(exponent)}"
    return repr(float(value))


def constraint_message(value: float | None) -> str:
    shown = "null" if value is None else java_double(value)
    return f"Value: {shown} does not meet the constraint requirement!"


@dataclass
class Measure:
    """What a rule type's check found: metrics, pass or fail, why, and the row-level predicate."""

    passed: bool
    metrics: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    row_sql: str | None = None  # TRUE for a passing row, over FROM "primary" (None: no row-level outcome)


@dataclass
class RuleOutcome:
    rule: AnyRule
    name: str  # Rule_1, Rule_2, ... in the ruleset's order
    result: str  # PASS | FAIL | ERROR
    metrics: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    row_sql: str | None = None

    @property
    def description(self) -> str:
        return self.rule.text

    def api(self) -> dict[str, Any]:
        """A `DataQualityRuleResult` (GetDataQualityResult's RuleResults)."""
        result: dict[str, Any] = {
            "Name": self.name,
            "Description": self.description,
            "Result": self.result,
            "EvaluatedMetrics": {k: float(v) for k, v in self.metrics.items() if _finite(v)},
            "EvaluatedRule": self.description,
        }
        if self.message:
            result["EvaluationMessage"] = self.message
        return result

    def frame_row(self) -> dict[str, Any]:
        """A row of EvaluateDataQuality's rule outcomes frame."""
        return {
            "Rule": self.description,
            "Outcome": FRAME_OUTCOME[self.result],
            "FailureReason": self.message if self.result != PASS else None,
            "EvaluatedMetrics": {k: float(v) for k, v in self.metrics.items() if _finite(v)},
            "EvaluatedRule": self.description,
        }


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(float(value))


def score(outcomes: list[RuleOutcome]) -> float:
    """Glue's Score: the share of rules that passed."""
    return sum(1 for o in outcomes if o.result == PASS) / len(outcomes) if outcomes else 1.0
