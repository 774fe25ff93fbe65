"""The curated zone's DQDL ruleset: the dataset's rules, the same as the SQL gates, made by the stack."""

from __future__ import annotations

import duckdb

from awstwin.core.paths import TEMPLATE
from awstwin.core.profile import load_profile
from awstwin.data import schema
from awstwin.data.quality_rules import curated_ruleset
from awstwin.dataquality import parse
from awstwin.dataquality.evaluate import evaluate
from awstwin.infra.parameters import template_parameters
from awstwin.infra.template import load_template

# CloudFormation takes a parameter value of at most 4,096 bytes.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
PARAMETER_VALUE_LIMIT = 4096


def test_every_column_rule_is_in_the_ruleset() -> None:
    text = curated_ruleset()
    rules = [r.text for r in parse(text).rules]
    assert rules[:3] == ["RowCount > 0", 'IsPrimaryKey "row_key"', 'IsComplete "loaded_at"']
    for column in schema.INTEGER_COLUMNS:
        assert f'IsComplete "{column.sql_name}"' in rules
        low = f'ColumnValues "{column.sql_name}" >= {column.minimum}'
        high = f'ColumnValues "{column.sql_name}" <= {column.maximum}'
        assert (f"({low}) and ({high})" if column.maximum is not None else low) in rules
    for column in schema.CATEGORICAL_COLUMNS:
        values = ", ".join(f'"{v}"' for v in column.domain) + (", NULL" if column.nullable else "")
        assert f'ColumnValues "{column.sql_name}" in [{values}]' in rules
    assert len(text.encode()) < PARAMETER_VALUE_LIMIT


def test_the_stack_creates_it_with_the_generated_text() -> None:
    profile = load_profile("local")
    parameters = template_parameters(profile)
    assert parameters["CuratedRuleset"] == curated_ruleset()
    assert (
        parameters["CuratedRulesetName"]
        == profile.curated_ruleset
        == "student_performance_curated_student_performance"
    )
    resource = load_template(TEMPLATE)["Resources"]["CuratedDataQualityRuleset"]
    assert resource["Type"] == "AWS::Glue::DataQualityRuleset"
    assert resource["Properties"]["Ruleset"] == {"Ref": "CuratedRuleset"}


def test_rows_that_break_a_rule_fail_it_by_name() -> None:
    con = duckdb.connect()
    columns = ", ".join(f"{_value(c)} AS {c.sql_name}" for c in schema.COLUMNS)
    rows = f"SELECT 'k' || i AS row_key, now() AS loaded_at, {columns} FROM range(3) AS t(i)"
    con.execute(f'CREATE TABLE "primary" AS {rows}')
    assert all(o.result == "PASS" for o in evaluate(curated_ruleset(), con).outcomes)
    con.execute("UPDATE \"primary\" SET exam_score = 101 WHERE row_key = 'k1'")
    failed = [o for o in evaluate(curated_ruleset(), con).outcomes if o.result != "PASS"]
    assert [o.description for o in failed] == [
        '(ColumnValues "exam_score" >= 0) and (ColumnValues "exam_score" <= 100)'
    ]
    assert "Value: 101.0 does not meet the constraint requirement!" in failed[0].message


def _value(column: schema.Column) -> str:
    if column.kind == "integer":
        return str(column.minimum)
    return "'" + column.domain[0] + "'"
