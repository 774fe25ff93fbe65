"""Conformance helpers: wait for crawls, runs and queries as a client would, by polling the API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

FINAL_RUN_STATES = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED")
FINAL_QUERY_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def poll(read: Callable[[], Any], done: Callable[[Any], bool], what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not done after {timeout}s: {value}")
        time.sleep(0.1)


def crawl_done(glue: Any, name: str) -> dict[str, Any]:
    return poll(
        lambda: glue.get_crawler(Name=name)["Crawler"],
        lambda c: c["State"] == "READY" and "LastCrawl" in c,
        f"crawler {name}",
    )


def run_done(glue: Any, job: str, run_id: str, timeout: float = 180) -> dict[str, Any]:
    return poll(
        lambda: glue.get_job_run(JobName=job, RunId=run_id)["JobRun"],
        lambda r: r["JobRunState"] in FINAL_RUN_STATES,
        f"run {run_id} of {job}",
        timeout,
    )


def query_done(athena: Any, query_id: str) -> dict[str, Any]:
    return poll(
        lambda: athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"],
        lambda q: q["Status"]["State"] in FINAL_QUERY_STATES,
        f"query {query_id}",
    )


@pytest.fixture
def glue(aws: Callable[..., Any]) -> Any:
    return aws("glue")


@pytest.fixture
def athena(aws: Callable[..., Any]) -> Any:
    return aws("athena")


@pytest.fixture
def s3(aws: Callable[..., Any]) -> Any:
    return aws("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = unique("conformance-")
    s3.create_bucket(Bucket=name)
    return name
