"""DQDL parsing: the grammar AWS documents (https://docs.aws.amazon.com/glue/latest/dg/dqdl.html),
its published ANTLR grammar (awslabs/dqdl) as the reference, errors with line and column."""

from __future__ import annotations

import pytest

from awstwin.dataquality import DqdlSyntaxError, parse
from awstwin.dataquality.model import CompositeRule, DateValue, Duration, FunctionCall, Keyword, Null, Text
from awstwin.dataquality.rule_types import referenced_aliases

# The ruleset of the Airflow provider's system test example_glue_data_quality.py.
PROVIDER_EXAMPLE = """
Rules = [
    RowCount between 2 and 8,
    IsComplete "name",
    Uniqueness "name" > 0.95,
    ColumnLength "name" between 3 and 14,
    ColumnValues "age" between 19 and 31
]
"""


def test_provider_example_parses_rule_by_rule():
    ruleset = parse(PROVIDER_EXAMPLE)
    texts = [rule.text for rule in ruleset.rules]
    assert texts == [
        "RowCount between 2 and 8",
        'IsComplete "name"',
        'Uniqueness "name" > 0.95',
        'ColumnLength "name" between 3 and 14',
        'ColumnValues "age" between 19 and 31',
    ]
    first = ruleset.rules[0]
    assert first.condition.operator == "between" and [o.value for o in first.condition.operands] == [2, 8]


@pytest.mark.parametrize(
    ("text", "kind", "operator", "operand_types"),
    [
        ('ColumnValues "c" in ["a", "b", NULL]', "string", "in", (Text, Text, Null)),
        ('ColumnValues "c" not in [EMPTY, WHITESPACES_ONLY]', "string", "not in", (Keyword, Keyword)),
        ('ColumnValues "c" matches "[A-Z]+"', "string", "matches", (Text,)),
        ('ColumnValues "c" != "x"', "string", "!=", (Text,)),
        ('ColumnValues "d" > (now() - 3 days)', "date", ">", (DateValue,)),
        ('ColumnValues "d" between "2024-01-01" and "2024-12-31"', "date", "between", (DateValue, DateValue)),
        ('DataFreshness "ts" <= 24 hours', "duration", "<=", (Duration,)),
        ('ColumnValues "n" not between -1 and 2.5', "number", "not between", None),
        ('Sum "x" > avg(last(3)) * 0.9', "number", ">", None),
        ('ColumnValues "n" = NULL', "null", "=", (Null,)),
    ],
)
def test_conditions(text, kind, operator, operand_types):
    rule = parse(f"Rules = [ {text} ]").rules[0]
    assert (rule.condition.kind, rule.condition.operator) == (kind, operator)
    if operand_types:
        assert tuple(type(o) for o in rule.condition.operands) == operand_types


def test_threshold_where_and_dynamic_function():
    rule = parse('Rules = [ ColumnValues "c" in [1, 2] where "region = \'EU\'" with threshold > 0.9 ]').rules[
        0
    ]
    assert rule.where == "region = 'EU'"
    assert (rule.threshold.operator, rule.threshold.operands[0].value) == (">", 0.9)
    dynamic = parse("Rules = [ RowCount > avg(last(10)) ]").rules[0]
    assert isinstance(dynamic.condition.operands[0], FunctionCall)


def test_composite_rules_nest_and_keep_their_text():
    # Composite rules: https://docs.aws.amazon.com/glue/latest/dg/dqdl.html#dqdl-syntax-composite-rules
    rule = parse('Rules = [ (RowCount > 0) or ((IsComplete "colA") and (IsUnique "colA")) ]').rules[0]
    assert isinstance(rule, CompositeRule) and rule.operator == "or"
    assert isinstance(rule.members[1], CompositeRule) and rule.members[1].operator == "and"
    assert rule.text == '(RowCount > 0) or ((IsComplete "colA") and (IsUnique "colA"))'


def test_sections_comments_and_escapes():
    ruleset = parse(
        """
        # a comment
        Metadata = { "Version": "1.0" }
        DataSources = { "Default": "primary", "References": ["ref"] }
        Rules = [
            CustomSql "select count(*) from primary where name = \\"x\\"" > 0,  # trailing comment
            ReferentialIntegrity "a,b" "ref.{x,y}" = 1.0
        ]
        Analyzers = [ RowCount, Completeness "a" ]
        """
    )
    assert ruleset.metadata == {"Version": "1.0"}
    assert ruleset.data_sources["References"] == ["ref"]
    assert ruleset.rules[0].parameters == ('select count(*) from primary where name = "x"',)
    assert referenced_aliases(ruleset) == {"ref"}
    assert [a.rule_type for a in ruleset.analyzers] == ["RowCount", "Completeness"]
    assert parse("Rules = [ ]").rules == []


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("Rules = [ RowCount ]", (1, 11), "needs a condition"),
        ('Rules = [\n  IsComplete "a",\n  IsComplet "b" ]', (3, 3), "did you mean IsComplete"),
        ('Rules = [ IsComplete "a" > 3 ]', (1, 11), "takes no condition"),
        ("Rules = [ IsComplete ]", (1, 11), "takes 1 parameter"),
        ("Rules = [ (RowCount > 1) and (RowCount > 2) or (RowCount > 3) ]", (1, 45), "same level"),
        ("Rules = [ RowCount > 1", (1, 23), "expected ',' or ']'"),
        ('Rules = [ ColumnValues "a" > "abc" ]', (1, 28), "not text"),
        ('Rules = [ ColumnValues "a" in [1, "b"] ]', (1, 28), "mix"),
        ("Rule = [ RowCount > 1 ]", (1, 1), "Rules = ["),
        ("Rules = [ RowCount > 1 ]\nRules = [ RowCount > 2 ]", (2, 1), "given twice"),
        ('Rules = [ IsComplete "a ]', (1, 22), "never closed"),
        ('Rules = [ Mean "a" > 1 with threshold > 0.5 ]', (1, 11), "no 'with threshold'"),
    ],
)
def test_errors_name_line_and_column(text, where, says):
    with pytest.raises(DqdlSyntaxError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.column) == where
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"line {where[0]}:{where[1]}: ")
