"""The README's table of supported actions comes from the handlers' own docstrings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from awstwin.endpoint import actions


@pytest.fixture(scope="module")
def services():
    return actions.implemented()


def test_every_implemented_operation_says_what_it_does_locally(services):
    missing = [
        f"{service}:{name} ({handler.__qualname__})"
        for service, operations in services.items()
        for name, handler in operations.items()
        if len(actions.summary(handler).split()) < 3
    ]
    assert not missing, f"add a docstring saying what it does locally to: {missing}"


def test_the_services_the_issue_names_are_there(services):
    assert {"CreateCrawler", "StartCrawler", "GetCrawlerMetrics", "StopCrawler", "ListCrawls"} <= set(
        services["glue"]
    )
    assert {"StartJobRun", "BatchStopJobRun", "GetJobRuns", "GetPartitions", "TagResource"} <= set(
        services["glue"]
    )
    assert {"StartQueryExecution", "GetQueryResults", "StopQueryExecution", "BatchGetQueryExecution"} <= set(
        services["athena"]
    )
    assert {"PutObject", "GetObject", "ListObjectsV2"} <= set(services["s3"])


def test_markdown_has_one_row_per_operation(services):
    text = actions.markdown(services)
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == sum(len(ops) for ops in services.values())
    start = actions.summary(services["glue"]["StartCrawler"])
    assert f"| `StartCrawler` | {start} |" in text
    assert "### Amazon Athena (" in text and "### Amazon S3 (" in text


def test_module_prints_the_table():
    result = subprocess.run(
        [sys.executable, "-m", "awstwin.endpoint.actions"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("### AWS Glue (")
    assert "| `GetQueryResults` |" in result.stdout
