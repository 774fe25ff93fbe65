"""The DAG's Athena check on a run's raw rows (check_raw_rows), run as the DAG renders it on the local
Athena over runs crawled as the raw crawler crawls them: a good upload passes; a file without a
column, a `;`-separated one, or one with other rows than announced fails the query with its reason.
(The preflight refuses such files before `make run` uploads them; this check is for files that reach
the bucket by other means, as on AWS.)"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from tests.conftest import REAL_DATASET
from tests.endpoint.athena.conftest import wait
from tests.pipeline.crawling import crawl_once

from awstwin.data import generator, schema
from awstwin.pipeline.publication import Zone, remove_stale_runs

DAGS = Path(__file__).resolve().parents[2] / "dags"
DATE = "2024-04-01"


@pytest.fixture(scope="module")
def dag_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    spec = importlib.util.spec_from_file_location(
        "student_performance_etl_check", DAGS / "student_performance_etl.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(DAGS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(DAGS))
    yield module


@pytest.fixture(scope="module")
def good_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    if REAL_DATASET.is_file():
        return "".join(REAL_DATASET.read_bytes().decode().splitlines(keepends=True)[:301])
    path = tmp_path_factory.mktemp("g") / "g.csv"
    generator.generate(path, rows=300, seed=5, crlf=True)
    return path.read_bytes().decode()


RAW_CRAWLER_CONFIGURATION = (
    '{"Version": 1.0, "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}}}'
)


class RawRuns:
    def __init__(self, aws: Callable[[str], Any]):
        suffix = uuid.uuid4().hex[:8]
        self.s3, self.glue, self.athena = aws("s3"), aws("glue"), aws("athena")
        self.bucket, self.database, self.crawler = (
            f"rawcheck-{suffix}",
            f"rawcheck_{suffix}",
            f"rawcheck_{suffix}",
        )
        self.s3.create_bucket(Bucket=self.bucket)
        self.glue.create_database(DatabaseInput={"Name": self.database})
        # As infra/pipeline.yaml's RawCsvClassifier and RawCrawler.
        self.glue.create_classifier(
            CsvClassifier={
                "Name": f"{self.crawler}_csv",
                "Delimiter": ",",
                "QuoteSymbol": '"',
                "ContainsHeader": "PRESENT",
            }
        )
        self.glue.create_crawler(
            Name=self.crawler,
            Role="arn:aws:iam::123456789012:role/glue",
            DatabaseName=self.database,
            TablePrefix="runs_raw_",
            Classifiers=[f"{self.crawler}_csv"],
            Targets={"S3Targets": [{"Path": f"s3://{self.bucket}/raw/student_performance/"}]},
            SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"},
            Configuration=RAW_CRAWLER_CONFIGURATION,
        )

    def upload_and_crawl(self, run: str, text: str) -> None:
        key = f"raw/student_performance/ingest_date={DATE}/run={run}/student_performance.csv"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode())
        crawl_once(self.glue, self.crawler)

    def check(self, dag_module: Any, run: str, expected_rows: int | None) -> dict[str, Any]:
        sql = (
            jinja2.Environment()
            .from_string(dag_module.RAW_ROWS_CHECK)
            .render(
                params={"ingest_date": DATE, "expected_rows": expected_rows, "run": run},
                ds=DATE,
                var={"value": {"raw_table": "raw_student_performance"}},
            )
        )
        query = self.athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self.database},
            ResultConfiguration={"OutputLocation": f"s3://{self.bucket}/athena-results/"},
        )["QueryExecutionId"]
        return wait(self.athena, query)


@pytest.fixture(scope="module")
def runs(aws: Callable[[str], Any], good_text: str) -> RawRuns:
    raw = RawRuns(aws)
    raw.upload_and_crawl("r1", good_text)
    return raw


def _reason(execution: dict[str, Any]) -> str:
    assert execution["Status"]["State"] == "FAILED", execution["Status"]
    return execution["Status"]["StateChangeReason"]


def test_a_good_upload_passes(dag_module: Any, runs: RawRuns) -> None:
    assert runs.check(dag_module, "r1", 300)["Status"]["State"] == "SUCCEEDED"


def test_other_rows_than_announced_fail(dag_module: Any, runs: RawRuns) -> None:
    reason = _reason(runs.check(dag_module, "r1", 299))
    assert (
        f"CHECK FAILED: table runs_raw_student_performance has 300 rows for ingest_date={DATE}/run=r1"
        in reason
    )


def test_a_file_without_a_column_fails(dag_module: Any, runs: RawRuns, good_text: str) -> None:
    index = schema.COLUMN_NAMES.index("Gender")
    rows = [line.split(",") for line in good_text.splitlines()]
    runs.upload_and_crawl("r2", "".join(",".join(f[:index] + f[index + 1 :]) + "\r\n" for f in rows))
    reason = _reason(runs.check(dag_module, "r2", 300))
    assert "CHECK FAILED: column exam_score has no value in any of the 300 rows" in reason
    assert "is the column missing from the file" in reason


def test_a_semicolon_file_fails(dag_module: Any, runs: RawRuns, good_text: str) -> None:
    runs.upload_and_crawl("r3", good_text.replace(",", ";"))
    reason = _reason(runs.check(dag_module, "r3", 300))
    # The crawler does not put a file whose columns do not match into the table: the run has no rows.
    assert (
        f"CHECK FAILED: table runs_raw_student_performance has 0 rows for ingest_date={DATE}/run=r3" in reason
    )
    assert runs.check(dag_module, "r1", 300)["Status"]["State"] == "SUCCEEDED"  # the good run still reads


def test_the_next_run_cleans_up_after_a_file_the_crawler_could_not_place(
    dag_module: Any, runs: RawRuns, good_text: str
) -> None:
    """A `;` upload makes the crawler file every run folder as a table of its own (their columns do not
    agree); the next run's first task removes runs that were never published, so its crawl is whole."""
    zone = Zone("raw/student_performance/", "raw_student_performance", "runs_raw_student_performance")
    removed = remove_stale_runs(runs.s3, runs.glue, runs.bucket, runs.database, [zone], DATE, "r4")
    assert sorted(removed) == [f"raw/student_performance/ingest_date={DATE}/run=r{i}" for i in (1, 2, 3)]
    runs.upload_and_crawl("r4", good_text)
    execution = runs.check(dag_module, "r4", 300)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
