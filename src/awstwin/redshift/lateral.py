"""Redshift's lateral column aliases in WHERE: `SELECT c.relname AS table_name ... WHERE table_name = 'x'`.

Redshift lets WHERE name a select-list alias when no column of the FROM relations has that name
(tools such as sqlalchemy-redshift rely on it); Postgres does not. A bare name in a WHERE that is an
alias of the same SELECT, and no column of its relations (asked of the warehouse), is replaced by the
aliased expression. Only statements whose text suggests it are parsed (sqlglot, Redshift dialect).
https://docs.aws.amazon.com/redshift/latest/dg/r_SELECT_list.html (lateral alias reference)
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp

_ALIAS = re.compile(r"\bas\s+\"?([a-z_][\w$]*)\"?", re.IGNORECASE)
_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)

ColumnsOf = Callable[[list[str]], set[str] | None]  # relation names -> their columns (None: unknown)


def may_use_lateral_aliases(sql: str) -> bool:
    where = _WHERE.search(sql)
    if where is None:
        return False
    tail = sql[where.end() :].lower()
    for name in {match.lower() for match in _ALIAS.findall(sql)}:
        if re.search(rf"(?<![.\"\w]){re.escape(name)}(?![\w\"(])", tail):
            return True
    return False


def lateral_alias_edits(sql: str, columns_of: ColumnsOf) -> list[tuple[int, int, str]]:
    """(start, end exclusive, replacement) for each lateral alias reference in a WHERE."""
    try:
        tree = sqlglot.parse_one(sql, read="redshift")
    except Exception:  # noqa: BLE001 - a statement sqlglot cannot read is left as written
        return []
    edits = []
    for select in tree.find_all(exp.Select):
        where = select.args.get("where")
        if where is None:
            continue
        aliases = {
            item.alias.lower(): item.this
            for item in select.expressions
            if isinstance(item, exp.Alias)
            and not (isinstance(item.this, exp.Column) and item.this.name.lower() == item.alias.lower())
        }
        references = [
            column
            for column in where.find_all(exp.Column)
            if not column.table
            and column.name.lower() in aliases
            and column.find_ancestor(exp.Select) is select
        ]
        if not references:
            continue
        known = _columns_of_sources(select, columns_of)
        if known is None:
            continue
        for column in references:
            meta = column.this.meta
            if column.name.lower() in known or "start" not in meta:
                continue
            expression = aliases[column.name.lower()].sql(dialect="postgres")
            edits.append((meta["start"], meta["end"] + 1, f"({expression})"))
    return edits


def _columns_of_sources(select: exp.Select, columns_of: ColumnsOf) -> set[str] | None:
    names, known = [], set()
    for table in select.find_all(exp.Table):
        if table.find_ancestor(exp.Select) is not select:
            continue
        alias = table.args.get("alias")
        if isinstance(table.this, exp.Func) or not table.name:
            if alias is None or not alias.columns:
                return None
            known |= {column.name.lower() for column in alias.columns}
            continue
        names.append(".".join(part for part in (table.db, table.name) if part))
    found = columns_of(names) if names else set()
    return None if found is None else known | found
