"""Athena accepts the Athena (Trino) language only, decided on the parsed statement before translation.

DuckDB, which runs the statements, has many functions and statements Athena does not: `read_text`,
`read_csv_auto`, `glob`, `getenv`, `query`, `COPY`, `ATTACH`, `PRAGMA` ... Passed through, they read
and write the user's files. Every statement is checked here, on the sqlglot tree of the Athena SQL
(`translate.parse` calls `check`), at any depth (subqueries, CTEs, views' stored SQL, CTAS and INSERT
bodies), and refused the way Athena refuses it:
- a call of a function Athena does not have (`functions.ATHENA_FUNCTIONS`): `FUNCTION_NOT_FOUND:
  line 1:8: Function 'read_text' not registered`; a qualified name (`main.read_text`) likewise;
- a table function in `TABLE(...)`: `FUNCTION_NOT_FOUND: ... Table function 'x' not registered`, as
  Trino's analyzer says it (Trino's own `sequence`/`exclude_columns`: NOT_SUPPORTED locally);
- DuckDB's shorthand `FROM read_csv('...')`, `FROM 'file.csv'` and `LATERAL f(...)`: Trino's parser
  has no such relation, so they are Athena's `SYNTAX_ERROR: line L:C: mismatched input ...`;
- any statement other than a query, CTAS or INSERT where one is expected (`COPY`, `ATTACH`, `SET`,
  `PRAGMA` ... nested or not): `SYNTAX_ERROR`.
The function name is the one written in the statement, read from the parser's own position of the
call (quoted, mixed case, comments and unicode escapes included), never by searching the text.
"""

from __future__ import annotations

from sqlglot import exp

from awstwin.endpoint.athena.exceptions import QueryFailed
from awstwin.endpoint.athena.functions import ATHENA_FUNCTIONS, TRINO_TABLE_FUNCTIONS

SYNTAX_ERROR = 1006
FUNCTION_NOT_FOUND = 1303
NOT_SUPPORTED = 1200

# Calls written as syntax rather than by name (no name position in the tree): each is Trino syntax.
SYNTAX_FORMS: tuple[type[exp.Expression], ...] = (
    exp.Cast,
    exp.TryCast,
    exp.Extract,
    exp.If,
    exp.Case,
    exp.CurrentDate,
    exp.CurrentTime,
    exp.CurrentTimestamp,
    exp.Localtime,
    exp.Localtimestamp,
    exp.CurrentUser,
    exp.CurrentSchema,
    exp.CurrentCatalog,
    exp.StrPosition,
    exp.Substring,
    exp.Trim,
    exp.Array,
    exp.Struct,
    exp.Unnest,
    exp.GroupConcat,
    exp.AtTimeZone,
    exp.Interval,
)

# Calls by name that sqlglot builds without the name's position, and the Athena name each stands for
# (DuckDB's own spelling of the same function, `arg_max` for `max_by`, passes with it: same rows).
NAMELESS_CALLS: dict[type[exp.Expression], str] = {
    exp.Ceil: "ceil",
    exp.Floor: "floor",
    exp.Chr: "chr",
    exp.Normalize: "normalize",
    exp.ArgMax: "max_by",
    exp.ArgMin: "min_by",
    exp.JSONObject: "json_object",
    exp.JSONExtract: "json_query",
}

# Keywords the parser records like calls: `a AND b`, `EXISTS (...)`, `ROW(1, 'a')`.
KEYWORD_FORMS = frozenset({"and", "or", "exists", "row"})

# Statements that are never part of a query, CTAS or INSERT (DuckDB runs them if they get through).
NOT_A_QUERY: tuple[type[exp.Expression], ...] = (
    exp.Command,
    exp.Copy,
    exp.Pragma,
    exp.Set,
    exp.Use,
    exp.Attach,
    exp.Detach,
    exp.Install,
    exp.Export,
    exp.Drop,
    exp.Alter,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Describe,
    exp.Summarize,
    exp.Cache,
    exp.Uncache,
    exp.LoadData,
    exp.Refresh,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Grant,
    exp.Revoke,
    exp.Show,
    exp.Execute,
    exp.Declare,
    exp.Analyze,
    exp.TruncateTable,
    exp.Kill,
    exp.Comment,
)

# What Trino's parser expects where DuckDB's shorthands stand (its "Expecting: ..." list, Trino 4xx).
_AFTER_RELATION = (
    "',', 'AS', 'CROSS', 'EXCEPT', 'FETCH', 'FOR', 'FULL', 'GROUP', 'HAVING', 'INNER', 'INTERSECT', "
    "'JOIN', 'LEFT', 'LIMIT', 'MATCH_RECOGNIZE', 'NATURAL', 'OFFSET', 'ORDER', 'RIGHT', 'TABLESAMPLE', "
    "'UNION', 'WHERE', 'WINDOW', <EOF>, <identifier>"
)
_RELATION = "'(', 'JSON_TABLE', 'LATERAL', 'TABLE', 'UNNEST', <identifier>"


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, as Trino reports them."""
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def _start(node: exp.Expression) -> int | None:
    start = node.meta.get("start")
    if start is not None:
        return int(start)
    for child in node.iter_expressions():
        found = _start(child)
        if found is not None:
            return found
    return None


def _where(sql: str, offset: int | None) -> str:
    if offset is None:
        return "line 1:1"
    line, col = position(sql, offset)
    return f"line {line}:{col}"


def _syntax_error(sql: str, offset: int | None, token: str, expecting: str) -> QueryFailed:
    return QueryFailed(
        "SYNTAX_ERROR",
        f"{_where(sql, offset)}: mismatched input '{token}'. Expecting: {expecting}",
        SYNTAX_ERROR,
    )


def called_name(node: exp.Func, sql: str) -> str | None:
    """The function name as the statement calls it, or None for syntax (CAST, EXTRACT, ARRAY[...])."""
    if isinstance(node, exp.Anonymous):
        return node.name
    start, end = node.meta.get("start"), node.meta.get("end")
    if start is None or end is None:
        return None
    text = sql[int(start) : int(end) + 1]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    return text


def _dotted(node: exp.Expression) -> list[str]:
    if isinstance(node, exp.Dot):
        return _dotted(node.this) + _dotted(node.expression)
    return [node.name]


def _qualifier(node: exp.Expression) -> list[str]:
    """`main.read_text(...)` parses as Dot(main, read_text(...)): the parts before the name."""
    parts: list[str] = []
    parent = node.parent
    while isinstance(parent, exp.Dot) and parent.expression is node:
        parts = _dotted(parent.this) + parts
        node, parent = parent, parent.parent
    return parts


def check(tree: exp.Expression, sql: str) -> None:
    """Raise Athena's error for the first thing in `tree` that is not the Athena language."""
    _check_statement(tree, sql)
    handled = _check_relations(tree, sql)
    _check_calls(tree, sql, handled)


def _check_statement(tree: exp.Expression, sql: str) -> None:
    allowed = isinstance(tree, (exp.Query, exp.Values, exp.Insert)) or (
        isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "TABLE"
    )
    offending = None if allowed else tree
    if offending is None:
        offending = next((n for n in tree.find_all(*NOT_A_QUERY)), None)
    if offending is None:
        offending = next((n for n in tree.find_all(exp.Create, exp.Insert) if n is not tree), None)
    if offending is not None:
        offset = _first_token(sql) if offending is tree else _start(offending)
        token = _token_at(sql, offset) or offending.key.upper()
        raise QueryFailed(
            "SYNTAX_ERROR",
            f"{_where(sql, offset)}: mismatched input '{token}'. Expecting: 'ALTER', 'ANALYZE', 'CALL', "
            "'COMMENT', 'COMMIT', 'CREATE', 'DEALLOCATE', 'DELETE', 'DENY', 'DESC', 'DESCRIBE', 'DROP', "
            "'EXECUTE', 'EXPLAIN', 'GRANT', 'INSERT', 'MERGE', 'PREPARE', 'REFRESH', 'RESET', 'REVOKE', "
            "'ROLLBACK', 'SET', 'SHOW', 'START', 'TRUNCATE', 'UPDATE', 'USE', 'WITH', <query>",
            SYNTAX_ERROR,
        )


def _check_relations(tree: exp.Expression, sql: str) -> set[int]:
    """FROM items Trino has no syntax for, and table functions; returns the calls already judged."""
    handled: set[int] = set()
    problems: list[tuple[int, QueryFailed]] = []
    for table in tree.find_all(exp.Table):
        relation = table.this
        if isinstance(relation, exp.Identifier):
            start = relation.meta.get("start")
            if start is not None and sql[int(start) : int(start) + 1] == "'":  # FROM 'file.csv'
                token = sql[int(start) : int(relation.meta["end"]) + 1]
                problems.append((int(start), _syntax_error(sql, int(start), token, _RELATION)))
            continue
        if not isinstance(relation, exp.Func):
            offset = _start(relation)
            problems.append((offset or 0, _syntax_error(sql, offset, relation.sql()[:40], _RELATION)))
            continue
        handled.add(id(relation))
        if isinstance(relation, exp.Anonymous) and relation.name.upper() == "TABLE":
            problems.extend(_table_function(relation, sql, handled))
            continue
        end = relation.meta.get("end")  # DuckDB's `FROM read_csv(...)`: Trino stops at the '('
        paren = _next_paren(sql, int(end) + 1) if end is not None else None
        problems.append((paren or 0, _syntax_error(sql, paren, "(", _AFTER_RELATION)))
    for lateral in tree.find_all(exp.Lateral):
        if not isinstance(lateral.this, exp.Subquery):
            handled.add(id(lateral.this))
            offset = _start(lateral.this)
            problems.append((offset or 0, _syntax_error(sql, offset, _token_at(sql, offset), "'('")))
    if problems:
        raise min(problems, key=lambda item: item[0])[1]
    return handled


def _table_function(wrapper: exp.Anonymous, sql: str, handled: set[int]) -> list[tuple[int, QueryFailed]]:
    calls = [e for e in wrapper.expressions if isinstance(e, exp.Func)]
    if len(calls) != 1:
        offset = _start(wrapper)
        return [(offset or 0, _syntax_error(sql, offset, "TABLE", _RELATION))]
    call = calls[0]
    handled.add(id(call))
    name = called_name(call, sql) or call.sql_name()
    offset = _start(call)
    if name.lower() in TRINO_TABLE_FUNCTIONS:
        failure = QueryFailed(
            "NOT_SUPPORTED",
            f"{_where(sql, offset)}: Table function '{name.lower()}' is not supported by the local Athena",
            NOT_SUPPORTED,
        )
    else:
        failure = QueryFailed(
            "FUNCTION_NOT_FOUND",
            f"{_where(sql, offset)}: Table function '{name.lower()}' not registered",
            FUNCTION_NOT_FOUND,
        )
    return [(offset or 0, failure)]


def _check_calls(tree: exp.Expression, sql: str, handled: set[int]) -> None:
    problems: list[tuple[int, QueryFailed]] = []
    for node in tree.find_all(exp.Func):
        if id(node) in handled:
            continue
        name = called_name(node, sql)
        offset = _start(node)
        qualifier = _qualifier(node)
        if name is None:
            if isinstance(node, SYNTAX_FORMS) and not qualifier:
                continue
            name = NAMELESS_CALLS.get(type(node)) or node.sql_name()
        if not qualifier and (name.lower() in ATHENA_FUNCTIONS or name.lower() in KEYWORD_FORMS):
            continue
        if not name.replace("_", "a").isalnum() and not isinstance(node, exp.Anonymous):
            continue  # an operator (`a || b`, `x -> 'k'`), not a call by name
        shown = ".".join([*qualifier, name]).lower()
        problems.append(
            (
                offset or 0,
                QueryFailed(
                    "FUNCTION_NOT_FOUND",
                    f"{_where(sql, offset)}: Function '{shown}' not registered",
                    FUNCTION_NOT_FOUND,
                ),
            )
        )
    if problems:
        raise min(problems, key=lambda item: item[0])[1]


def _next_paren(sql: str, offset: int) -> int | None:
    """The offset of the '(' that opens a call whose name ends before `offset` (comments skipped)."""
    from sqlglot import tokenize
    from sqlglot.errors import TokenError

    try:
        tokens = tokenize(sql, read="athena")
    except TokenError:
        return None
    return next((t.start for t in tokens if t.start >= offset and t.text == "("), None)


def _first_token(sql: str) -> int | None:
    from sqlglot import tokenize
    from sqlglot.errors import TokenError

    try:
        tokens = tokenize(sql, read="athena")
    except TokenError:
        return None
    return tokens[0].start if tokens else None


def _token_at(sql: str, offset: int | None) -> str:
    if offset is None:
        return ""
    text = sql[offset:].split(None, 1)
    return text[0].split("(", 1)[0] if text else ""
