"""Athena test helpers: a bucket + result location + database per test, and a query runner."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


def wait(athena: Any, query_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in FINAL:
            return execution
        if time.monotonic() > deadline:
            raise AssertionError(f"query {query_id} still {execution['Status']['State']} after {timeout}s")
        time.sleep(0.05)


def all_rows(athena: Any, query_id: str) -> list[list[str | None]]:
    """Every row of every page (a SELECT's header row first), values as strings or None."""
    rows = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    return rows


@dataclass
class Lake:
    """One test's bucket, result location and database on the shared endpoint."""

    athena: Any
    s3: Any
    bucket: str
    database: str

    @property
    def output(self) -> str:
        return f"s3://{self.bucket}/athena-results/"

    def put(self, key: str, body: bytes | str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)

    def start(self, sql: str, **kwargs: Any) -> str:
        kwargs.setdefault("ResultConfiguration", {"OutputLocation": self.output})
        kwargs.setdefault("QueryExecutionContext", {"Database": self.database})
        return self.athena.start_query_execution(QueryString=sql, **kwargs)["QueryExecutionId"]

    def run(self, sql: str, **kwargs: Any) -> dict[str, Any]:
        """Run a statement to its end; returns the QueryExecution."""
        return wait(self.athena, self.start(sql, **kwargs))

    def ok(self, sql: str, **kwargs: Any) -> dict[str, Any]:
        execution = self.run(sql, **kwargs)
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        return execution

    def failed(self, sql: str, **kwargs: Any) -> dict[str, Any]:
        execution = self.run(sql, **kwargs)
        assert execution["Status"]["State"] == "FAILED", execution["Status"]
        return execution["Status"]

    def rows(self, sql: str, **kwargs: Any) -> list[list[str | None]]:
        """A SELECT's data rows (the header row checked and dropped)."""
        execution = self.ok(sql, **kwargs)
        rows = all_rows(self.athena, execution["QueryExecutionId"])
        return rows[1:]

    def value(self, sql: str, **kwargs: Any) -> str | None:
        return self.rows(sql, **kwargs)[0][0]


@pytest.fixture
def athena(aws: Callable[..., Any]) -> Any:
    return aws("athena")


@pytest.fixture
def lake(aws: Callable[..., Any], athena: Any) -> Lake:
    s3 = aws("s3")
    suffix = uuid.uuid4().hex[:10]
    bucket = f"athena-test-{suffix}"
    s3.create_bucket(Bucket=bucket)
    lake = Lake(athena, s3, bucket, f"db_{suffix}")
    lake.ok(f"CREATE DATABASE {lake.database}")
    return lake
