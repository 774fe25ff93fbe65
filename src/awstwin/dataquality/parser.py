"""A recursive-descent parser for DQDL, the grammar AWS documents and publishes.

    document   := ("Metadata" "=" dict)? ("DataSources" "=" dict)? rules? analyzers?   (at least one)
    rules      := "Rules" "=" "[" (toplevel ("," toplevel)*)? "]"
    analyzers  := "Analyzers" "=" "[" (rule ("," rule)*)? "]"
    toplevel   := rule | group (("and" | "or") group)*          one operator per level
    group      := "(" (rule | group (("and"|"or") group)*) ")"
    rule       := RuleType (("of" | "and")? parameter)* condition? ("where" STRING)?
                  ("with" "threshold" condition)?
    condition  := "not"? "between" value "and" value | (">" | ">=" | "<" | "<=") value
                | "!"? "=" value | "not"? "in" "[" value ("," value)* "]" | "not"? "matches" STRING
    value      := number | STRING | "NULL" | "EMPTY" | "WHITESPACES_ONLY" | date | duration
    date       := STRING(yyyy-mm-dd) | "now()" | "(" "now()" ("+"|"-") duration ")"
    duration   := NUMBER ("days" | "hours" | "minutes")
    number     := term (("+"|"-") term)*;  term := factor (("*"|"/") factor)*
    factor     := "-"? NUMBER | FUNCTION "(" (number ("," number)*)? ")" | "(" number ")" | "NULL"

Grammar: https://docs.aws.amazon.com/glue/latest/dg/dqdl.html and AWS's published ANTLR grammar
(awslabs/dqdl). Keywords are case-sensitive as there (`and`/`AND`, `or`/`OR`, `NULL`/`null`);
`between` is exclusive at both ends, as AWS evaluates it. Every error names its line and column.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, timedelta
from typing import Any

from awstwin.dataquality import model
from awstwin.dataquality.lexer import DqdlSyntaxError, Token, tokenize
from awstwin.dataquality.model import (
    Arithmetic,
    CompositeRule,
    Condition,
    DateValue,
    Duration,
    FunctionCall,
    Keyword,
    Null,
    Number,
    Rule,
    Ruleset,
    Text,
)
from awstwin.dataquality.rule_types import DATE, DURATION, NULL, NUMBER, RULE_TYPES, STRING

__all__ = ["DqdlSyntaxError", "parse", "parse_rule"]

AND_WORDS, OR_WORDS = ("and", "AND"), ("or", "OR")
NULL_WORDS = ("NULL", "null")
KEYWORDS = {
    "between", "BETWEEN", "not", "NOT", "in", "matches", "with", "where", "of", "OF",
    *AND_WORDS, *OR_WORDS, *NULL_WORDS, "EMPTY", "empty", "WHITESPACES_ONLY", "whitespaces_only",
}  # fmt: skip
SECTIONS = ("Metadata", "DataSources", "Sources", "Rules", "Analyzers")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse(text: str) -> Ruleset:
    """The ruleset in `text`; DqdlSyntaxError (with line and column) when it is not valid DQDL."""
    return _Parser(text).document()


def parse_rule(text: str) -> model.AnyRule:
    """One rule (or composite rule) on its own, as it would appear inside `Rules = [ ... ]`."""
    parser = _Parser(text)
    rule = parser.toplevel()
    parser.expect_end()
    return rule


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # -- tokens ----------------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.token
        if token.kind != "end":
            self.i += 1
        return token

    def error(self, expected: str, token: Token | None = None) -> DqdlSyntaxError:
        token = token or self.token
        return DqdlSyntaxError(f"expected {expected}, found {token.describe()}", token.line, token.column)

    def expect_punct(self, mark: str) -> Token:
        if not self.token.is_punct(mark):
            raise self.error(f"'{mark}'")
        return self.advance()

    def expect_word(self, *words: str) -> Token:
        if not self.token.is_word(*words):
            raise self.error(" or ".join(f"'{w}'" for w in words))
        return self.advance()

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.error("the end of the ruleset")

    def source(self, first: Token, last: Token) -> str:
        """The text from `first` to `last`, whitespace collapsed (the rule as AWS describes it)."""
        return " ".join(self.text[first.start : last.end].split())

    @property
    def previous(self) -> Token:
        return self.tokens[self.i - 1]

    # -- document --------------------------------------------------------------------------------
    def document(self) -> Ruleset:
        ruleset = Ruleset()
        seen: set[str] = set()
        while self.token.kind != "end":
            section = self.token
            if not section.is_word(*SECTIONS):
                raise self.error("'Rules = [', 'Analyzers = [', 'Metadata = {' or 'DataSources = {'")
            if section.text in seen:
                raise DqdlSyntaxError(f"section {section.text} is given twice", section.line, section.column)
            seen.add(section.text)
            self.advance()
            self.expect_punct("=")
            if section.text == "Metadata":
                ruleset.metadata = self.dictionary()
            elif section.text in ("DataSources", "Sources"):
                ruleset.data_sources = self.dictionary()
            elif section.text == "Rules":
                ruleset.rules = self.list_of(self.toplevel)
            else:
                ruleset.analyzers = self.list_of(lambda: self.rule(analyzer=True))
        if not seen & {"Rules", "Analyzers"}:
            token = self.token
            raise DqdlSyntaxError(
                "a ruleset needs 'Rules = [ ... ]' (or 'Analyzers = [ ... ]')", token.line, 1
            )
        return ruleset

    def list_of(self, item: Any) -> list[Any]:
        self.expect_punct("[")
        items: list[Any] = []
        if self.token.is_punct("]"):
            self.advance()
            return items
        while True:
            items.append(item())
            if self.token.is_punct(","):
                self.advance()
                continue
            if self.token.is_punct("]"):
                self.advance()
                return items
            raise self.error("',' or ']'")

    def dictionary(self) -> dict[str, object]:
        self.expect_punct("{")
        found: dict[str, object] = {}
        while True:
            if self.token.kind != "string":
                raise self.error('a quoted key ("key": "value")')
            key = self.advance().text
            self.expect_punct(":")
            if self.token.kind == "string":
                found[key] = self.advance().text
            elif self.token.is_punct("["):
                found[key] = [self._string_item() for _ in self._items()]
            else:
                raise self.error('a quoted value or a list of them ["a", "b"]')
            if self.token.is_punct(","):
                self.advance()
                continue
            self.expect_punct("}")
            return found

    def _items(self) -> Any:
        self.expect_punct("[")
        while True:
            yield None
            if self.token.is_punct(","):
                self.advance()
                continue
            self.expect_punct("]")
            return

    def _string_item(self) -> str:
        if self.token.kind != "string":
            raise self.error("a quoted string")
        return self.advance().text

    # -- rules -----------------------------------------------------------------------------------
    def toplevel(self) -> model.AnyRule:
        if self.token.is_punct("("):
            return self.composite()
        return self.rule()

    def composite(self) -> model.AnyRule:
        """group (op group)*: one operator per level; a single group is the rule inside it."""
        first = self.token
        members = [self.group()]
        operator: str | None = None
        while self.token.is_word(*AND_WORDS, *OR_WORDS):
            word = self.advance()
            this = "and" if word.text in AND_WORDS else "or"
            if operator is not None and this != operator:
                raise DqdlSyntaxError(
                    f"'{word.text}' after '{operator}' at the same level: put parentheses around one side",
                    word.line,
                    word.column,
                )
            operator = this
            if not self.token.is_punct("("):
                raise self.error(f"'(' (each rule joined with '{word.text}' is in parentheses)")
            members.append(self.group())
        if operator is None:
            return members[0]
        return CompositeRule(
            operator, tuple(members), self.source(first, self.previous), first.line, first.column
        )

    def group(self) -> model.AnyRule:
        self.expect_punct("(")
        inner = self.composite() if self.token.is_punct("(") else self.rule()
        self.expect_punct(")")
        return inner

    def rule(self, analyzer: bool = False) -> Rule:
        first = self.token
        if first.kind != "word" or first.text in KEYWORDS:
            raise self.error("a rule type (RowCount, IsComplete, ColumnValues, ...)")
        self.advance()
        kind = RULE_TYPES.get(first.text)
        if kind is None:
            close = difflib.get_close_matches(first.text, list(RULE_TYPES), n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]}?" if close else "; see the DQDL rule type reference"
            raise DqdlSyntaxError(f"unknown rule type '{first.text}'{hint}", first.line, first.column)
        parameters = self.parameters()
        condition = None
        if self._starts_condition():
            condition = self.condition()
        where = None
        if self.token.is_word("where"):
            self.advance()
            if self.token.kind != "string":
                raise self.error('a quoted Spark SQL condition after where ("price > 10")')
            where = self.advance().text
        threshold = None
        if self.token.is_word("with"):
            self.advance()
            self.expect_word("threshold")
            threshold = self.condition()
            if threshold.kind not in (NUMBER,):
                raise DqdlSyntaxError("a threshold compares a number", first.line, first.column)
        rule = Rule(
            first.text,
            parameters,
            condition,
            where,
            threshold,
            self.source(first, self.previous),
            first.line,
            first.column,
        )
        _check(rule, kind, analyzer)
        return rule

    def parameters(self) -> tuple[str, ...]:
        found: list[str] = []
        while True:
            token = self.token
            if token.is_word("of", "OF", *AND_WORDS) and self._is_parameter(self.peek()):
                self.advance()
                token = self.token
            if not self._is_parameter(token):
                return tuple(found)
            found.append(self.advance().text)

    @staticmethod
    def _is_parameter(token: Token) -> bool:
        if token.kind == "string":
            return True
        return token.kind == "word" and token.text not in KEYWORDS and token.text != "now"

    # -- conditions ------------------------------------------------------------------------------
    def _starts_condition(self) -> bool:
        token = self.token
        return token.is_punct(">", ">=", "<", "<=", "=", "!=", "!") or token.is_word(
            "between", "BETWEEN", "in", "not", "NOT", "matches"
        )

    def condition(self) -> Condition:
        first = self.token
        negated = False
        if first.is_word("not", "NOT"):
            self.advance()
            negated = True
            if not self.token.is_word("between", "BETWEEN", "in", "matches"):
                raise self.error("'between', 'in' or 'matches' after 'not'")
        token = self.advance()
        if token.is_word("between", "BETWEEN"):
            low = self.value()
            self.expect_word(*AND_WORDS)
            high = self.value()
            operands = (low, high)
            operator = model.NOT_BETWEEN if negated else model.BETWEEN
        elif token.is_word("in"):
            operands = tuple(self.value() for _ in self._items())
            operator = model.NOT_IN if negated else model.IN
        elif token.is_word("matches"):
            if self.token.kind != "string":
                raise self.error('a quoted regular expression after matches ("[A-Z]+")')
            operands = (Text(self.advance().text),)
            operator = model.NOT_MATCHES if negated else model.MATCHES
        elif token.is_punct("!", "!="):
            if token.text == "!":
                self.expect_punct("=")
            operands, operator = (self.value(),), model.NOT_EQUALS
        elif token.is_punct("=", ">", ">=", "<", "<="):
            operands, operator = (self.value(),), token.text
        else:
            raise self.error('a condition (> 10, between 1 and 5, in [...], matches "...")', token)
        kind = _kind(operands, token)
        if kind in (STRING,) and operator in model.COMPARISONS + (model.BETWEEN, model.NOT_BETWEEN):
            raise DqdlSyntaxError(
                f"'{token.text}' compares numbers, dates or durations, not text", token.line, token.column
            )
        return Condition(kind, operator, operands, self.source(first, self.previous))

    def value(self) -> model.Operand:
        token = self.token
        if token.kind == "string":
            self.advance()
            if _DATE.fullmatch(token.text):
                return DateValue(fixed=_date(token), text=f'"{token.text}"')
            return Text(token.text)
        if token.is_word(*NULL_WORDS):
            self.advance()
            return Null()
        if token.is_word("EMPTY", "empty", "WHITESPACES_ONLY", "whitespaces_only"):
            self.advance()
            return Keyword(token.text.upper())
        if token.is_word("now") or (token.is_punct("(") and self.peek().is_word("now")):
            return self.date_expression()
        if token.kind == "number" and self.peek().is_word(*model.DURATION_UNITS):
            amount = float(self.advance().text)
            return Duration(amount, self.advance().text)
        return self.number()

    def date_expression(self) -> DateValue:
        first = self.token
        wrapped = first.is_punct("(")
        if wrapped:
            self.advance()
        self._now()
        shift = timedelta(0)
        if wrapped:
            if self.token.is_punct("+", "-"):
                sign = 1 if self.advance().text == "+" else -1
                if self.token.kind != "number" or not self.peek().is_word(*model.DURATION_UNITS):
                    raise self.error("a duration (3 days, 12 hours)")
                amount = float(self.advance().text)
                shift = model.DURATION_UNITS[self.advance().text] * amount * sign
            self.expect_punct(")")
        return DateValue(shift=shift, text=self.source(first, self.previous))

    def _now(self) -> None:
        self.expect_word("now")
        self.expect_punct("(")
        self.expect_punct(")")

    def number(self) -> model.NumberOperand:
        left = self.term()
        while self.token.is_punct("+", "-"):
            operator = self.advance().text
            left = Arithmetic(operator, left, self.term())
        return left

    def term(self) -> model.NumberOperand:
        left = self.factor()
        while self.token.is_punct("*", "/"):
            operator = self.advance().text
            left = Arithmetic(operator, left, self.factor())
        return left

    def factor(self) -> model.NumberOperand:
        token = self.token
        if token.is_punct("-") and self.peek().kind == "number":
            self.advance()
            digits = self.advance().text
            return Number(-float(digits), f"-{digits}")
        if token.kind == "number":
            self.advance()
            return Number(float(token.text), token.text)
        if token.is_word(*NULL_WORDS):
            self.advance()
            return Null()
        if token.is_punct("("):
            self.advance()
            inner = self.number()
            self.expect_punct(")")
            return inner
        if token.kind == "word" and token.text not in KEYWORDS and self.peek().is_punct("("):
            self.advance()
            self.advance()
            arguments: list[model.NumberOperand] = []
            if not self.token.is_punct(")"):
                arguments.append(self.number())
                while self.token.is_punct(","):
                    self.advance()
                    arguments.append(self.number())
            self.expect_punct(")")
            return FunctionCall(token.text, tuple(arguments))
        raise self.error("a number, a date, a duration, a quoted string or NULL")


def _date(token: Token) -> date:
    try:
        return date.fromisoformat(token.text)
    except ValueError:
        raise DqdlSyntaxError(f'"{token.text}" is not a valid date', token.line, token.column) from None


def _kind(operands: tuple[model.Operand, ...], at: Token) -> str:
    kinds = set()
    for operand in operands:
        if isinstance(operand, Null):
            continue
        if isinstance(operand, (Text, Keyword)):
            kinds.add(STRING)
        elif isinstance(operand, DateValue):
            kinds.add(DATE)
        elif isinstance(operand, Duration):
            kinds.add(DURATION)
        else:
            kinds.add(NUMBER)
    if len(kinds) > 1:
        raise DqdlSyntaxError(f"operands mix {' and '.join(sorted(kinds))} values", at.line, at.column)
    return kinds.pop() if kinds else NULL


def _check(rule: Rule, kind: Any, analyzer: bool) -> None:
    """A rule's parameters and condition against its type (RULE_TYPES)."""
    where = rule.rule_type
    count = len(rule.parameters)
    if count < kind.min_parameters or (kind.max_parameters is not None and count > kind.max_parameters):
        wanted = (
            str(kind.min_parameters)
            if kind.min_parameters == kind.max_parameters
            else f"at least {kind.min_parameters}"
            if kind.max_parameters is None
            else f"{kind.min_parameters} to {kind.max_parameters}"
        )
        raise DqdlSyntaxError(f"{where} takes {wanted} parameter(s), found {count}", rule.line, rule.column)
    if analyzer:
        return
    if rule.condition is None and kind.condition == "required":
        raise DqdlSyntaxError(f"{where} needs a condition (for example > 0)", rule.line, rule.column)
    if rule.condition is not None and kind.condition == "none":
        raise DqdlSyntaxError(f"{where} takes no condition", rule.line, rule.column)
    if rule.condition is not None and rule.condition.kind not in kind.kinds + (NULL,):
        allowed = ", ".join(kind.kinds)
        raise DqdlSyntaxError(
            f"{where} compares {allowed} values, not {rule.condition.kind} values", rule.line, rule.column
        )
    if rule.condition is not None and rule.condition.kind == NULL and NULL not in kind.kinds:
        raise DqdlSyntaxError(f"{where} cannot compare with NULL", rule.line, rule.column)
    if rule.threshold is not None and not kind.threshold:
        raise DqdlSyntaxError(f"{where} takes no 'with threshold'", rule.line, rule.column)
    if rule.where is not None and not kind.where:
        raise DqdlSyntaxError(f"{where} takes no 'where' clause", rule.line, rule.column)
    if rule.condition is not None and rule.condition.kind == DATE and DATE not in kind.kinds:
        raise DqdlSyntaxError(f"{where} does not compare dates", rule.line, rule.column)
    if rule.condition is not None and rule.condition.kind == DURATION and DURATION not in kind.kinds:
        raise DqdlSyntaxError(f"{where} does not compare durations", rule.line, rule.column)
