"""DQDL evaluated over rows in DuckDB: each rule type's metric, outcome and AWS's failure wording.

Rule types and metric names: https://docs.aws.amazon.com/glue/latest/dg/dqdl-rule-types.html.
`between` excludes its ends (AWS evaluates `metric > low && metric < high`); a failed rule says
`Value: <metric> does not meet the constraint requirement!`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from awstwin.dataquality.evaluate import ROW_COLUMNS, evaluate, row_level_sql, with_result_column

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE "primary" AS SELECT * FROM (VALUES
            (1, 'Alice', 20, 'NY', TIMESTAMP '2024-06-01 06:00:00', 'a@x.org'),
            (2, 'Bob', 25, 'CA', TIMESTAMP '2024-05-31 18:00:00', 'b@x.org'),
            (3, 'Charlie', 30, 'TX', TIMESTAMP '2024-05-20 00:00:00', 'nope'),
            (4, 'Dana', NULL, 'NY', NULL, NULL)
        ) AS t(id, name, age, state, updated, email)"""
    )
    con.execute("CREATE TABLE states AS SELECT * FROM (VALUES ('NY'), ('CA'), ('FL')) AS t(code)")
    con.execute("CREATE TABLE older AS SELECT * FROM range(8) AS t(i)")
    return con


def outcome(con, rule: str):
    evaluation = evaluate(f"Rules = [ {rule} ]", con, references={"ref": "states", "old": "older"}, now=NOW)
    return evaluation.outcomes[0]


@pytest.mark.parametrize(
    ("rule", "result", "metrics"),
    [
        ("RowCount = 4", "PASS", {"Dataset.*.RowCount": 4.0}),
        ("RowCount between 4 and 8", "FAIL", {"Dataset.*.RowCount": 4.0}),  # exclusive ends
        ('RowCount > 1 where "age > 21"', "PASS", {"Dataset.*.RowCount": 2.0}),
        ("ColumnCount = 6", "PASS", {"Dataset.*.ColumnCount": 6.0}),
        ('IsComplete "name"', "PASS", {"Column.name.Completeness": 1.0}),
        ('IsComplete "age"', "FAIL", {"Column.age.Completeness": 0.75}),
        ('Completeness "age" >= 0.75', "PASS", {"Column.age.Completeness": 0.75}),
        ('IsUnique "id"', "PASS", {"Column.id.Uniqueness": 1.0}),
        ('Uniqueness "state" > 0.4', "PASS", {"Column.state.Uniqueness": 0.5}),
        ('IsPrimaryKey "id"', "PASS", {"Column.id.Completeness": 1.0, "Column.id.Uniqueness": 1.0}),
        ('Mean "age" = 25', "PASS", {"Column.age.Mean": 25.0}),
        ('Sum "age" between 74 and 76', "PASS", {"Column.age.Sum": 75.0}),
        ('DistinctValuesCount "state" = 3', "PASS", {"Column.state.DistinctValuesCount": 3.0}),
        ('ColumnCorrelation "id" "age" > 0.99', "PASS", {"Multicolumn.id,age.ColumnCorrelation": 1.0}),
        ('RowCountMatch "old" = 0.5', "PASS", {"Dataset.old.RowCountMatch": 0.5}),
        ('ReferentialIntegrity "state" "ref.code" = 0.75', "PASS", {"Column.ref.ReferentialIntegrity": 0.75}),
        ('CustomSql "select count(*) from primary where age > 21" = 2', "PASS", {"Dataset.*.CustomSQL": 2.0}),
        ('ColumnExists "email"', "PASS", {"Dataset.email.ColumnExists": 1.0}),
    ],
)
def test_metric_rules(con, rule, result, metrics):
    found = outcome(con, rule)
    assert found.result == result, found.message
    for name, value in metrics.items():
        assert found.metrics[name] == pytest.approx(value)


def test_standard_deviation_is_the_population_one(con):
    found = outcome(con, 'StandardDeviation "age" between 4 and 4.1')
    assert found.metrics["Column.age.StandardDeviation"] == pytest.approx(4.0824829)
    assert found.result == "PASS"


@pytest.mark.parametrize(
    ("rule", "result", "compliance"),
    [
        ('ColumnValues "state" in ["NY", "CA", "TX"]', "PASS", 1.0),
        ('ColumnValues "age" between 19 and 31', "FAIL", 0.75),  # NULL fails unless NULL is named
        ('ColumnValues "age" in [20, 25, 30, NULL]', "PASS", 1.0),
        ('ColumnValues "age" > 21 with threshold >= 0.5', "PASS", 0.5),
        ('ColumnValues "email" matches "[a-z]+@x\\\\.org"', "FAIL", 0.5),
        ('ColumnValues "email" not matches "nope"', "FAIL", 0.75),
        ('ColumnValues "updated" > "2024-05-25"', "FAIL", 0.5),
        ('ColumnValues "updated" > (now() - 1 days)', "FAIL", 0.5),
        ('DataFreshness "updated" <= 24 hours with threshold = 0.5', "PASS", 0.5),
        ('ColumnLength "name" between 2 and 8', "PASS", 1.0),
        ('ColumnLength "name" <= 4', "FAIL", 0.5),
        ('ColumnDataType "id" = "INTEGER"', "PASS", 1.0),
    ],
)
def test_row_rules(con, rule, result, compliance):
    found = outcome(con, rule)
    assert found.result == result, found.message
    share = next(v for k, v in found.metrics.items() if k.endswith("Compliance"))
    assert share == pytest.approx(compliance)


def test_failure_messages_name_the_value_as_aws_does(con):
    assert outcome(con, "RowCount > 5").message == "Value: 4.0 does not meet the constraint requirement!"
    minimum = outcome(con, 'ColumnValues "age" > 21')
    assert minimum.metrics["Column.age.Minimum"] == 20.0
    assert minimum.message == "Value: 20.0 does not meet the constraint requirement!"
    assert outcome(con, 'ColumnLength "name" between 3 and 7').message == (
        "Value: 3.0 does not meet the constraint requirement!"
    )


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ('IsComplete "missing"', "Input data does not include column missing!"),
        ('RowCountMatch "nowhere" = 1.0', "Reference dataset alias 'nowhere' not found"),
        ('CustomSql "select nope from primary" > 0', "Custom SQL statement failed"),
        ('CustomSql "select id, name from primary" > 0', "exactly one row with one column"),
        ('FileSize "s3://b/k" > 1', "not evaluated by the local Glue Data Quality"),
        ("RowCount > avg(last(3))", "earlier runs"),
    ],
)
def test_errors_are_error_outcomes(con, rule, says):
    found = outcome(con, rule)
    assert found.result == "ERROR"
    assert says in found.message


def test_composite_rules_combine_members(con):
    both = outcome(con, '(IsComplete "name") and (IsComplete "age")')
    assert both.result == "FAIL"
    assert both.metrics == {"Column.name.Completeness": 1.0, "Column.age.Completeness": 0.75}
    assert 'IsComplete "age": Value: 0.75' in both.message
    assert outcome(con, '(IsComplete "name") or (IsComplete "age")').result == "PASS"
    assert outcome(con, '(IsComplete "name") and (IsComplete "missing")').result == "ERROR"


def test_score_and_api_shape(con):
    evaluation = evaluate('Rules = [ RowCount = 4, IsComplete "age" ]', con, now=NOW)
    assert evaluation.score == 0.5
    first, second = (o.api() for o in evaluation.outcomes)
    assert first == {
        "Name": "Rule_1",
        "Description": "RowCount = 4",
        "Result": "PASS",
        "EvaluatedMetrics": {"Dataset.*.RowCount": 4.0},
        "EvaluatedRule": "RowCount = 4",
    }
    assert second["Result"] == "FAIL" and second["Name"] == "Rule_2"
    assert evaluation.outcomes[1].frame_row()["Outcome"] == "Failed"


def test_row_level_outcomes(con):
    rules = (
        'Rules = [ IsComplete "age", ColumnValues "state" in ["NY", "CA"], RowCount > 0, IsUnique "state" ]'
    )
    evaluation = evaluate(rules, con, now=NOW)
    sql = with_result_column(row_level_sql(evaluation)) + " ORDER BY id"
    rows = con.execute(sql).fetchall()
    columns = [d[0] for d in con.description]
    assert columns[-4:] == list(ROW_COLUMNS)
    by_id = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
    assert by_id[2]["DataQualityRulesPass"] == [
        'IsComplete "age"',
        'ColumnValues "state" in ["NY", "CA"]',
        'IsUnique "state"',
    ]
    assert by_id[2]["DataQualityEvaluationResult"] == "Passed"
    assert by_id[3]["DataQualityRulesFail"] == ['ColumnValues "state" in ["NY", "CA"]']
    assert by_id[4]["DataQualityRulesFail"] == ['IsComplete "age"', 'IsUnique "state"']
    assert all(row["DataQualityRulesSkip"] == ["RowCount > 0"] for row in by_id.values())
    assert by_id[1]["DataQualityEvaluationResult"] == "Failed"  # NY twice: not unique


def test_recommended_rules_pass_on_the_rows_they_come_from(con):
    from awstwin.dataquality.recommend import recommend

    ruleset = recommend(con)
    assert 'IsUnique "id"' in ruleset and 'ColumnValues "state" in ["CA", "NY", "TX"]' in ruleset
    assert 'Completeness "age" >= 0.75' in ruleset
    assert all(o.result == "PASS" for o in evaluate(ruleset, con, now=NOW).outcomes)
