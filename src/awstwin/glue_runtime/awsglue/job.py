"""Job: the bracket around a Glue script's work (`init` at the start, `commit` at the end).

`init` loads the run's job bookmarks (what earlier committed runs read, per transformation_ctx) and
`commit` saves what this run read, as Glue does with `--job-bookmark-option job-bookmark-enable`
(`_local/bookmarks.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from awsglue._local import bookmarks
from awsglue._local.guard import Guarded

if TYPE_CHECKING:
    from awsglue.context import GlueContext


class Job(Guarded):
    _glue_owner = "Job"

    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context
        self._name: str | None = None
        self._args: dict[str, Any] = {}

    @classmethod
    def continuation_options(cls) -> list[str]:
        return [
            "--continuation-option",
            "continuation-enabled",
            "continuation-readonly",
            "continuation-ignore",
        ]

    @classmethod
    def job_bookmark_options(cls) -> list[str]:
        return ["--job-bookmark-option", "job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"]

    @classmethod
    def job_bookmark_range_options(cls) -> list[str]:
        return ["--job-bookmark-from", "--job-bookmark-to"]

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        self._name = job_name
        self._args = dict(args or {})
        bookmarks.start(job_name)

    def isInitialized(self) -> bool:  # noqa: N802
        return self._name is not None

    def commit(self) -> None:
        if self._name is None:
            raise RuntimeError("Job.commit() was called before Job.init(job_name, args)")
        bookmarks.current().commit(self._name, self._args.get("JOB_RUN_ID"))
