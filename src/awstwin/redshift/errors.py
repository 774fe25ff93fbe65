"""Errors the front reports to the client as the statement's own error (Redshift's text and code)."""

from __future__ import annotations


class FrontError(Exception):
    """A statement the front handles cannot run; the client gets `message` as an ERROR.

    The front sends the warehouse a statement that raises it, so the session's transaction state
    (aborted inside BEGIN) is exactly as if the statement itself had failed there.
    """

    def __init__(self, message: str, code: str = "XX000", detail: str = ""):
        super().__init__(message)
        self.message, self.code, self.detail = message, code, detail

    def sql(self) -> str:
        def literal(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        detail = f", DETAIL = {literal(self.detail)}" if self.detail else ""
        return (
            "DO $awstwin$ BEGIN RAISE EXCEPTION USING MESSAGE = "
            f"{literal(self.message)}, ERRCODE = {literal(self.code)}{detail}; END $awstwin$"
        )
