"""The dataset's validity rules as JSON next to the DAG (dags/student_performance_rules.json).

The DAG's quality gates need the rules at parse time, on any Airflow (MWAA included) where awstwin is
not installed, and the DAG file must stay the same for every profile. So the rules travel as data: this
module renders `awstwin.data.schema` into a small JSON file that sits beside the DAG, and a test fails
when the file is stale. Regenerate with `python -m awstwin.pipeline.rules`.
(The Glue job gets the same rules differently: schema.py itself, shipped with --extra-py-files.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from awstwin.core.paths import DAGS_DIR
from awstwin.data import schema

RULES_FILE = DAGS_DIR / "student_performance_rules.json"
GENERATED_BY = "Generated from src/awstwin/data/schema.py by `python -m awstwin.pipeline.rules`; do not edit."


def _column(column: schema.Column) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": column.sql_name, "kind": column.kind, "nullable": column.nullable}
    if column.kind == "integer":
        rule.update(minimum=column.minimum, maximum=column.maximum)
    else:
        rule["domain"] = list(column.domain)
    return rule


def rules_document() -> dict[str, Any]:
    """{"columns": [...]} in file order: name (warehouse spelling), kind, nullable, range or domain."""
    return {"_comment": GENERATED_BY, "columns": [_column(c) for c in schema.COLUMNS]}


def render() -> str:
    return json.dumps(rules_document(), indent=2) + "\n"


def write(path: Path = RULES_FILE) -> Path:
    path.write_text(render())
    return path


def main() -> int:
    print(f"wrote {write()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
