"""Redshift SQL -> Postgres SQL by editing tokens, so everything the front does not change stays as written.

sqlglot's Redshift tokenizer finds the words (strings, comments and quoted names are never touched);
the rules come from `dialect.py`. sqlglot's full transpiler is not used: it rejects Redshift DDL
(column DISTKEY/SORTKEY), puts LISTAGG's WITHIN GROUP where Postgres refuses it and counts DATEDIFF by
elapsed time where Redshift counts boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot.tokens import Token, TokenType

from awstwin.redshift import dialect

_TOKENIZER = sqlglot.Dialect.get_or_raise("redshift")


class TranslateError(ValueError):
    """The statement could not be read; the front sends it unchanged and Postgres reports the error."""


@dataclass
class Statement:
    sql: str
    tokens: list[Token]

    def word(self, index: int) -> str:
        return self.tokens[index].text.upper() if 0 <= index < len(self.tokens) else ""

    def words(self, start: int, count: int) -> list[str]:
        return [self.word(i) for i in range(start, start + count)]

    def text(self, first: int, last: int) -> str:
        """The SQL of tokens first..last as written (comments between them included)."""
        return self.sql[self.tokens[first].start : self.tokens[last].end + 1]

    def matching(self, open_index: int) -> int:
        """The index of the parenthesis closing the one at `open_index`."""
        depth = 0
        for index in range(open_index, len(self.tokens)):
            kind = self.tokens[index].token_type
            depth += kind == TokenType.L_PAREN
            depth -= kind == TokenType.R_PAREN
            if depth == 0:
                return index
        raise TranslateError(f"unbalanced parentheses at {self.tokens[open_index].start}")


def tokenize(sql: str) -> list[Token]:
    try:
        return list(_TOKENIZER.tokenize(sql))
    except Exception as error:  # sqlglot raises TokenError and, rarely, others
        raise TranslateError(str(error)) from error


def split(sql: str) -> list[Statement]:
    """The statements of a simple Query, split at top-level semicolons; empty ones dropped."""
    tokens = tokenize(sql)
    statements, current = [], []
    for token in tokens + [None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                start, end = current[0].start, current[-1].end + 1
                statements.append(_statement(sql[start:end], current, start))
            current = []
        else:
            current.append(token)
    return statements


def _statement(text: str, tokens: list[Token], offset: int) -> Statement:
    if len(tokens) == 2 and tokens[0].token_type == TokenType.COMMAND:
        # sqlglot keeps the rest of a "command" (UNLOAD, ...) as one string: tokenize it as SQL.
        rest_start = text.index(tokens[1].text, tokens[0].end + 1 - offset) + offset
        rest = [_moved(token, rest_start) for token in tokenize(tokens[1].text)]
        tokens = [tokens[0], *rest]
    shifted = []
    for token in tokens:
        copy = Token(
            token.token_type,
            token.text,
            token.line,
            token.col,
            token.start - offset,
            token.end - offset,
            token.comments,
        )
        shifted.append(copy)
    return Statement(text, shifted)


def single(sql: str) -> Statement | None:
    """The one statement of a Parse (None for an empty one, or when there are several)."""
    statements = split(sql)
    return statements[0] if len(statements) == 1 else None


@dataclass
class Edits:
    """Replacements of token ranges, applied right to left."""

    items: list[tuple[int, int, str]] = field(default_factory=list)

    def replace(self, statement: Statement, first: int, last: int, text: str) -> None:
        self.items.append((statement.tokens[first].start, statement.tokens[last].end + 1, text))

    def replace_span(self, start: int, end: int, text: str) -> None:
        self.items.append((start, end, text))

    def apply(self, sql: str) -> str:
        for start, end, text in sorted(self.items, reverse=True):
            sql = sql[:start] + text + sql[end:]
        return sql

    def __bool__(self) -> bool:
        return bool(self.items)


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def unquote_identifier(token: Token) -> str:
    """A name as Redshift stores it: quoted names as written, others folded to lower case."""
    return token.text if token.token_type == TokenType.IDENTIFIER else token.text.lower()


# ---- expressions ------------------------------------------------------------------------------------


def rewrite_expressions(statement: Statement, edits: Edits, session_values: dict[str, str]) -> None:
    """Functions, types and words Postgres lacks (see dialect.py), wherever they occur."""
    tokens = statement.tokens
    for index, token in enumerate(tokens):
        word = token.text.upper()
        after = statement.word(index + 1)
        before = statement.word(index - 1)
        if word in dialect.CATALOG_COLUMNS and token.token_type != TokenType.IDENTIFIER:
            _catalog_column(statement, index, edits)
            continue
        if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER) or before == ".":
            continue
        if word == "WHERE" and after in ("1", "0") and statement.word(index + 2) in WHERE_ENDS:
            edits.replace(statement, index + 1, index + 1, "true" if after == "1" else "false")
        if word in dialect.FUNCTION_RENAMES and after == "(":
            edits.replace(statement, index, index, dialect.FUNCTION_RENAMES[word])
        elif word in dialect.DATEPART_FIRST and after == "(" and statement.word(index + 3) == ",":
            part = dialect.datepart(tokens[index + 2].text)
            if part:
                edits.replace(statement, index + 2, index + 2, quote_literal(part))
            _type_literal_arguments(statement, index + 1, edits)
        elif word == "SYSDATE" and after != "(":
            edits.replace(statement, index, index, "sysdate()")
        elif word == "APPROXIMATE" and after in ("COUNT", "PERCENTILE_DISC"):
            edits.replace(statement, index, index, "")
        elif word == "LISTAGG" and after == "(":
            _listagg(statement, index, edits)
        elif (
            word == "TOP"
            and before in ("SELECT", "DISTINCT", "ALL")
            and tokens[index + 1 : index + 2]
            and (tokens[index + 1].token_type == TokenType.NUMBER)
        ):
            _top(statement, index, edits)
        elif word == "DECODE" and after == "(":
            _decode(statement, index, edits)
        elif word == "MEDIAN" and after == "(":
            close = statement.matching(index + 1)
            inner = statement.text(index + 2, close - 1)
            edits.replace(statement, index, close, f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {inner})")
        elif word == "MAX" and before == "(" and statement.word(index - 2) in dialect.VARCHAR_TYPES:
            edits.replace(statement, index, index, str(dialect.VARCHAR_MAX))
        elif word in dialect.TYPE_RENAMES and token.token_type != TokenType.L_PAREN:
            last = index
            if dialect.TYPE_RENAMES[word] == "BYTEA" and after == "(":
                last = statement.matching(index + 1)
            edits.replace(statement, index, last, dialect.TYPE_RENAMES[word])
        elif word.lower() in session_values and after == "(" and statement.word(index + 2) == ")":
            edits.replace(statement, index, index + 2, session_values[word.lower()])


def arguments(statement: Statement, open_: int) -> list[str]:
    """The texts of a call's top-level arguments; `open_` is its opening parenthesis."""
    close = statement.matching(open_)
    found, start, index = [], open_ + 1, open_ + 1
    while index < close:
        if statement.word(index) == "(":
            index = statement.matching(index)
        elif statement.word(index) == ",":
            found.append(statement.text(start, index - 1))
            start = index + 1
        index += 1
    if start < close:
        found.append(statement.text(start, close - 1))
    return found


WHERE_ENDS = {"", "AND", "OR", "ORDER", "GROUP", "UNION", "LIMIT", ")", "HAVING"}


def _catalog_column(statement: Statement, index: int, edits: Edits) -> None:
    """alias.attisdistkey -> pg_catalog.attisdistkey(alias.attrelid, alias.attname), and the like;
    a bare column named in a select list keeps its name (AS)."""
    word = statement.word(index)
    qualified = statement.word(index - 1) == "."
    first = index - 2 if qualified else index
    prefix = statement.text(index - 2, index - 2) + "." if qualified else ""
    text = dialect.CATALOG_COLUMNS[word].format(q=prefix)
    if statement.word(index + 1) in (",", "FROM", ""):
        text += f" AS {statement.tokens[index].text.lower()}"
    edits.replace(statement, first, index, text)


def _type_literal_arguments(statement: Statement, open_: int, edits: Edits) -> None:
    """A string literal standing for a date in DATEADD/DATEDIFF is a TIMESTAMP, as Redshift reads it
    (Postgres would pick its overload for timestamptz)."""
    close = statement.matching(open_)
    for index in range(open_ + 3, close):
        token = statement.tokens[index]
        alone = statement.word(index + 1) in (",", ")") and statement.word(index - 1) in (",", "(")
        if token.token_type == TokenType.STRING and alone:
            edits.replace(statement, index, index, statement.text(index, index) + "::timestamp")


def _top(statement: Statement, index: int, edits: Edits) -> None:
    """SELECT TOP n ... -> SELECT ... LIMIT n, at the end of the query TOP belongs to."""
    count = statement.tokens[index + 1].text
    depth, end = 0, len(statement.tokens)
    for position in range(index, len(statement.tokens)):
        word = statement.word(position)
        depth += word == "("
        depth -= word == ")"
        if depth < 0:
            end = position
            break
    edits.replace(statement, index, index + 1, "")
    last = statement.tokens[end - 1]
    edits.replace_span(last.end + 1, last.end + 1, f" LIMIT {count}")


def _decode(statement: Statement, index: int, edits: Edits) -> None:
    """DECODE(x, s1, r1, ..., [default]) -> CASE (NULL matches NULL, as in Redshift); 2 arguments are
    Postgres' own decode(text, format)."""
    args = arguments(statement, index + 1)
    if len(args) < 3:
        return
    subject, pairs = args[0], args[1:]
    whens = " ".join(
        f"WHEN ({subject}) IS NOT DISTINCT FROM ({pairs[i]}) THEN {pairs[i + 1]}"
        for i in range(0, len(pairs) - 1, 2)
    )
    default = f" ELSE {pairs[-1]}" if len(pairs) % 2 else ""
    edits.replace(statement, index, statement.matching(index + 1), f"CASE {whens}{default} END")


def _listagg(statement: Statement, index: int, edits: Edits) -> None:
    """LISTAGG(x, d) WITHIN GROUP (ORDER BY y) -> LISTAGG(x, d ORDER BY y): Postgres' form."""
    close = statement.matching(index + 1)
    if statement.words(close + 1, 3) != ["WITHIN", "GROUP", "("]:
        return
    group_close = statement.matching(close + 3)
    order = statement.text(close + 4, group_close - 1)
    edits.replace(statement, close, group_close, f" {order})")


# ---- table attributes -------------------------------------------------------------------------------


@dataclass
class TableAttributes:
    """DISTSTYLE, DISTKEY, SORTKEY, ENCODE and BACKUP as written for one table."""

    diststyle: str | None = None
    distkey: str | None = None
    sortkey: list[str] = field(default_factory=list)
    sortkey_kind: str | None = None
    backup: bool | None = None
    encodings: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(
            (
                self.diststyle,
                self.distkey,
                self.sortkey,
                self.sortkey_kind,
                self.backup is not None,
                self.encodings,
            )
        )

    def upsert(self, table_sql: str, only_if_new: bool = False) -> str:
        """The statement recording them for `table_sql` (the table's name as written)."""
        import json

        values = {
            "diststyle": quote_literal(self.diststyle or ("KEY" if self.distkey else "AUTO")),
            "distkey": quote_literal(self.distkey) if self.distkey else "NULL",
            "sortkey": "ARRAY[" + ",".join(quote_literal(key) for key in self.sortkey) + "]::text[]",
            "sortkey_kind": quote_literal(self.sortkey_kind or "COMPOUND"),
            "backup": "true" if self.backup is None else str(self.backup).lower(),
            "encodings": quote_literal(json.dumps(self.encodings)) + "::jsonb",
        }
        changed = self._changed()
        columns = ", ".join(values)
        row = ", ".join(values.values())
        conflict = (
            "DO NOTHING"
            if only_if_new
            else "DO UPDATE SET "
            + ", ".join(
                f"{name} = EXCLUDED.{name}"
                if name != "encodings"
                else "encodings = t.encodings || EXCLUDED.encodings"
                for name in changed
            )
        )
        return (
            f"INSERT INTO awstwin_redshift.table_attributes AS t (reloid, {columns}) "
            f"VALUES ({quote_literal(table_sql)}::regclass, {row}) ON CONFLICT (reloid) {conflict}"
        )

    def _changed(self) -> list[str]:
        names = []
        if self.diststyle or self.distkey:
            names += ["diststyle", "distkey"]
        if self.sortkey or self.sortkey_kind:
            names += ["sortkey", "sortkey_kind"]
        if self.backup is not None:
            names.append("backup")
        if self.encodings:
            names.append("encodings")
        return names or ["diststyle"]


COLUMN_CONSTRAINT_STARTS = {"PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "CONSTRAINT", "LIKE", "EXCLUDE"}


def create_table_attributes(statement: Statement, edits: Edits) -> tuple[str, TableAttributes, bool] | None:
    """For CREATE [TEMP] TABLE: remove Redshift's attributes (recorded) and rewrite IDENTITY.

    Returns the table's name as written, the attributes, and whether IF NOT EXISTS was given.
    """
    index = next((i for i, t in enumerate(statement.tokens) if t.text.upper() == "TABLE"), None)
    if index is None:
        return None
    index += 1
    if_not_exists = statement.words(index, 3) == ["IF", "NOT", "EXISTS"]
    index += 3 if if_not_exists else 0
    name_start = index
    while index < len(statement.tokens) and statement.word(index) not in ("(", "AS", ""):
        if statement.word(index) in ("DISTSTYLE", "DISTKEY", "SORTKEY", "BACKUP", "COMPOUND", "INTERLEAVED"):
            break
        index += 1
    if index == name_start:
        return None
    name = statement.text(name_start, index - 1)
    attributes = TableAttributes()
    if statement.word(index) == "(":
        close = statement.matching(index)
        _column_attributes(statement, index, close, attributes, edits)
        index = close + 1
    _table_attributes(statement, index, attributes, edits)
    return name, attributes, if_not_exists


def _column_attributes(
    statement: Statement, open_: int, close: int, attrs: TableAttributes, edits: Edits
) -> None:
    index, column = open_ + 1, None
    segment_start = True
    while index < close:
        word = statement.word(index)
        if segment_start:
            column = None if word in COLUMN_CONSTRAINT_STARTS else unquote_identifier(statement.tokens[index])
            segment_start = False
        if word == "(":
            inner_close = statement.matching(index)
            index = inner_close + 1
            continue
        if word == ",":
            segment_start = True
        elif column and word == "ENCODE" and statement.word(index + 1) not in ("(", ""):
            attrs.encodings[column] = statement.tokens[index + 1].text.lower()
            edits.replace(statement, index, index + 1, "")
            index += 1
        elif column and word == "DISTKEY":
            attrs.distkey, attrs.diststyle = column, "KEY"
            edits.replace(statement, index, index, "")
        elif column and word == "SORTKEY":
            attrs.sortkey.append(column)
            edits.replace(statement, index, index, "")
        elif column and word == "IDENTITY" and statement.word(index + 1) == "(":
            args_close = statement.matching(index + 1)
            seed, step = _identity_args(statement, index + 1, args_close)
            generated = statement.words(index - 4, 4) == ["GENERATED", "BY", "DEFAULT", "AS"]
            text = f"IDENTITY (START WITH {seed} INCREMENT BY {step})"
            edits.replace(statement, index, args_close, text if generated else "GENERATED ALWAYS AS " + text)
            index = args_close
        index += 1


def _identity_args(statement: Statement, open_: int, close: int) -> tuple[str, str]:
    parts = statement.text(open_ + 1, close - 1).split(",") if close > open_ + 1 else []
    seed = parts[0].strip() if parts else "1"
    step = parts[1].strip() if len(parts) > 1 else "1"
    return seed, step


def _table_attributes(statement: Statement, index: int, attrs: TableAttributes, edits: Edits) -> None:
    """DISTSTYLE x, DISTKEY(c), [COMPOUND|INTERLEAVED] SORTKEY(c, ...)|AUTO, ENCODE AUTO, BACKUP YES|NO."""
    while index < len(statement.tokens):
        word = statement.word(index)
        if word in ("AS", "SELECT", "WITH"):
            return
        if word == "DISTSTYLE":
            attrs.diststyle = statement.word(index + 1)
            edits.replace(statement, index, index + 1, "")
            index += 2
        elif word == "DISTKEY" and statement.word(index + 1) == "(":
            close = statement.matching(index + 1)
            attrs.distkey = unquote_identifier(statement.tokens[index + 2])
            attrs.diststyle = attrs.diststyle or "KEY"
            edits.replace(statement, index, close, "")
            index = close + 1
        elif word in dialect.SORTKEY_KINDS and statement.word(index + 1) == "SORTKEY" or word == "SORTKEY":
            first = index
            if word != "SORTKEY":
                attrs.sortkey_kind = word
                index += 1
            if statement.word(index + 1) == "(":
                close = statement.matching(index + 1)
                attrs.sortkey = [
                    unquote_identifier(token)
                    for token in statement.tokens[index + 2 : close]
                    if token.token_type != TokenType.COMMA
                ]
            else:  # SORTKEY AUTO / NONE
                close = index + 1
                attrs.sortkey_kind = attrs.sortkey_kind or statement.word(close)
            edits.replace(statement, first, close, "")
            index = close + 1
        elif word in ("ENCODE", "BACKUP") and statement.word(index + 1) != "(":
            if word == "BACKUP":
                attrs.backup = statement.word(index + 1) == "YES"
            edits.replace(statement, index, index + 1, "")
            index += 2
        else:
            index += 1


def alter_table_attributes(statement: Statement) -> tuple[str, TableAttributes] | None:
    """ALTER TABLE t ALTER [COMPOUND] SORTKEY (..) | DISTKEY c | DISTSTYLE x | ENCODE AUTO
    | COLUMN c ENCODE e."""
    if statement.words(0, 2) != ["ALTER", "TABLE"]:
        return None
    alter = next((i for i in range(2, len(statement.tokens)) if statement.word(i) == "ALTER"), None)
    if alter is None:
        return None
    name = statement.text(2, alter - 1)
    word = statement.word(alter + 1)
    attrs = TableAttributes()
    if word == "COLUMN" and statement.word(alter + 3) == "ENCODE":
        attrs.encodings[unquote_identifier(statement.tokens[alter + 2])] = statement.tokens[
            alter + 4
        ].text.lower()
    elif word in ("SORTKEY", "DISTKEY", "DISTSTYLE", "COMPOUND", "INTERLEAVED", "ENCODE"):
        edits = Edits()
        if word == "DISTKEY":
            attrs.distkey, attrs.diststyle = unquote_identifier(statement.tokens[alter + 2]), "KEY"
        elif word == "DISTSTYLE" and statement.word(alter + 3) == "DISTKEY":
            attrs.diststyle = "KEY"
            attrs.distkey = unquote_identifier(statement.tokens[alter + 4])
        elif word == "ENCODE":
            return name, attrs
        else:
            _table_attributes(statement, alter + 1, attrs, edits)
            if attrs.sortkey_kind in ("AUTO", "NONE"):
                attrs.sortkey, attrs.sortkey_kind = [], "COMPOUND"
                attrs.sortkey_kind = "COMPOUND"
            if attrs.diststyle and attrs.diststyle != "KEY":
                attrs.distkey = None
    else:
        return None
    return name, attrs


def _moved(token: Token, by: int) -> Token:
    return Token(
        token.token_type, token.text, token.line, token.col, token.start + by, token.end + by, token.comments
    )
