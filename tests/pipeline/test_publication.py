"""Write, audit, publish (awstwin.pipeline.publication) on the local endpoint with real crawlers and
Athena: a run's folders are invisible to readers of the published tables until it is published,
publishing flips every zone's partition of the date, a failed warehouse swap puts them back, and old
runs go only once they are neither published nor running."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.endpoint.athena.conftest import all_rows, wait
from tests.pipeline.crawling import crawl_once

from awstwin.pipeline import publication
from awstwin.pipeline.publication import Zone
from awstwin.warehouse import Warehouse

D1, D2 = "2024-03-01", "2024-03-02"
R1, R2, R3 = "20240301t000000_0001", "20240301t010000_0002", "20240301t020000_0003"
HEADER = "id,score\n"


@dataclass
class Lake:
    s3: Any
    glue: Any
    athena: Any
    bucket: str
    database: str
    zones: list[Zone]

    def put_run(self, ingest_date: str, run: str, rows: dict[str, int]) -> None:
        """A run's folders: `rows[zone]` rows in each zone (CSV, as the raw upload is)."""
        for zone in self.zones:
            name = zone.prefix.split("/")[0]
            body = HEADER + "".join(f"{i},{i % 100}\n" for i in range(rows[name]))
            key = f"{zone.prefix}ingest_date={ingest_date}/run={run}/part.csv"
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode())

    def crawl(self) -> None:
        for zone in self.zones:
            crawl_once(self.glue, f"{self.database}_{zone.table}")

    def count(self, table: str, ingest_date: str) -> int:
        query = self.athena.start_query_execution(
            QueryString=f"SELECT COUNT(*) FROM {table} WHERE ingest_date = '{ingest_date}'",
            QueryExecutionContext={"Database": self.database},
            ResultConfiguration={"OutputLocation": f"s3://{self.bucket}/athena-results/"},
        )["QueryExecutionId"]
        execution = wait(self.athena, query)
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        return int(all_rows(self.athena, query)[1][0])

    def counts(self, ingest_date: str) -> tuple[int, ...]:
        return tuple(self.count(zone.table, ingest_date) for zone in self.zones)

    def locations(self, ingest_date: str) -> list[str | None]:
        found = []
        for zone in self.zones:
            partitions = self.glue.get_partitions(
                DatabaseName=self.database, TableName=zone.table, Expression=f"ingest_date = '{ingest_date}'"
            )["Partitions"]
            found.append(partitions[0]["StorageDescriptor"]["Location"] if partitions else None)
        return found

    def run_folders(self, ingest_date: str) -> set[str]:
        keys = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {
            k["Key"].split("/run=")[1].split("/")[0]
            for k in keys
            if f"ingest_date={ingest_date}/run=" in k["Key"]
        }


@pytest.fixture(scope="module")
def lake(aws: Callable[[str], Any]) -> Lake:
    suffix = uuid.uuid4().hex[:8]
    bucket, database = f"publication-{suffix}", f"publication_{suffix}"
    s3, glue = aws("s3"), aws("glue")
    s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": database})
    zones = [
        Zone(f"{z}/students/", f"{z}_students", f"runs_{z}_students")
        for z in ("raw", "curated", "quarantine")
    ]
    for zone in zones:
        glue.create_crawler(
            Name=f"{database}_{zone.table}",
            Role="arn:aws:iam::123456789012:role/glue",
            DatabaseName=database,
            TablePrefix=f"runs_{zone.prefix.split('/')[0]}_",
            Targets={"S3Targets": [{"Path": f"s3://{bucket}/{zone.prefix}"}]},
            SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"},
        )
    return Lake(s3, glue, aws("athena"), bucket, database, zones)


def _publish(lake: Lake, ingest_date: str, run: str) -> list[dict[str, Any]]:
    return publication.publish_partitions(lake.glue, lake.database, lake.zones, ingest_date, run)


def test_a_run_is_invisible_until_published_and_then_whole(lake: Lake) -> None:
    lake.put_run(D1, R1, {"raw": 5, "curated": 4, "quarantine": 1})
    lake.crawl()
    runs = lake.glue.get_table(DatabaseName=lake.database, Name="runs_raw_students")["Table"]
    assert [k["Name"] for k in runs["PartitionKeys"]] == ["ingest_date", "run"]
    assert lake.glue.get_tables(DatabaseName=lake.database, Expression="^raw_students$")["TableList"] == []
    previous = _publish(lake, D1, R1)
    assert previous == [{"table": z.table, "previous": None} for z in lake.zones]
    table = lake.glue.get_table(DatabaseName=lake.database, Name="raw_students")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["ingest_date"]
    assert lake.counts(D1) == (5, 4, 1)
    assert all(location.rstrip("/").endswith(f"ingest_date={D1}/run={R1}") for location in lake.locations(D1))

    lake.put_run(D1, R2, {"raw": 3, "curated": 2, "quarantine": 1})
    lake.crawl()  # the runs tables now hold both runs of the date ...
    assert lake.counts(D1) == (5, 4, 1)  # ... and readers of the published tables still see R1 only


def test_a_failed_warehouse_swap_puts_the_partitions_back(lake: Lake) -> None:
    before = lake.locations(D1)
    previous = _publish(lake, D1, R2)
    assert lake.counts(D1) == (3, 2, 1)
    publication.restore_partitions(lake.glue, lake.database, D1, previous)
    assert lake.locations(D1) == before and lake.counts(D1) == (5, 4, 1)


def test_a_new_date_is_published_and_restored_to_nothing(lake: Lake) -> None:
    lake.put_run(D2, R3, {"raw": 3, "curated": 2, "quarantine": 1})
    lake.crawl()
    previous = _publish(lake, D2, R3)
    assert lake.counts(D2) == (3, 2, 1) and lake.counts(D1) == (5, 4, 1)
    publication.restore_partitions(lake.glue, lake.database, D2, previous)
    assert lake.locations(D2) == [None, None, None] and lake.counts(D2) == (0, 0, 0)


def test_publishing_a_run_that_was_not_crawled_changes_nothing(lake: Lake) -> None:
    before = lake.locations(D1)
    with pytest.raises(publication.PublishError, match="has no partition ingest_date=2024-03-01/run=nope"):
        _publish(lake, D1, "nope")
    assert lake.locations(D1) == before


def test_a_failure_half_way_undoes_the_zones_already_published(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = lake.locations(D1)
    calls = {"n": 0}
    real = lake.glue.batch_update_partition

    def fails_on_the_second(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("injected: the catalog went away")
        return real(**kwargs)

    monkeypatch.setattr(lake.glue, "batch_update_partition", fails_on_the_second)
    with pytest.raises(RuntimeError, match="injected"):
        _publish(lake, D1, R2)
    monkeypatch.undo()
    assert lake.locations(D1) == before and lake.counts(D1) == (5, 4, 1)


def test_old_runs_go_only_when_neither_published_nor_running(lake: Lake) -> None:
    lake.put_run(D1, R3, {"raw": 2, "curated": 1, "quarantine": 1})
    lake.crawl()
    assert lake.run_folders(D1) == {R1, R2, R3} and lake.run_folders(D2) == {R3}
    removed = publication.remove_stale_runs(
        lake.s3, lake.glue, lake.bucket, lake.database, lake.zones, D1, R3
    )
    # D1: R2 was superseded; D2: R3 was never published (restored to nothing above). Of every date.
    expected = [f"{z.prefix}ingest_date={d}/run={r}" for z in lake.zones for d, r in ((D1, R2), (D2, R3))]
    assert sorted(removed) == sorted(expected)
    assert lake.run_folders(D1) == {R1, R3} and lake.run_folders(D2) == set()
    assert lake.counts(D1) == (5, 4, 1)  # the published run and the running one stay
    partitions = lake.glue.get_partitions(DatabaseName=lake.database, TableName="runs_raw_students")[
        "Partitions"
    ]
    assert sorted(p["Values"] for p in partitions) == [[D1, R1], [D1, R3]]


def test_staging_tables_of_other_runs_are_dropped(warehouse: Warehouse) -> None:
    tables = ["public.pub_rows", "public.pub_quarantine"]
    for table in tables:
        for run in (R1, R2):
            warehouse.execute(f"CREATE TABLE IF NOT EXISTS {table}_stage_{run} (x INTEGER)")
    warehouse.execute("CREATE TABLE IF NOT EXISTS public.pub_rows_stage_notes (x INTEGER)")
    connection = warehouse.connect()
    try:
        dropped = publication.drop_stale_stages(connection, tables, R2)
    finally:
        connection.close()
    assert sorted(dropped) == [f"public.pub_quarantine_stage_{R1}", f"public.pub_rows_stage_{R1}"]
    names = {
        row[0]
        for row in warehouse.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'pub_%'"
        )
    }
    assert names == {f"pub_rows_stage_{R2}", f"pub_quarantine_stage_{R2}", "pub_rows_stage_notes"}
