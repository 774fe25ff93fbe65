"""Job bookmarks inside a job: read only what earlier committed runs did not, per transformation_ctx.

https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html. `Job.init` starts the run's
bookmarks from `bookmark.json` in the run's exchange folder (`$AWSTWIN_GLUE_EXCHANGE`, written by the
endpoint: the option, the state earlier runs committed, and for `--job-bookmark-to` an upper state);
a source with a `transformation_ctx` then reads
- S3 (`from_options`, `from_catalog`, `getSource`): only files that are new or whose modification
  time changed since the state (`s3_select`);
- JDBC: only rows past the last bookmark key (`jdbc_query`): `jobBookmarkKeys` (default: the table's
  primary key), ascending or descending (`jobBookmarkKeysSortOrder`), compared as one compound key;
  `jdbc_read` notes the new last key from the rows read.
`job.commit()` writes the merged state to `bookmark-commit.json`; the endpoint keeps it when the run
ends (`job-bookmark-enable` only; pause and disable save nothing). Without `Job.init`, a
`transformation_ctx` or an enabled option, every read reads everything.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXCHANGE_ENV = "AWSTWIN_GLUE_EXCHANGE"
DISABLE, ENABLE, PAUSE = "job-bookmark-disable", "job-bookmark-enable", "job-bookmark-pause"

State = dict[str, Any]


class Bookmarks:
    """No bookmarks: every read reads everything, commit saves nothing."""

    def s3_select(self, transformation_ctx: str) -> Callable[[list[Any]], list[Any]] | None:
        return None

    def jdbc_query(
        self,
        transformation_ctx: str,
        dbtable: str,
        query: str | None,
        options: dict[str, Any],
        primary_key: Callable[[], list[str]],
    ) -> str | None:
        return query

    def jdbc_read(self, transformation_ctx: str, frame: Any) -> None:
        return None

    def commit(self, job_name: str, run_id: str | None) -> None:
        return None


class RunBookmarks(Bookmarks):
    """A run's bookmarks: the state it started from, and what it has read since (`pending`)."""

    def __init__(self, exchange: Path, option: str, state: State, upper: State | None):
        self.exchange = exchange
        self.option = option
        self.state = state
        self.upper = upper
        self.pending: State = {}

    def _active(self, transformation_ctx: str) -> bool:
        return bool(transformation_ctx) and self.option in (ENABLE, PAUSE)

    # -- S3 ----------------------------------------------------------------------------------------
    def s3_select(self, transformation_ctx: str) -> Callable[[list[Any]], list[Any]] | None:
        if not self._active(transformation_ctx):
            return None
        before = _files(self.state.get(transformation_ctx))
        upper = _files(self.upper.get(transformation_ctx)) if self.upper is not None else None

        def select(objects: list[Any]) -> list[Any]:
            """`objects` have `.uri` and `.modified_ms`: keep the new and changed ones."""
            chosen = [o for o in objects if before.get(o.uri) != o.modified_ms]
            if upper is not None:
                chosen = [o for o in chosen if upper.get(o.uri) == o.modified_ms]
            seen = self.pending.setdefault(transformation_ctx, {"kind": "s3", "files": dict(before)})["files"]
            seen.update({o.uri: o.modified_ms for o in (chosen if upper is not None else objects)})
            _note(f"{transformation_ctx}: {len(chosen)} of {len(objects)} files are new or changed")
            return chosen

        return select

    # -- JDBC --------------------------------------------------------------------------------------
    def jdbc_query(
        self,
        transformation_ctx: str,
        dbtable: str,
        query: str | None,
        options: dict[str, Any],
        primary_key: Callable[[], list[str]],
    ) -> str | None:
        if not self._active(transformation_ctx):
            return query
        keys = options.get("jobBookmarkKeys") or primary_key()
        if isinstance(keys, str):
            keys = [keys]
        if not keys:
            raise ValueError(
                f"job bookmarks for transformation_ctx {transformation_ctx!r} ({dbtable}) need bookmark keys:"
                " "
                "the table has no primary key, so give additional_options jobBookmarkKeys=[...] "
                "(https://docs.aws.amazon.com/glue/latest/dg/programming-etl-connect-bookmarks.html)"
            )
        order = str(options.get("jobBookmarkKeysSortOrder") or "asc").lower()
        if order not in ("asc", "desc"):
            raise ValueError(f"jobBookmarkKeysSortOrder {order!r} is not 'asc' or 'desc'")
        before = self.state.get(transformation_ctx) or {}
        last = before.get("last") if before.get("keys") == list(keys) else None
        self.pending[transformation_ctx] = {"kind": "jdbc", "keys": list(keys), "order": order, "last": last}
        base = query or "SELECT * FROM " + ".".join(
            '"' + p.replace('"', '""') + '"' for p in dbtable.split(".")
        )
        columns = "(" + ", ".join('"' + k.replace('"', '""') + '"' for k in keys) + ")"
        past, upto = (">", "<=") if order == "asc" else ("<", ">=")
        conditions = []
        if last is not None:
            conditions.append(f"{columns} {past} ({', '.join(_literal(v) for v in last)})")
        upper = (self.upper or {}).get(transformation_ctx) if self.upper is not None else None
        if upper and upper.get("last") is not None:
            conditions.append(f"{columns} {upto} ({', '.join(_literal(v) for v in upper['last'])})")
        if not conditions:
            return base
        return f"SELECT * FROM ({base}) AS bookmarked WHERE {' AND '.join(conditions)}"

    def jdbc_read(self, transformation_ctx: str, frame: Any) -> None:
        pending = self.pending.get(transformation_ctx)
        if not self._active(transformation_ctx) or not pending or pending.get("kind") != "jdbc":
            return
        from pyspark.sql import functions as F

        keys = pending["keys"]
        ordered = [
            F.col(f"`{k}`").desc() if pending["order"] == "asc" else F.col(f"`{k}`").asc() for k in keys
        ]
        top = frame.select(*[f"`{k}`" for k in keys]).orderBy(*ordered).limit(1).collect()
        if top:
            pending["last"] = [_plain(v) for v in top[0]]
        _note(f"{transformation_ctx}: bookmark keys {keys} now at {pending['last']}")

    # -- commit ------------------------------------------------------------------------------------
    def commit(self, job_name: str, run_id: str | None) -> None:
        if self.option != ENABLE:
            return
        merged = {**self.state, **self.pending}
        target = self.exchange / "bookmark-commit.json"
        staging = target.with_suffix(".tmp")
        staging.write_text(json.dumps({"run_id": run_id, "state": merged}), encoding="utf-8")
        os.replace(staging, target)


def _files(state: State | None) -> dict[str, int]:
    if not state or state.get("kind") != "s3":
        return {}
    return dict(state.get("files") or {})


def _plain(value: Any) -> Any:
    """A bookmark key value as JSON keeps it (dates and decimals as text, compared as SQL literals)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _note(message: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%y/%m/%d %H:%M:%S")
    print(f"{stamp} INFO JobBookmark: {message}", file=sys.stderr, flush=True)


_current: Bookmarks = Bookmarks()


def current() -> Bookmarks:
    return _current


def use(bookmarks: Bookmarks | None) -> None:
    """Install a bookmark store for this process (None: back to none)."""
    global _current
    _current = bookmarks or Bookmarks()


def start(job_name: str) -> Bookmarks:
    """`Job.init`: the run's bookmarks from its exchange folder (none when it has no bookmark.json)."""
    folder = os.environ.get(EXCHANGE_ENV)
    given_path = Path(folder) / "bookmark.json" if folder else None
    if given_path is None or not given_path.is_file():
        use(None)
        return current()
    given = json.loads(given_path.read_text(encoding="utf-8"))
    option = given.get("option") or DISABLE
    use(
        RunBookmarks(Path(folder), option, given.get("state") or {}, given.get("upper"))
        if option != DISABLE
        else None
    )
    if option != DISABLE:
        _note(f"job {job_name}: {option}, {len(given.get('state') or {})} transformation_ctx state(s)")
    return current()
