"""An evaluation run's life in-process: cancelled mid-evaluation it ends STOPPED, past its Timeout it ends
TIMEOUT, and neither publishes a result (the DuckDB work is interrupted, not waited for)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from awstwin.endpoint.glue.dataquality.models import DataQualityBackend
from awstwin.endpoint.glue.exceptions import InvalidInputException

# A query that keeps DuckDB busy for far longer than any test waits (interrupted long before the end).
HEAVY = 'Rules = [ CustomSql "select sum(a.range * b.range) from primary a, primary b, primary c" > 0 ]'
SOURCE = {"GlueTable": {"DatabaseName": "db", "TableName": "big"}}


class Reading:
    """Stands in for Athena's TableReading: `primary` is a large generated table."""

    def __init__(self) -> None:
        self.con = duckdb.connect()

    def register(self, database: str, name: str, view: str, predicates: Sequence[str] = ()) -> None:
        self.con.execute(f'CREATE VIEW "{view}" AS SELECT * FROM range(2000000)')

    def lock(self) -> None:
        pass

    def close(self) -> None:
        self.con.close()


class Relations:
    def connect(self) -> Reading:
        return Reading()


@pytest.fixture()
def backend(tmp_path: Path) -> DataQualityBackend:
    tags = SimpleNamespace(
        tag=lambda arn, tags: None, arn=lambda kind, *names: f"arn:{kind}/{'/'.join(names)}"
    )
    found = DataQualityBackend(SimpleNamespace(state_dir=tmp_path), catalog=None, tags=tags)  # type: ignore[arg-type]
    found.relations = Relations()
    found.create_data_quality_ruleset(Name="heavy", Ruleset=HEAVY)
    return found


def wait(
    backend: DataQualityBackend, run_id: str, states: tuple[str, ...], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = backend.get_data_quality_ruleset_evaluation_run(RunId=run_id)
        if run["Status"] in states:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {states}")


def test_cancel_interrupts_the_evaluation(backend: DataQualityBackend) -> None:
    run_id = backend.start_data_quality_ruleset_evaluation_run(SOURCE, "role", ["heavy"])["RunId"]
    wait(backend, run_id, ("RUNNING",))
    time.sleep(0.5)  # inside the query
    backend.cancel_data_quality_ruleset_evaluation_run(RunId=run_id)
    run = wait(backend, run_id, ("STOPPED", "SUCCEEDED", "FAILED"))
    assert run["Status"] == "STOPPED" and "ResultIds" not in run
    with pytest.raises(InvalidInputException):
        backend.cancel_data_quality_ruleset_evaluation_run(RunId=run_id)


def test_a_run_past_its_timeout_ends_timeout(backend: DataQualityBackend) -> None:
    backend.seconds_per_timeout_minute = 0.5
    run_id = backend.start_data_quality_ruleset_evaluation_run(SOURCE, "role", ["heavy"], Timeout=1)["RunId"]
    run = wait(backend, run_id, ("TIMEOUT", "SUCCEEDED", "FAILED", "STOPPED"))
    assert run["Status"] == "TIMEOUT" and "Timeout of 1 minutes" in run["ErrorString"]
    assert "ResultIds" not in run


def test_batch_get_returns_known_runs_and_names_unknown_ones(backend: DataQualityBackend) -> None:
    # https://docs.aws.amazon.com/glue/latest/webapi/API_BatchGetDataQualityRulesetEvaluationRun.html
    run_id = backend.start_data_quality_ruleset_evaluation_run(SOURCE, "role", ["heavy"])["RunId"]
    found = backend.batch_get_data_quality_ruleset_evaluation_run(RunIds=[run_id, "dqrun-missing"])
    assert [run["RunId"] for run in found["Runs"]] == [run_id]
    assert found["Runs"][0]["RulesetNames"] == ["heavy"]
    assert found["RunsNotFound"] == ["dqrun-missing"]
    backend.cancel_data_quality_ruleset_evaluation_run(RunId=run_id)
    wait(backend, run_id, ("STOPPED", "SUCCEEDED", "FAILED"))


def test_cancel_stops_a_recommendation_run(backend: DataQualityBackend) -> None:
    run_id = backend.start_data_quality_rule_recommendation_run(SOURCE, "role")["RunId"]
    backend.cancel_data_quality_rule_recommendation_run(RunId=run_id)
    deadline = time.time() + 60
    while (run := backend.get_data_quality_rule_recommendation_run(RunId=run_id))["Status"] not in (
        "STOPPED",
        "SUCCEEDED",
        "FAILED",
    ):
        assert time.time() < deadline, run
        time.sleep(0.05)
    assert run["Status"] == "STOPPED" and "RecommendedRuleset" not in run
    with pytest.raises(InvalidInputException):
        backend.cancel_data_quality_rule_recommendation_run(RunId=run_id)
