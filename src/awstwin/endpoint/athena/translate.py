"""Athena SQL (Trino) -> DuckDB SQL with sqlglot: parse, find the tables, name the outputs, prune.

Parsing errors become Athena's `SYNTAX_ERROR: line L:C: ...`; every table reference is found with
its position in the statement (for `TABLE_NOT_FOUND: line 1:15: ...`) and rewritten to the fully
qualified `awsdatacatalog.<db>.<table>` the engine creates as a DuckDB view; unnamed output columns
get Trino's `_col<N>` names; simple WHERE predicates on partition keys become partition filters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from awstwin.endpoint.athena import dialect, language
from awstwin.endpoint.athena.dialect import HiveType
from awstwin.endpoint.athena.exceptions import QueryFailed

UNNAMED_PREFIX = "__awstwin_unnamed_"
_unnamed = itertools.count()


@dataclass
class TableRef:
    """A table named in a statement, with where it was named (1-based line and column)."""

    node: exp.Table
    catalog: str | None
    database: str
    name: str
    line: int
    col: int

    @property
    def qualified(self) -> str:
        return f"{dialect.ENGINE_CATALOG}.{self.database}.{self.name}"


def position(sql: str, offset: int) -> tuple[int, int]:
    line = sql.count("\n", 0, offset) + 1
    col = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return line, col


def syntax_error(sql: str, error: ParseError | TokenError) -> QueryFailed:
    details = getattr(error, "errors", None) or [{}]
    first = details[0]
    line, end_col = first.get("line") or 1, first.get("col") or 1
    token = first.get("highlight") or ""
    col = max(1, end_col - len(token) + 1)
    if token.startswith("`"):
        message = "backquoted identifiers are not supported; use double quotes to quote identifiers"
    else:
        description = (first.get("description") or str(error)).split(". Line")[0]
        message = f"mismatched input '{token}'. {description}" if token else description
    return QueryFailed("SYNTAX_ERROR", f"line {line}:{col}: {message}", 1006)


def parse(sql: str) -> exp.Expression:
    """One Trino statement as a sqlglot tree; anything else is Athena's SYNTAX_ERROR."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except (ParseError, TokenError) as error:
        raise syntax_error(sql, error) from None
    if len(statements) != 1:
        raise QueryFailed(
            "SYNTAX_ERROR", "Only one sql statement is allowed. Got: " + str(len(statements)), 1006
        )
    language.check(statements[0], sql)  # the Athena language only: DuckDB's own functions are refused
    return statements[0]


def _names_a_cte(node: exp.Table) -> bool:
    """True when an unqualified name refers to a WITH query in scope (an enclosing WITH defines it).

    A name outside every WITH that defines it is a catalog table, as in Trino; left unqualified it
    would reach DuckDB's replacement scans (`FROM "file.csv"` reads the file).
    """
    name = node.name.lower()
    for ancestor in _ancestors(node):
        for value in ancestor.args.values():
            if isinstance(value, exp.With) and any(
                c.alias_or_name.lower() == name for c in value.expressions
            ):
                return True
    return False


def _ancestors(node: exp.Expression) -> list[exp.Expression]:
    found = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def table_refs(sql: str, tree: exp.Expression, context_db: str) -> list[TableRef]:
    """Every catalog table the statement reads (WITH queries in scope and table functions excluded)."""
    refs = []
    for node in tree.find_all(exp.Table):
        if not isinstance(node.this, exp.Identifier):
            continue  # a table function such as UNNEST or VALUES
        name = node.name.lower()
        database = (node.db or "").lower()
        if not database and _names_a_cte(node):
            continue
        offsets = [
            part.meta.get("start")
            for part in (node.args.get("catalog"), node.args.get("db"), node.this)
            if isinstance(part, exp.Identifier) and part.meta.get("start") is not None
        ]
        line, col = position(sql, min(offsets)) if offsets else (1, 1)
        refs.append(
            TableRef(
                node, (node.catalog or "").lower() or None, database or context_db.lower(), name, line, col
            )
        )
    return refs


def _columns_by_table_name(refs: list[TableRef]) -> None:
    """Trino resolves a column named through its unaliased table's full name (`db.table.column`, as
    SQLAlchemy writes it): name it through the table's alias, which `qualify_tables` makes its name."""
    unaliased = {(ref.database, ref.name) for ref in refs if not ref.node.alias}
    roots = {ref.node.root() for ref in refs}
    for root in roots:
        for column in root.find_all(exp.Column):
            database = column.args.get("db")
            if not isinstance(database, exp.Identifier) or not column.table:
                continue
            if (database.name.lower(), column.table.lower()) in unaliased:
                column.set("db", None)
                column.set("catalog", None)


def qualify_tables(refs: list[TableRef]) -> None:
    """Rewrite each reference to `awsdatacatalog.<db>.<table>`, keeping its alias (or its name)."""
    _columns_by_table_name(refs)
    for ref in refs:
        node = ref.node
        if not node.alias:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(ref.name)))
        node.set("catalog", exp.to_identifier(dialect.ENGINE_CATALOG))
        database = ref.database
        if database == dialect.INFORMATION_SCHEMA:
            database = dialect.INFORMATION_SCHEMA_IN_DUCKDB
        node.set("db", exp.to_identifier(database, quoted=True))
        node.set("this", exp.to_identifier(ref.name, quoted=True))


def name_outputs(tree: exp.Expression) -> None:
    """Give unnamed output expressions a placeholder alias; `output_names` turns it into `_colN`."""
    query = tree
    while isinstance(query, exp.SetOperation):
        query = query.this
    if isinstance(query, exp.Subquery):
        query = query.unnest()
    if not isinstance(query, exp.Select):
        return
    for projection in list(query.expressions):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star, exp.Dot)):
            continue
        projection.replace(exp.alias_(projection.copy(), f"{UNNAMED_PREFIX}{next(_unnamed)}", quoted=True))


def output_names(names: list[str], tree: exp.Expression | None = None) -> list[str]:
    """Trino's output names: identifiers lower-cased, unnamed expressions (and VALUES) `_col<position>`."""
    if isinstance(tree, exp.Values):
        return [f"_col{i}" for i in range(len(names))]
    return [f"_col{i}" if n.startswith(UNNAMED_PREFIX) else n.lower() for i, n in enumerate(names)]


_DATE_ARITHMETIC = (exp.DateAdd, exp.DateSub, exp.TimestampTrunc, exp.DateTrunc)


def _is_date(node: exp.Expression, date_columns: set[str]) -> bool:
    if isinstance(node, exp.Paren):
        return _is_date(node.this, date_columns)
    if isinstance(node, exp.Column):
        return node.name.lower() in date_columns
    if isinstance(node, exp.CurrentDate):
        return True
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)


def keep_dates(tree: exp.Expression, date_columns: set[str]) -> exp.Expression:
    """Date arithmetic on a DATE stays a DATE, as in Trino (DuckDB's `date + interval` is a TIMESTAMP).

    A value is known to be a date when it is a DATE column of the tables read (a name no table has
    with another type), CURRENT_DATE, a DATE literal or cast, or date arithmetic already kept a date.
    """

    def fix(node: exp.Expression) -> exp.Expression:
        arithmetic = isinstance(node, _DATE_ARITHMETIC) or (
            isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval)
        )
        if arithmetic and _is_date(node.this, date_columns):
            return exp.cast(node, exp.DataType.build("DATE"))
        return node

    return tree.transform(fix, copy=False)


def _unnest_select(arrays: list[exp.Expression], rows: bool, ordinality: bool) -> exp.Expression:
    """Trino's UNNEST of several arrays (zipped), or of an array of rows (one column per field)."""
    names = [f"__awstwin_u{i}" for i in range(len(arrays))]
    inner = [exp.alias_(exp.Unnest(expressions=[a.copy()]), n) for a, n in zip(arrays, names, strict=True)]
    if ordinality:
        longest = (
            arrays[0].copy()
            if len(arrays) == 1
            else exp.Greatest(
                this=exp.ArraySize(this=arrays[0].copy()),
                expressions=[exp.ArraySize(this=a.copy()) for a in arrays[1:]],
            )
        )
        size = longest if len(arrays) > 1 else exp.ArraySize(this=longest)
        series = sqlglot.parse_one("range(1, __size__ + 1)", read="duckdb")
        series.find(exp.Column).replace(size)
        inner.append(exp.alias_(exp.Unnest(expressions=[series]), "__awstwin_n"))
    outer: list[exp.Expression] = [
        exp.Unnest(expressions=[exp.column(n)]) if rows else exp.column(n) for n in names
    ]
    if ordinality:
        outer.append(exp.column("__awstwin_n"))
    return exp.select(*outer).from_(exp.select(*inner).subquery())


def rewrite_unnest(tree: exp.Expression) -> None:
    """UNNEST forms DuckDB's UNNEST table function lacks: several arrays, or rows expanded to columns."""
    for node in list(tree.find_all(exp.Unnest)):
        alias = node.args.get("alias")
        if not isinstance(node.parent, (exp.From, exp.Join)) or alias is None:
            continue
        arrays = list(node.expressions)
        ordinality = node.args.get("offset") is not None
        columns = list(alias.columns)
        rows = len(arrays) == 1 and len(columns) > 1
        if len(arrays) == 1 and not rows:
            continue
        names = [c.copy() for c in columns]
        if ordinality and isinstance(node.args["offset"], exp.Identifier):
            names.append(node.args["offset"].copy())
        subquery = _unnest_select(arrays, rows, ordinality).subquery()
        subquery.set("alias", exp.TableAlias(this=alias.this.copy() if alias.this else None, columns=names))
        node.replace(subquery)


def to_duckdb(tree: exp.Expression) -> str:
    return tree.sql(dialect="duckdb")


def macros_needed(tree: exp.Expression) -> dict[str, str]:
    """The DuckDB macros (Trino functions DuckDB lacks) this statement calls."""
    called = {node.name.lower() for node in tree.find_all(exp.Anonymous)}
    called |= {type(node).__name__.lower() for node in tree.find_all(exp.Func)}
    called |= {node.sql_name().lower() for node in tree.find_all(exp.Func) if hasattr(node, "sql_name")}
    return {name: body for name, body in dialect.MACROS.items() if name in called}


def locate(sql: str, identifier: str) -> tuple[int, int] | None:
    """Where `identifier` first appears as a token of `sql` (for errors DuckDB reports by name)."""
    wanted = identifier.lower().split(".")[-1]
    try:
        tokens = sqlglot.tokenize(sql, read="athena")
    except TokenError:
        return None
    for token in tokens:
        if token.text.lower() == wanted:
            return position(sql, token.start)
    return None


# ---------------------------------------------------------------------------------------------------
# Partition pruning from simple predicates
# ---------------------------------------------------------------------------------------------------

_COMPARISONS: dict[type[exp.Expression], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
_FLIPPED: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.GT: exp.LT,
    exp.LT: exp.GT,
    exp.GTE: exp.LTE,
    exp.LTE: exp.GTE,
    exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
}
_NUMERIC = re.compile(r"^(tinyint|smallint|int|integer|bigint|float|double|decimal)$")


def _literal(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Literal):
        return str(node.this)
    return None


def _comparable(value: str, hive: HiveType) -> Any:
    if _NUMERIC.match(hive.name):
        return Decimal(value.strip())
    return value


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    return [node]


def partition_filter(ref: TableRef, keys: list[tuple[str, HiveType]]) -> Callable[[list[str]], bool] | None:
    """A test on a partition's values from the WHERE clause around `ref`, or None (read them all)."""
    select = ref.node.find_ancestor(exp.Select)
    if select is None or not keys:
        return None
    where = select.args.get("where")
    sources = [t for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select]
    names = {ref.node.alias_or_name.lower(), ref.name}
    key_index = {name: (i, hive) for i, (name, hive) in enumerate(keys)}
    tests: list[Callable[[list[str]], bool]] = []

    def column_key(node: exp.Expression) -> tuple[int, HiveType] | None:
        if not isinstance(node, exp.Column) or node.name.lower() not in key_index:
            return None
        qualifier = node.table.lower()
        if (qualifier and qualifier not in names) or (not qualifier and len(sources) != 1):
            return None
        return key_index[node.name.lower()]

    for condition in _conjuncts(where.this if where is not None else None):
        test = _condition_test(condition, column_key)
        if test is not None:
            tests.append(test)
    if not tests:
        return None
    return lambda values: all(test(values) for test in tests)


def _condition_test(
    condition: exp.Expression, column_key: Callable[[exp.Expression], tuple[int, HiveType] | None]
) -> Callable[[list[str]], bool] | None:
    kind = type(condition)
    if kind in _COMPARISONS:
        left, right = condition.this, condition.expression
        key, literal = column_key(left), _literal(right)
        if key is None:
            key, literal, kind = column_key(right), _literal(left), _FLIPPED[kind]
        if key is None or literal is None:
            return None
        index, hive = key
        compare = _COMPARISONS[kind]
        return _safe(lambda values: compare(_comparable(values[index], hive), _comparable(literal, hive)))
    if isinstance(condition, exp.In) and not condition.args.get("query"):
        key = column_key(condition.this)
        literals = [_literal(e) for e in condition.expressions]
        if key is None or any(v is None for v in literals):
            return None
        index, hive = key
        wanted = {_comparable(v, hive) for v in literals if v is not None}
        return _safe(lambda values: _comparable(values[index], hive) in wanted)
    if isinstance(condition, exp.Between):
        key, low, high = (
            column_key(condition.this),
            _literal(condition.args["low"]),
            _literal(condition.args["high"]),
        )
        if key is None or low is None or high is None:
            return None
        index, hive = key
        return _safe(
            lambda values: (
                _comparable(low, hive) <= _comparable(values[index], hive) <= _comparable(high, hive)
            )
        )
    return None


def _safe(test: Callable[[list[str]], bool]) -> Callable[[list[str]], bool]:
    """A partition whose value cannot be compared is kept: DuckDB's WHERE still decides its rows."""

    def run(values: list[str]) -> bool:
        try:
            return bool(test(values))
        except (InvalidOperation, ValueError, TypeError, IndexError):
            return True

    return run
