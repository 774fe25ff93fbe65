"""Splitting `preactions` / `postactions` into statements without breaking quoted text.

Glue takes a semicolon-separated list; a semicolon inside a string literal, a quoted identifier, a
dollar-quoted body or a comment is not a separator.
"""

from __future__ import annotations

import re

_DOLLAR_TAG = re.compile(r"\$[A-Za-z_0-9]*\$")


def split_statements(text: str | None) -> list[str]:
    """`"DELETE FROM t WHERE a = 'x;y'; INSERT ..."` -> the two statements, trimmed, empties dropped."""
    if not text:
        return []
    statements: list[str] = []
    start = i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"'):
            i = _end_of_quoted(text, i, ch)
        elif ch == "-" and text.startswith("--", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif ch == "/" and text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif ch == "$" and (match := _DOLLAR_TAG.match(text, i)):
            close = text.find(match.group(0), match.end())
            i = n if close < 0 else close + len(match.group(0))
        elif ch == ";":
            statements.append(text[start:i])
            i += 1
            start = i
        else:
            i += 1
    statements.append(text[start:])
    return [s.strip() for s in statements if _has_code(s)]


def _end_of_quoted(text: str, i: int, quote: str) -> int:
    """Index just past the quoted run starting at `i` (a doubled quote is an escaped quote)."""
    j = i + 1
    while j < len(text):
        if text[j] == quote:
            if j + 1 < len(text) and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return len(text)


def _has_code(statement: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.S)
    return bool(without_comments.strip())
