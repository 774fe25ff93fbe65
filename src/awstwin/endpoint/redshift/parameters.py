"""Named parameters (`:name`) of a Data API statement, bound as the Data API binds them.

https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html (running SQL statements with
parameters): values are text that Redshift converts implicitly to the type they meet, a name may be
used more than once, every given parameter must be used and every used one given. A `:name` inside a
string literal, a quoted identifier, a dollar-quoted body or a comment is text, and `::type` is a cast.
The SQL becomes psycopg2's `%(name)s` form, so each value reaches the warehouse as a quoted literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NAME = re.compile(r"[0-9A-Za-z_]+")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


class ParameterError(ValueError):
    """A statement's parameters do not match its SQL; the message names the parameter."""


def names_in(sql: str) -> list[str]:
    """The parameter names `sql` uses, in order of first use."""
    return list(dict.fromkeys(name for name, _, _ in _scan(sql)))


def bind(
    sqls: Iterable[str], parameters: list[dict[str, str]] | None
) -> list[tuple[str, dict[str, str] | None]]:
    """Each SQL in psycopg2's form with the values it uses (None: no parameters, sent as written)."""
    sqls = list(sqls)
    given = {p["name"]: p["value"] for p in parameters or []}
    used: set[str] = set()
    bound: list[tuple[str, dict[str, str] | None]] = []
    for sql in sqls:
        found = list(_scan(sql))
        if not given:
            if found:
                raise ParameterError(
                    f"the SQL uses parameter :{found[0][0]}, which is not given in Parameters"
                )
            bound.append((sql, None))
            continue
        missing = [name for name, _, _ in found if name not in given]
        if missing:
            raise ParameterError(f"the SQL uses parameter :{missing[0]}, which is not given in Parameters")
        pieces, position = [], 0
        for name, start, end in found:
            pieces.append(sql[position:start].replace("%", "%%"))
            pieces.append(f"%({name})s")
            position = end
            used.add(name)
        pieces.append(sql[position:].replace("%", "%%"))
        bound.append(("".join(pieces), {name: given[name] for name, _, _ in found}))
    unused = sorted(set(given) - used)
    if unused:
        raise ParameterError(f"parameter {unused[0]} is given but the SQL does not use :{unused[0]}")
    return bound


def _scan(sql: str) -> Iterable[tuple[str, int, int]]:
    """(name, start, end) of each `:name` outside literals, quoted identifiers and comments."""
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in ("'", '"'):
            i = _closing(sql, i + 1, char)
        elif char == "-" and sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif char == "/" and sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif char == "$" and (tag := _DOLLAR_TAG.match(sql, i)):
            close = sql.find(tag.group(0), tag.end())
            i = n if close < 0 else close + len(tag.group(0))
        elif char == ":":
            if sql.startswith("::", i):
                i += 2
                continue
            name = _NAME.match(sql, i + 1)
            if name and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                yield name.group(0), i, name.end()
                i = name.end()
            else:
                i += 1
        else:
            i += 1


def _closing(sql: str, i: int, quote: str) -> int:
    """The index after the quote that closes a literal or identifier opened before `i` ('' escapes)."""
    while i < len(sql):
        if sql[i] == quote:
            if sql.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return i
