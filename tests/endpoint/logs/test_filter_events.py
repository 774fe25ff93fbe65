"""FilterLogEvents through the endpoint: AWS's resumable nextToken on the last page, over moto."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest


@pytest.fixture
def logs(aws):
    return aws("logs")


@pytest.fixture
def stream(logs) -> tuple[str, str]:
    group = f"/filter/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="run")
    return group, "run"


def put(logs: Any, group: str, stream: str, messages: list[str], stamp: int | None = None) -> None:
    stamp = stamp or int(time.time() * 1000)
    events = [{"timestamp": stamp, "message": m} for m in messages]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def follow(logs: Any, group: str, token: str | None, **kwargs: Any) -> tuple[list[str], str | None]:
    """What a log follower does (GlueJobHook.print_job_logs): page on from its token, keep the last."""
    seen: list[str] = []
    paginator = logs.get_paginator("filter_log_events")
    for page in paginator.paginate(logGroupName=group, PaginationConfig={"StartingToken": token}, **kwargs):
        seen += [e["message"] for e in page["events"]]
        token = page.get("nextToken") or token
    return seen, token


def test_the_last_page_has_a_token_that_resumes_after_it(logs, stream):
    group, name = stream
    put(logs, group, name, ["one", "two"])
    first = logs.filter_log_events(logGroupName=group, logStreamNames=[name])
    assert [e["message"] for e in first["events"]] == ["one", "two"]
    assert first["nextToken"]
    empty = logs.filter_log_events(logGroupName=group, nextToken=first["nextToken"])
    assert empty["events"] == [] and "nextToken" not in empty  # nothing new: the caller keeps its token
    put(logs, group, name, ["three"])
    later = logs.filter_log_events(logGroupName=group, nextToken=first["nextToken"])
    assert [e["message"] for e in later["events"]] == ["three"] and later["nextToken"]


def test_a_follower_sees_each_event_once(logs, stream):
    group, name = stream
    stamp = int(time.time() * 1000)
    put(logs, group, name, ["a", "b"], stamp)
    seen, token = follow(logs, group, None, logStreamNames=[name])
    assert seen == ["a", "b"]
    assert follow(logs, group, token, logStreamNames=[name]) == ([], token)
    put(logs, group, name, ["c"], stamp)  # same millisecond as the last event already seen
    put(logs, group, name, ["d", "e"], stamp + 1)
    seen, token = follow(logs, group, token, logStreamNames=[name])
    assert seen == ["c", "d", "e"]
    assert follow(logs, group, token, logStreamNames=[name])[0] == []


def test_pages_within_one_answer_still_come_from_moto(logs, stream):
    group, name = stream
    put(logs, group, name, [f"m{i}" for i in range(5)])
    seen, token = follow(logs, group, None, logStreamNames=[name], limit=2)
    assert seen == [f"m{i}" for i in range(5)]
    put(logs, group, name, ["m5"])
    assert follow(logs, group, token, logStreamNames=[name], limit=2)[0] == ["m5"]


def test_streams_are_interleaved_by_time(logs, stream):
    group, name = stream
    logs.create_log_stream(logGroupName=group, logStreamName="other")
    stamp = int(time.time() * 1000)
    put(logs, group, name, ["late"], stamp + 10)
    put(logs, group, "other", ["early"], stamp)
    seen, _ = follow(logs, group, None)
    assert seen == ["early", "late"]


def test_errors_are_moto_s_own(logs):
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName="/no/such/group")
