"""Athena DDL, read: a statement's tokens, and the failures Hive reports for DDL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot.dialects.hive import Hive
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from awstwin.endpoint.athena.exceptions import QueryFailed


def semantic(message: str, error_type: int = 1003, code: int | None = None) -> QueryFailed:
    prefix = f"[Error {code}]: " if code else ""
    return QueryFailed("", f"FAILED: SemanticException {prefix}{message}", error_type)


def ddl_task(message: str) -> QueryFailed:
    return QueryFailed(
        "",
        f"FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. {message}",
        1003,
    )


def table_not_found(database: str, name: str) -> QueryFailed:
    return semantic(f"Table not found {database}.{name}", 1301, 10001)


def database_not_found(database: str) -> QueryFailed:
    return semantic(f"Database does not exist: {database}", 1301, 10072)


@dataclass
class DdlResult:
    """What a DDL statement returns: its output lines (`<id>.txt`) and result column names."""

    columns: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------------


class _Tokenizer(Hive.Tokenizer):
    COMMANDS: set[TokenType] = set()  # sqlglot swallows the rest of SHOW/EXECUTE as one string


def _split_words(tokens: list[Token]) -> list[Token]:
    """Multi-word keyword tokens (`MSCK REPAIR`) become one token per word."""
    out = []
    for token in tokens:
        if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER) or " " not in token.text.strip():
            out.append(token)
            continue
        offset = token.start
        for word in token.text.split():
            start = token.start + token.text.index(word, offset - token.start)
            out.append(Token(TokenType.VAR, word, token.line, token.col, start, start + len(word) - 1))
            offset = start + len(word)
    return out


class Tokens:
    """A cursor over Hive tokens with the few moves a DDL parser needs."""

    def __init__(self, sql: str):
        self.sql = sql
        try:
            tokens = _split_words(list(_Tokenizer(dialect=Hive()).tokenize(sql)))
        except TokenError as exc:
            raise QueryFailed("", f"FAILED: ParseException line 1:0 {exc}", 1006) from None
        while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
            tokens.pop()
        self.tokens: list[Token] = tokens
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def word(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        if token is None or token.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            return ""
        return token.text.upper()

    def at(self, *words: str) -> bool:
        return all(self.word(i) == w for i, w in enumerate(words))

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.pos += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(f"expecting {' '.join(words)}")

    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    def end(self) -> None:
        if not self.done():
            raise self.error("extraneous input")

    def error(self, what: str) -> QueryFailed:
        token = self.peek()
        if token is None:
            line, col, near = self.sql.count("\n") + 1, len(self.sql.rsplit("\n", 1)[-1]), "<EOF>"
        else:
            line = token.line
            col = token.start - (self.sql.rfind("\n", 0, token.start) + 1)
            near = token.text
        return QueryFailed("", f"FAILED: ParseException line {line}:{col} {what} near '{near}'", 1006)

    def string(self) -> str:
        token = self.peek()
        if token is None or token.token_type != TokenType.STRING:
            raise self.error("expecting a quoted string")
        parts = []
        while (token := self.peek()) is not None and token.token_type == TokenType.STRING:
            parts.append(token.text)
            self.pos += 1
        return "".join(parts)

    def name(self) -> str:
        token = self.peek()
        if token is None or token.token_type == TokenType.STRING or not re.match(r"[\w$]", token.text or "_"):
            raise self.error("expecting a name")
        self.pos += 1
        return token.text

    def qualified(self, default_db: str) -> tuple[str, str]:
        """`db.t`, `t`, or Athena's backquoted `` `db.t` ``, lower-cased."""
        first = self.name()
        if self.word() == ".":
            self.pos += 1
            return first.lower(), self.name().lower()
        if "." in first:
            db, _, name = first.partition(".")
            return db.lower(), name.lower()
        return default_db.lower(), first.lower()

    def raw_until(self, stops: set[str], close_depth: int = 0) -> str:
        """The original text of the tokens up to a top-level comma or stop word (a column type)."""
        start = self.peek()
        depth = 0
        last = None
        while (token := self.peek()) is not None:
            text = token.text.upper() if token.token_type != TokenType.STRING else ""
            if depth == 0 and (text in stops or text == "," or (text == ")" and depth == close_depth)):
                break
            if text in ("<", "("):
                depth += 1
            elif text in (">", ")"):
                depth -= 1
            elif text in (">>",):
                depth -= 2
            last = token
            self.pos += 1
        if start is None or last is None:
            raise self.error("expecting a type")
        return self.sql[start.start : last.end + 1]

    def properties(self) -> dict[str, str]:
        """`('k'='v', ...)`."""
        self.expect("(")
        values: dict[str, str] = {}
        while not self.accept(")"):
            key = self.string()
            self.expect("=")
            values[key] = self.string()
            if not self.accept(","):
                self.expect(")")
                break
        return values
