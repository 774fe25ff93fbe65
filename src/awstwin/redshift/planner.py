"""Which client statements the front changes, and into what (a `Plan`); None means send as written."""

from __future__ import annotations

import logging
from functools import partial

from awstwin.redshift import dialect, lateral, spectrum
from awstwin.redshift.context import SessionState
from awstwin.redshift.copy_from_s3 import plan_copy
from awstwin.redshift.errors import FrontError
from awstwin.redshift.plan import Action, Plan, Step
from awstwin.redshift.s3io import S3Error
from awstwin.redshift.translate import (
    Edits,
    Statement,
    TranslateError,
    alter_table_attributes,
    create_table_attributes,
    rewrite_expressions,
    single,
    split,
)
from awstwin.redshift.unload import plan_unload

log = logging.getLogger("awstwin.redshift")


class StatementPlanner:
    """Plans the statements of one session."""

    def __init__(self, state: SessionState):
        self.state = state

    def _interesting(self, sql: str) -> bool:
        if dialect.TRIGGER.search(sql) or lateral.may_use_lateral_aliases(sql):
            return True
        external = self.state.front.external_schemas(self.state.database)
        return any(name in sql.lower() for name in external)

    def plan_query(self, sql: str) -> list[Plan] | None:
        if not self._interesting(sql):
            return None
        try:
            statements = split(sql)
        except TranslateError:
            return None
        plans = [self._guarded(statement) for statement in statements]
        if all(plan is None for plan in plans):
            return None
        return [
            plan or Plan([Step(statement.sql)]) for plan, statement in zip(plans, statements, strict=True)
        ]

    def plan_statement(self, sql: str) -> Plan | None:
        if not self._interesting(sql):
            return None
        try:
            statement = single(sql)
        except TranslateError:
            return None
        return self._guarded(statement) if statement is not None else None

    def _guarded(self, statement: Statement) -> Plan | None:
        """The plan, or for a statement the front owns but cannot run, one that raises its error."""
        try:
            return self._plan(statement)
        except FrontError as error:
            return Plan([Step(error.sql(), action=RaisedError())])
        except TranslateError as error:
            if self._owned(statement):
                return Plan([Step(FrontError(str(error), "42601").sql(), action=RaisedError())])
            log.warning("sent unchanged (%s): %s", error, statement.sql[:200])
            return None
        except Exception as error:  # S3 or Glue unreachable, ...: the statement fails with the reason
            if not self._owned(statement) and not isinstance(error, S3Error):
                raise
            log.warning("statement refused: %s", error, exc_info=True)
            return Plan([Step(FrontError(str(error)).sql(), action=RaisedError())])

    def _owned(self, statement: Statement) -> bool:
        """Statements only the front can run (Postgres would misread them)."""
        external = self.state.front.external_schemas(self.state.database)
        return (
            statement.word(0) in ("COPY", "UNLOAD")
            or statement.words(0, 2) == ["CREATE", "EXTERNAL"]
            or any(name in statement.sql.lower() for name in external)
        )

    def _plan(self, statement: Statement) -> Plan | None:
        first, second = statement.word(0), statement.word(1)
        if first == "COPY":
            return plan_copy(statement, self.state)
        if first == "UNLOAD":
            return plan_unload(statement, self.state, self._translated)
        if first == "CREATE" and second == "EXTERNAL":
            return spectrum.plan_create_external(statement, self.state)
        if first == "DROP" and second == "SCHEMA":
            found = spectrum.plan_drop_external(statement, self.state)
            if found is not None:
                return found
        if first == "ALTER" and second == "TABLE":
            altered = alter_table_attributes(statement)
            if altered is not None:
                name, attributes = altered
                return Plan([Step(attributes.upsert(name), tag="ALTER TABLE")])
        edits = Edits()
        post: list[Step] = []
        if first == "CREATE" and "TABLE" in statement.words(1, 4):
            found = create_table_attributes(statement, edits)
            if found is not None and found[1]:
                name, attributes, if_not_exists = found
                post.append(Step(attributes.upsert(name, only_if_new=if_not_exists), visible=False))
        sql, pre = self._translated(statement, edits)
        if sql == statement.sql and not pre and not post:
            return None
        return Plan([*pre, Step(sql), *post])

    def _translated(self, statement: Statement, edits: Edits | None = None) -> tuple[str, list[Step]]:
        """The statement with expressions rewritten and external tables replaced by session tables,
        and the steps that load those tables first."""
        edits = edits or Edits()
        rewrite_expressions(statement, edits, self.state.values())
        if lateral.may_use_lateral_aliases(statement.sql):
            columns_of = partial(self.state.front.columns_of, self.state.database)
            for start, end, text in lateral.lateral_alias_edits(statement.sql, columns_of):
                edits.replace_span(start, end, text)
        pre = spectrum.external_references(statement, edits, self.state)
        return edits.apply(statement.sql), pre


class RaisedError(Action):
    """The error of a statement the front refused: without the PL/pgSQL context line."""

    def on_error(self, fields: dict[str, str]) -> dict[str, str]:
        return {key: value for key, value in fields.items() if key not in "WPp"}
