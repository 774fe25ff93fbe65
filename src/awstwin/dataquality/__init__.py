"""AWS Glue Data Quality, locally: DQDL parsed and evaluated for real over a table's rows.

- `lexer.py`       DQDL text -> tokens, each with its line and column
- `model.py`       the parsed ruleset: rules, composite rules, conditions and their operands
- `parser.py`      a recursive-descent parser for DQDL as AWS documents it
                   (https://docs.aws.amazon.com/glue/latest/dg/dqdl.html); errors name line and column
- `rule_types.py`  every rule type: its parameters and which conditions it takes (data, not branches)
- `conditions.py`  a condition checked against a metric, and as a SQL predicate over a row
- `evaluate.py`    a ruleset over a DuckDB relation named `primary` (plus reference datasets by alias):
                   per-rule outcomes, EvaluatedMetrics, AWS's failure messages, row-level outcomes
- `metrics.py`     the SQL each rule type computes its metric with
- `outcome.py`     rule outcomes as the Glue API reports them (PASS/FAIL/ERROR, Score)

The endpoint's evaluation runs (`endpoint/glue/dataquality/`) and the `awsgluedq` transform inside
jobs (`glue_runtime/awsgluedq/`) both evaluate with this package, so they cannot disagree.
"""

from awstwin.dataquality.parser import DqdlSyntaxError, parse

__all__ = ["DqdlSyntaxError", "parse"]
