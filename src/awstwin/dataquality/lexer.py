"""DQDL text -> tokens. Whitespace and comments (`# ...`, `// ...`, `/* ... */`) are skipped.

Strings are double-quoted with `\\"` and `\\\\` as escapes (a string that is a `yyyy-mm-dd` date is
kept as a string; the parser decides what it means from where it stands). Words are
`[A-Za-z0-9_.]+`; a word made of digits (with one `.`) is a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PUNCTUATION = (
    ">=",
    "<=",
    "!=",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    ">",
    "<",
    "!",
    ":",
    "+",
    "-",
    "*",
    "/",
)
_WORD = re.compile(r"[A-Za-z0-9_.]+")
_NUMBER = re.compile(r"\d+(\.\d+)?")


class DqdlSyntaxError(ValueError):
    """A ruleset that is not DQDL: the message names the line and column (1-based) and what was expected."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"line {line}:{column}: {message}")
        self.line = line
        self.column = column
        self.reason = message


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "number", "word", "punct", "end"
    text: str  # the value (a string's content, unescaped; the punctuation itself)
    line: int
    column: int
    start: int  # offset of the token's first character in the source
    end: int  # offset after its last character

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text in words

    def is_punct(self, *marks: str) -> bool:
        return self.kind == "punct" and self.text in marks

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the ruleset"
        if self.kind == "string":
            return f'"{self.text}"'
        return f"'{self.text}'"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, line, line_start = 0, 1, 0
    size = len(text)
    while i < size:
        char = text[i]
        if char == "\n":
            i += 1
            line, line_start = line + 1, i
            continue
        if char in " \t\r":
            i += 1
            continue
        column = i - line_start + 1
        if char == "#" or text.startswith("//", i):
            while i < size and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise DqdlSyntaxError("comment '/*' is never closed with '*/'", line, column)
            line += text.count("\n", i, close)
            if "\n" in text[i:close]:
                line_start = text.rfind("\n", i, close) + 1
            i = close + 2
            continue
        if char == '"':
            start, start_line = i, line
            value, i, line, line_start = _string(text, i, line, line_start, column)
            tokens.append(Token("string", value, start_line, column, start, i))
            continue
        word = _WORD.match(text, i)
        if word:
            kind = "number" if _NUMBER.fullmatch(word.group()) else "word"
            tokens.append(Token(kind, word.group(), line, column, i, word.end()))
            i = word.end()
            continue
        mark = next((p for p in PUNCTUATION if text.startswith(p, i)), None)
        if mark is None:
            raise DqdlSyntaxError(f"unexpected character {char!r}", line, column)
        tokens.append(Token("punct", mark, line, column, i, i + len(mark)))
        i += len(mark)
    tokens.append(Token("end", "", line, i - line_start + 1, size, size))
    return tokens


def _string(text: str, start: int, line: int, line_start: int, column: int) -> tuple[str, int, int, int]:
    """The content of the string starting at `start` (a quote), the offset after it, and the position."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1, line, line_start
        if char == "\n":
            line, line_start = line + 1, i + 1
        out.append(char)
        i += 1
    raise DqdlSyntaxError("string is never closed with '\"'", line, column)
