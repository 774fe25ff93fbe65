"""The crawler state machine in-process: RUNNING, StopCrawler, errors, restart, bounded reads."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.crawler.classifiers import SAMPLE_BYTES
from awstwin.endpoint.glue.crawler.models import CrawlerBackend
from awstwin.endpoint.glue.exceptions import (
    CrawlerNotRunningException,
    CrawlerRunningException,
    CrawlerStoppingException,
)
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.s3access import ClientS3Access, S3Access, TreeS3Access


def put(root: Path, bucket: str, key: str, data: str) -> None:
    """The endpoint's S3 keeps each object as a plain file: writing one there is uploading it."""
    path = root / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data)


class GatedS3(TreeS3Access):
    """The endpoint's S3 tree, but listing waits for `gate` and every read is recorded."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.gate = threading.Event()
        self.gate.set()
        self.listing = threading.Event()
        self.reads: list[tuple[str, int | None]] = []
        self.whole_files: list[str] = []

    def list_objects(self, bucket, prefix=""):
        self.listing.set()
        assert self.gate.wait(30)
        yield from super().list_objects(bucket, prefix)

    def get_bytes(self, bucket, key, max_bytes=None):
        self.reads.append((key, max_bytes))
        return super().get_bytes(bucket, key, max_bytes)

    def get_tail(self, bucket, key, length):
        self.reads.append((key, -length))
        return super().get_tail(bucket, key, length)

    def local_file(self, bucket, key):
        self.whole_files.append(key)
        return super().local_file(bucket, key)


class Glue:
    """Catalog, tags and crawlers of one endpoint state dir, as the endpoint wires them."""

    def __init__(self, state: Path, port: int, s3: S3Access | None = None):
        self.ctx = EndpointContext(settings=EndpointSettings(state_dir=state, port=port), state_dir=state)
        self.s3 = s3 or GatedS3(self.ctx.s3_root)
        self.ctx.__dict__["s3"] = self.s3
        self.tags = TagBackend(self.ctx)
        self.catalog = CatalogBackend(self.ctx, self.tags)
        self.crawlers = CrawlerBackend(self.ctx, self.catalog, self.tags)

    def state(self, name: str) -> dict:
        return self.crawlers.get_crawler(Name=name)["Crawler"]

    def wait_ready(self, name: str) -> dict:
        deadline = time.monotonic() + 30
        while self.state(name)["State"] != "READY":
            assert time.monotonic() < deadline, f"{name} never became READY"
            time.sleep(0.02)
        return self.state(name)


@pytest.fixture
def glue(tmp_path, endpoint):
    backend = Glue(tmp_path, endpoint.port)
    yield backend
    backend.s3.gate.set()
    backend.crawlers.close()


def create(glue: Glue, name: str = "c1", path: str = "s3://bucket/data/") -> None:
    glue.crawlers.create_crawler(
        Name=name, Role="r", DatabaseName="db", Targets={"S3Targets": [{"Path": path}]}
    )


def test_running_stop_and_cancelled(glue):
    put(glue.ctx.s3_root, "bucket", "data/a.csv", "id,v\n1,2\n")
    create(glue)
    glue.s3.gate.clear()
    glue.crawlers.start_crawler(Name="c1")
    assert glue.s3.listing.wait(10)
    running = glue.state("c1")
    assert running["State"] == "RUNNING"
    time.sleep(0.01)
    assert glue.state("c1")["CrawlElapsedTime"] > 0
    with pytest.raises(CrawlerRunningException, match="c1"):
        glue.crawlers.start_crawler(Name="c1")
    with pytest.raises(CrawlerRunningException):
        glue.crawlers.delete_crawler(Name="c1")
    with pytest.raises(CrawlerRunningException):
        glue.crawlers.update_crawler(Name="c1", Description="x")
    assert glue.crawlers.list_crawls(CrawlerName="c1")["Crawls"][0]["State"] == "RUNNING"
    assert glue.crawlers.get_crawler_metrics(CrawlerNameList=["c1"])["CrawlerMetricsList"][0][
        "StillEstimating"
    ]

    glue.crawlers.stop_crawler(Name="c1")
    assert glue.state("c1")["State"] == "STOPPING"
    with pytest.raises(CrawlerStoppingException):
        glue.crawlers.stop_crawler(Name="c1")
    glue.s3.gate.set()
    done = glue.wait_ready("c1")
    assert done["LastCrawl"]["Status"] == "CANCELLED"
    assert done["CrawlElapsedTime"] == 0
    assert glue.crawlers.list_crawls(CrawlerName="c1")["Crawls"][0]["State"] == "STOPPED"
    with pytest.raises(CrawlerNotRunningException):
        glue.crawlers.stop_crawler(Name="c1")
    # Nothing was written: the crawl stopped before classifying.
    names = [d["Name"] for d in glue.catalog.get_databases()["DatabaseList"]]  # `default` is always there
    assert "db" not in names or not glue.catalog.get_tables(DatabaseName="db")["TableList"]


def test_reads_only_a_bounded_sample(glue):
    big = "id,value\n" + "".join(f"{i:07d},{i:07d}\n" for i in range(150_000))
    put(glue.ctx.s3_root, "bucket", "data/big.csv", big)
    create(glue)
    glue.crawlers.start_crawler(Name="c1")
    assert glue.wait_ready("c1")["LastCrawl"]["Status"] == "SUCCEEDED"
    assert glue.s3.reads == [("data/big.csv", SAMPLE_BYTES)]
    assert glue.s3.whole_files == []
    assert len(big) > SAMPLE_BYTES
    table = glue.catalog.get_table(DatabaseName="db", Name="data")["Table"]
    assert [c["Type"] for c in table["StorageDescriptor"]["Columns"]] == ["bigint", "bigint"]
    assert abs(int(table["Parameters"]["recordCount"]) - 150_000) < 1_000


def test_parquet_is_read_by_its_footer_only(glue):
    rows = 200_000
    table = pa.table({"id": pa.array(range(rows), pa.int64()), "name": [f"n{i:07d}" for i in range(rows)]})
    path = glue.ctx.s3_root / "bucket" / "pq" / "part-0.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path, compression="none")
    create(glue, path="s3://bucket/pq/")
    glue.crawlers.start_crawler(Name="c1")
    assert glue.wait_ready("c1")["LastCrawl"]["Status"] == "SUCCEEDED"
    assert glue.s3.reads == [("pq/part-0.parquet", SAMPLE_BYTES), ("pq/part-0.parquet", -64 * 1024)]
    assert glue.s3.whole_files == []
    crawled = glue.catalog.get_table(DatabaseName="db", Name="pq")["Table"]
    assert crawled["Parameters"]["recordCount"] == str(rows)


class RecordingS3Client:
    """A boto3 S3 client that notes every object read (GetObject's Range, whole downloads)."""

    def __init__(self, client):
        self._client = client
        self.gets: list[tuple[str, str | None]] = []
        self.downloads: list[str] = []

    def get_object(self, **kwargs):
        self.gets.append((kwargs["Key"], kwargs.get("Range")))
        return self._client.get_object(**kwargs)

    def download_file(self, bucket, key, filename, **kwargs):
        self.downloads.append(key)
        return self._client.download_file(bucket, key, filename, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_over_an_external_s3_the_crawler_reads_ranges_never_whole_objects(tmp_path, endpoint, aws):
    """Through the S3 API (as against LocalStack): a CSV's first MiB and a Parquet file's end."""
    s3 = aws("s3")
    s3.create_bucket(Bucket="external-crawl")
    big_csv = "id,value\n" + "".join(f"{i:07d},{i:07d}\n" for i in range(100_000))
    s3.put_object(Bucket="external-crawl", Key="csv/big.csv", Body=big_csv.encode())
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": pa.array(range(150_000), pa.int64())}), buffer, compression="none")
    s3.put_object(Bucket="external-crawl", Key="pq/part-0.parquet", Body=buffer.getvalue())
    client = RecordingS3Client(s3)
    glue = Glue(tmp_path, endpoint.port, s3=ClientS3Access(client, cache_dir=tmp_path / "cache"))
    try:
        for name, prefix in (("csv", "csv/"), ("pq", "pq/")):
            create(glue, name=name, path=f"s3://external-crawl/{prefix}")
            glue.crawlers.start_crawler(Name=name)
            assert glue.wait_ready(name)["LastCrawl"]["Status"] == "SUCCEEDED"
    finally:
        glue.crawlers.close()
    assert client.downloads == []
    assert client.gets == [
        ("csv/big.csv", f"bytes=0-{SAMPLE_BYTES - 1}"),
        ("pq/part-0.parquet", f"bytes=0-{SAMPLE_BYTES - 1}"),
        ("pq/part-0.parquet", f"bytes=-{64 * 1024}"),
    ]
    tables = {t["Name"]: t for t in glue.catalog.get_tables(DatabaseName="db")["TableList"]}
    assert tables["pq"]["Parameters"]["recordCount"] == "150000"
    assert [c["Type"] for c in tables["csv"]["StorageDescriptor"]["Columns"]] == ["bigint", "bigint"]


def test_a_crawl_running_when_the_endpoint_died_comes_back_failed(tmp_path, endpoint):
    first = Glue(tmp_path, endpoint.port)
    put(first.ctx.s3_root, "bucket", "data/a.csv", "id,v\n1,2\n")
    create(first)
    first.crawlers.create_crawler(
        Name="kept", Role="r", DatabaseName="db", Targets={"S3Targets": [{"Path": "s3://bucket/data/"}]}
    )
    first.s3.gate.clear()
    first.crawlers.start_crawler(Name="c1")
    assert first.s3.listing.wait(10)

    reborn = Glue(tmp_path, endpoint.port)  # a new process reading the same state dir
    crawler = reborn.state("c1")
    assert crawler["State"] == "READY"
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "endpoint stopped while this crawl was running" in crawler["LastCrawl"]["ErrorMessage"]
    assert reborn.crawlers.list_crawls(CrawlerName="c1")["Crawls"][0]["State"] == "FAILED"
    assert reborn.state("kept")["State"] == "READY"
    reborn.crawlers.start_crawler(Name="kept")
    assert reborn.wait_ready("kept")["LastCrawl"]["Status"] == "SUCCEEDED"
    first.s3.gate.set()
    first.crawlers.close()


def test_logging_failure_never_fails_the_crawl(tmp_path, caplog):
    glue = Glue(tmp_path, 9)  # nothing listens on port 9: CloudWatch Logs is unreachable
    put(glue.ctx.s3_root, "bucket", "data/a.csv", "id,v\n1,2\n")
    create(glue)
    glue.crawlers.start_crawler(Name="c1")
    assert glue.wait_ready("c1")["LastCrawl"]["Status"] == "SUCCEEDED"
    assert any("cannot write to CloudWatch Logs" in r.getMessage() for r in caplog.records)


def test_close_stops_running_crawls(glue):
    put(glue.ctx.s3_root, "bucket", "data/a.csv", "id,v\n1,2\n")
    create(glue)
    glue.s3.gate.clear()
    glue.crawlers.start_crawler(Name="c1")
    assert glue.s3.listing.wait(10)
    closer = threading.Thread(target=glue.crawlers.close)
    closer.start()
    glue.s3.gate.set()
    closer.join(10)
    assert glue.state("c1")["LastCrawl"]["Status"] == "CANCELLED"
    saved = json.loads((glue.ctx.state_dir / "glue" / "crawlers.json").read_text())
    assert saved["crawlers"]["c1"]["State"] == "READY"
