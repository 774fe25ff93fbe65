"""What a finished run left in its exchange folder: a bookmark commit, published Data Quality results.

The runtime writes them (`awsglue/_local/bookmarks.py`, `awsgluedq/transforms.py`); the run's end
applies them here, whatever state the run ended in, since `job.commit()` and publishing happened.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from awstwin.endpoint.glue.jobs.bookmarks import ENABLE, BookmarkStore

log = logging.getLogger(__name__)
Doc = dict[str, Any]


def collect(folder: Path, run: Doc, bookmarks: BookmarkStore, dataquality: Any | None) -> None:
    given = _read(folder / "bookmark.json") or {}
    committed = _read(folder / "bookmark-commit.json")
    if committed is not None and given.get("option") == ENABLE:
        bookmarks.apply_commit(run["JobName"], run, committed.get("state") or {})
    results = sorted((folder / "dq-results").glob("*.json")) if (folder / "dq-results").is_dir() else []
    for path in results:
        published = _read(path)
        if published is not None and dataquality is not None:
            dataquality.publish_job_result(run["JobName"], run["Id"], published)


def _read(path: Path) -> Doc | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None
