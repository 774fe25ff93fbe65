"""Job bookmarks inside the runtime: new and changed S3 files only, JDBC rows past the bookmark key.

https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html (S3: by modification time;
JDBC: jobBookmarkKeys, ascending or descending, one compound key). Whole job runs are in
tests/endpoint/glue/test_jobs_bookmarks.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from awsglue._local import bookmarks
from awsglue.job import Job


@pytest.fixture()
def exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """Write the run's bookmark.json (as the endpoint does) and point the runtime at it."""
    monkeypatch.setenv("AWSTWIN_GLUE_EXCHANGE", str(tmp_path))

    def given(option: str, state: dict[str, Any] | None = None, upper: dict[str, Any] | None = None) -> Path:
        (tmp_path / "bookmark.json").write_text(
            json.dumps({"option": option, "state": state or {}, "upper": upper})
        )
        return tmp_path

    yield given
    bookmarks.use(None)


def read_csv(glue_context: Any, prefix: str, ctx: str) -> list[str]:
    frame = glue_context.create_dynamic_frame.from_options(
        "s3",
        {"paths": [f"s3://runtime-tests/{prefix}"], "recurse": True},
        format="csv",
        transformation_ctx=ctx,
    )
    return sorted(r[0] for r in frame.toDF().collect())


def test_s3_reads_new_and_changed_files_and_commit_saves_them(
    glue_context: Any, put_object: Callable[..., str], s3_root: Path, exchange: Callable[..., Path]
) -> None:
    put_object("marks/in/a.csv", "a1\na2\n")
    put_object("marks/in/b.csv", "b1\n")
    folder = exchange("job-bookmark-enable")
    job = Job(glue_context)
    job.init("marks", {})
    assert read_csv(glue_context, "marks/in/", "src") == ["a1", "a2", "b1"]
    assert read_csv(glue_context, "marks/in/", "") == ["a1", "a2", "b1"]  # no transformation_ctx: no bookmark
    job.commit()
    state = json.loads((folder / "bookmark-commit.json").read_text())["state"]
    assert sorted(state["src"]["files"]) == [
        "s3://runtime-tests/marks/in/a.csv",
        "s3://runtime-tests/marks/in/b.csv",
    ]

    # The next run starts from that state: nothing new, then one new and one rewritten file.
    exchange("job-bookmark-enable", state)
    job.init("marks", {})
    assert read_csv(glue_context, "marks/in/", "src") == []
    time.sleep(0.01)
    put_object("marks/in/c.csv", "c1\n")
    put_object("marks/in/a.csv", "a1\na2\na3\n")
    path = s3_root / "runtime-tests" / "marks/in/a.csv"
    os.utime(path, (time.time() + 5, time.time() + 5))  # a later modification time
    assert read_csv(glue_context, "marks/in/", "src") == ["a1", "a2", "a3", "c1"]


def test_pause_reads_like_enable_and_saves_nothing(
    glue_context: Any, put_object: Callable[..., str], exchange: Callable[..., Path]
) -> None:
    put_object("paused/in/a.csv", "x\n")
    folder = exchange("job-bookmark-pause")
    job = Job(glue_context)
    job.init("paused", {})
    assert read_csv(glue_context, "paused/in/", "src") == ["x"]
    job.commit()
    assert not (folder / "bookmark-commit.json").exists()


def test_disable_and_no_bookmark_file_read_everything(
    glue_context: Any,
    put_object: Callable[..., str],
    exchange: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put_object("off/in/a.csv", "x\n")
    exchange("job-bookmark-disable", {"src": {"kind": "s3", "files": {"s3://runtime-tests/off/in/a.csv": 1}}})
    Job(glue_context).init("off", {})
    assert read_csv(glue_context, "off/in/", "src") == ["x"]
    monkeypatch.delenv("AWSTWIN_GLUE_EXCHANGE")
    Job(glue_context).init("off", {})
    assert isinstance(bookmarks.current(), bookmarks.Bookmarks)
    assert read_csv(glue_context, "off/in/", "src") == ["x"]


def test_jdbc_queries_past_the_bookmark_key(tmp_path: Path) -> None:
    state = {"rows": {"kind": "jdbc", "keys": ["id", "part"], "order": "asc", "last": [7, "b"]}}
    marks = bookmarks.RunBookmarks(tmp_path, "job-bookmark-enable", state, None)
    query = marks.jdbc_query("rows", "public.events", None, {"jobBookmarkKeys": ["id", "part"]}, lambda: [])
    assert query == (
        'SELECT * FROM (SELECT * FROM "public"."events") AS bookmarked WHERE ("id", "part") > (7, \'b\')'
    )
    descending = marks.jdbc_query(
        "other", "public.events", None, {"jobBookmarkKeysSortOrder": "desc"}, lambda: ["id"]
    )
    assert descending == 'SELECT * FROM "public"."events"'  # no state yet for this transformation_ctx
    paused = bookmarks.RunBookmarks(
        tmp_path,
        "job-bookmark-pause",
        {"rows": {"kind": "jdbc", "keys": ["id"], "order": "desc", "last": [50]}},
        {"rows": {"kind": "jdbc", "keys": ["id"], "order": "desc", "last": [10]}},
    )
    assert paused.jdbc_query(
        "rows",
        "public.t",
        "SELECT * FROM public.t WHERE x",
        {"jobBookmarkKeys": "id", "jobBookmarkKeysSortOrder": "DESC"},
        list,
    ) == (
        'SELECT * FROM (SELECT * FROM public.t WHERE x) AS bookmarked WHERE ("id") < (50) AND ("id") >= (10)'
    )
    with pytest.raises(ValueError, match="need bookmark keys"):
        marks.jdbc_query("nokey", "public.t", None, {}, lambda: [])


def test_jdbc_read_notes_the_last_key(glue_context: Any, tmp_path: Path) -> None:
    marks = bookmarks.RunBookmarks(tmp_path, "job-bookmark-enable", {}, None)
    marks.jdbc_query("rows", "public.t", None, {}, lambda: ["id"])
    frame = glue_context.spark_session.createDataFrame([(3,), (9,), (5,)], "id int")
    marks.jdbc_read("rows", frame)
    marks.commit("job", "jr_1")
    saved = json.loads((tmp_path / "bookmark-commit.json").read_text())["state"]
    assert saved["rows"] == {"kind": "jdbc", "keys": ["id"], "order": "asc", "last": [9]}
