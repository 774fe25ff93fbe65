"""Every DQDL rule type AWS documents, as data: parameters, the conditions it takes, row-level support.

https://docs.aws.amazon.com/glue/latest/dg/dqdl-rule-types.html. The parser checks a rule against
its entry (an unknown type or a wrong number of parameters is a syntax error, as CreateDataQualityRuleset
refuses it); the evaluator looks the type up in `evaluate.EVALUATORS`. A type listed here that has no
evaluator (file rules, anomaly detection) parses and is reported as an ERROR outcome naming why.
"""

from __future__ import annotations

from dataclasses import dataclass

from awstwin.dataquality.model import AnyRule, CompositeRule, Rule, Ruleset

NUMBER, STRING, DATE, DURATION, NULL = "number", "string", "date", "duration", "null"


@dataclass(frozen=True)
class RuleType:
    name: str
    min_parameters: int
    max_parameters: int | None  # None: any number (IsPrimaryKey "a" "b" ...)
    condition: str  # "required" | "optional" | "none"
    kinds: tuple[str, ...] = (NUMBER,)
    threshold: bool = False  # takes `with threshold <condition>`
    row_level: bool = False  # gives each row a pass/fail (row-level outcomes)
    where: bool = True  # takes `where "<Spark SQL condition>"`


def _t(*args: object, **kwargs: object) -> RuleType:
    return RuleType(*args, **kwargs)  # type: ignore[arg-type]


RULE_TYPES: dict[str, RuleType] = {
    t.name: t
    for t in (
        _t("AggregateMatch", 2, 2, "required"),
        _t("ColumnCorrelation", 2, 2, "required"),
        _t("ColumnCount", 0, 0, "required", where=False),
        _t("ColumnDataType", 1, 1, "required", (STRING,), threshold=True),
        _t("ColumnExists", 1, 1, "none", where=False),
        _t("ColumnLength", 1, 1, "required", (NUMBER, NULL), threshold=True, row_level=True),
        _t("ColumnNamesMatchPattern", 1, 1, "none", where=False),
        _t("ColumnValues", 1, 1, "required", (NUMBER, STRING, DATE, NULL), threshold=True, row_level=True),
        _t("Completeness", 1, 1, "required", row_level=True),
        _t("CustomSql", 1, 1, "optional", threshold=True, row_level=True, where=False),
        _t("DataFreshness", 1, 1, "required", (DURATION,), threshold=True, row_level=True),
        _t("DatasetMatch", 2, 3, "required"),
        _t("DistinctValuesCount", 1, 1, "required"),
        _t("Entropy", 1, 1, "required"),
        _t("IsComplete", 1, 1, "none", row_level=True),
        _t("IsPrimaryKey", 1, None, "none", row_level=True),
        _t("IsUnique", 1, 1, "none", row_level=True),
        _t("Mean", 1, 1, "required"),
        _t("ReferentialIntegrity", 2, 2, "required", row_level=True, where=False),
        _t("RowCount", 0, 0, "required"),
        _t("RowCountMatch", 1, 1, "required", where=False),
        _t("StandardDeviation", 1, 1, "required"),
        _t("Sum", 1, 1, "required"),
        _t("SchemaMatch", 1, 1, "required", where=False),
        _t("Uniqueness", 1, 1, "required", row_level=True),
        _t("UniqueValueRatio", 1, 1, "required"),
        _t("DetectAnomalies", 1, None, "none", where=False),
        _t("FileFreshness", 1, 1, "required", (DATE, DURATION), where=False),
        _t("FileMatch", 1, 2, "optional", where=False),
        _t("FileUniqueness", 1, 1, "required", where=False),
        _t("FileSize", 1, 1, "required", where=False),
    )
}

# Rule types whose parameters are reference dataset aliases (`RowCountMatch "reference"`).
_ALIAS_PARAMETER = {"RowCountMatch": 0, "DatasetMatch": 0, "SchemaMatch": 0}


def reference_aliases(rule: Rule) -> set[str]:
    """The reference datasets a rule reads (`"ref.col"` names alias `ref` in ReferentialIntegrity)."""
    if rule.rule_type == "ReferentialIntegrity" and len(rule.parameters) == 2:
        return {rule.parameters[1].split(".", 1)[0]}
    index = _ALIAS_PARAMETER.get(rule.rule_type)
    if index is not None and len(rule.parameters) > index:
        return {rule.parameters[index]}
    return set()


def referenced_aliases(ruleset: Ruleset) -> set[str]:
    """Every reference dataset a ruleset's rules read."""
    found: set[str] = set()

    def walk(rule: AnyRule) -> None:
        if isinstance(rule, CompositeRule):
            for member in rule.members:
                walk(member)
        else:
            found.update(reference_aliases(rule))

    for rule in ruleset.rules:
        walk(rule)
    return found
