"""Run ids: the name of one run's folder (`run=<id>`) in every zone and of its warehouse staging tables.

An id is the run's start (UTC, to the second) and four random hex digits, e.g. `20241207t153012_9f3a`:
it sorts by time, and it is a valid S3 key part, Hive partition value and SQL identifier suffix (the
DAG's `run` param accepts only this alphabet, so it can go into table names in SQL text).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

RUN_PATTERN = r"^[0-9a-z_]{1,32}$"  # what the DAG accepts (an id given by hand may be any such word)
GENERATED_RUN = r"[0-9]{8}t[0-9]{6}_[0-9a-f]{4}"  # what new_run() makes
_RUN_FOLDER = re.compile(r"/run=([0-9a-z_]{1,32})/?$")


def new_run(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dt%H%M%S}_{secrets.token_hex(2)}"


def is_run(text: str) -> bool:
    return re.fullmatch(RUN_PATTERN, text) is not None


def run_of_location(location: str | None) -> str | None:
    """The run whose folder an S3 location is (`.../run=<id>/`), or None."""
    found = _RUN_FOLDER.search(location or "")
    return found.group(1) if found else None
