"""The curated table's Glue Data Quality ruleset, in DQDL, from the dataset's validity rules.

The same rules as the DAG's SQL gates on the warehouse (`schema.py`, which also gives the DAG its
`student_performance_rules.json`), checked on the curated zone instead: at least one row; `row_key`
a primary key; `loaded_at` always set; every integer column complete and within its range; every
category in its domain (NULL allowed where the column is nullable). `infra/pipeline.yaml` creates
the ruleset (AWS::Glue::DataQualityRuleset) with this text as its `CuratedRuleset` parameter, so the
local stacks and AWS evaluate the same rules.
"""

from __future__ import annotations

import json

from awstwin.data import schema


def _quoted(text: str) -> str:
    return json.dumps(text)  # DQDL strings are double-quoted with \" and \\ escapes, as JSON's


def _column_rules(column: schema.Column) -> list[str]:
    name = _quoted(column.sql_name)
    found = [] if column.nullable else [f"IsComplete {name}"]
    if column.kind == "integer":
        low = f"(ColumnValues {name} >= {column.minimum})"
        if column.maximum is None:
            found.append(low[1:-1])
        else:
            found.append(f"{low} and (ColumnValues {name} <= {column.maximum})")
    else:
        domain = [_quoted(v) for v in column.domain] + (["NULL"] if column.nullable else [])
        found.append(f"ColumnValues {name} in [{', '.join(domain)}]")
    return found


def curated_ruleset() -> str:
    """The DQDL document, one rule per line."""
    rules = ["RowCount > 0", 'IsPrimaryKey "row_key"', 'IsComplete "loaded_at"']
    for column in schema.COLUMNS:
        rules += _column_rules(column)
    return "Rules = [\n    " + ",\n    ".join(rules) + "\n]"
