"""Where job bookmarks plug in (not kept yet: every run reads all of its input).

Glue keeps bookmark state per `transformation_ctx` of each source and saves it on `job.commit()`
(https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html). The runtime calls this
module's hooks at exactly those points, so a bookmark store only has to implement `Bookmarks`:
- `s3_files(ctx, files)`: a source with a transformation_ctx is about to read these files; return the
  ones to read (a bookmark returns only new and changed ones);
- `jdbc_query(ctx, dbtable, query, options)`: the same for a JDBC source (bookmark keys);
- `commit(job_name, run_id)`: `job.commit()` saves what this run read.
"""

from __future__ import annotations

from typing import Any


class Bookmarks:
    """No bookmarks: every read reads everything, commit saves nothing."""

    def s3_files(self, transformation_ctx: str, files: list[str]) -> list[str]:
        return files

    def jdbc_query(
        self, transformation_ctx: str, dbtable: str, query: str | None, options: dict[str, Any]
    ) -> str | None:
        return query

    def commit(self, job_name: str, run_id: str | None) -> None:
        return None


_current: Bookmarks = Bookmarks()


def current() -> Bookmarks:
    return _current


def use(bookmarks: Bookmarks | None) -> None:
    """Install a bookmark store for this process (None: back to none)."""
    global _current
    _current = bookmarks or Bookmarks()
