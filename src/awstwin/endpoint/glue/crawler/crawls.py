"""Crawls: StartCrawler, StopCrawler, a crawl's run on its thread, GetCrawlerMetrics, ListCrawls."""

from __future__ import annotations

import copy
import logging
import statistics
import threading
import time
import uuid

from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.crawler.catalog_writer import CrawlCounts, summary
from awstwin.endpoint.glue.crawler.crawl import Crawl, CrawlCancelled, CrawlFailed
from awstwin.endpoint.glue.crawler.crawl_log import LOG_GROUP, CrawlLog
from awstwin.endpoint.glue.crawler.shared import (
    Doc,
    Run,
)
from awstwin.endpoint.glue.exceptions import (
    CrawlerNotRunningException,
    CrawlerRunningException,
    CrawlerStoppingException,
)
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler

log = logging.getLogger("awstwin.glue.crawler")


class CrawlRunApi:
    """Mixed into `CrawlerBackend`, which holds the state, the lock and the catalog."""

    _lock: threading.RLock
    _crawlers: dict[str, Doc]
    _history: dict[str, list[Doc]]
    _metrics: dict[str, Doc]
    _runs: dict[str, Run]
    tags: TagBackend
    catalog: CatalogBackend

    # -- running ---------------------------------------------------------------------------------
    @handler("StartCrawler")
    def start_crawler(self, Name: str) -> Doc:
        """Starts a real crawl on a background thread: classifies a bounded sample of each S3 file, groups
        folders into tables and partitions as Glue does, reads JDBC targets' tables through their
        connection, writes the catalog, logs to /aws-glue/crawlers."""
        with self._lock:
            crawler = self._crawler(Name)
            if crawler["State"] != "READY":
                raise CrawlerRunningException(f"Crawler with name {Name} has already started")
            run = Run(crawl_id=str(uuid.uuid4()), started=time.time())
            crawler.update(State="RUNNING", _StartTime=run.started, _CrawlId=run.crawl_id)
            self._history.setdefault(Name, []).append(
                {
                    "CrawlId": run.crawl_id,
                    "State": "RUNNING",
                    "StartTime": run.started,
                    "LogGroup": LOG_GROUP,
                    "LogStream": Name,
                    "MessagePrefix": run.crawl_id,
                }
            )
            snapshot = copy.deepcopy(crawler)
            self._runs[Name] = run
            self._save()
            run.thread = threading.Thread(
                target=self._crawl, args=(snapshot, run), name=f"glue-crawler-{Name}", daemon=True
            )
            run.thread.start()
        return {}

    @handler("StopCrawler")
    def stop_crawler(self, Name: str) -> Doc:
        """Stops a running crawl; it ends CANCELLED without writing the catalog."""
        with self._lock:
            crawler = self._crawler(Name)
            if crawler["State"] == "READY":
                raise CrawlerNotRunningException(f"Crawler with name {Name} isn't running")
            if crawler["State"] == "STOPPING":
                raise CrawlerStoppingException(f"Crawler with name {Name} is already stopping")
            crawler["State"] = "STOPPING"
            self._runs[Name].stop.set()
            self._save()
        return {}

    def _crawl(self, crawler: Doc, run: Run) -> None:
        name = crawler["Name"]
        crawl_log = CrawlLog(self.ctx.client, name, run.crawl_id)
        crawl_log(f"BENCHMARK : Running Start Crawl for Crawler {name}")
        custom_csv = self.csv_options(crawler.get("Classifiers"), crawl_log)
        crawl = Crawl(
            crawler, self.ctx.s3, self.catalog, crawl_log, run.stop.is_set, custom_csv, self._read_secret
        )
        status, error = "SUCCEEDED", None
        try:
            crawl.run()
        except CrawlCancelled:
            status = "CANCELLED"
        except CrawlFailed as exc:
            status, error = "FAILED", str(exc)
        except AwsError as exc:
            status, error = "FAILED", f"{exc.code}: {exc.message}"
        except Exception as exc:  # a bug of ours: say so on the crawl, keep the endpoint up
            log.exception("crawler %s failed", name)
            status, error = "FAILED", f"Internal error while crawling: {type(exc).__name__}: {exc}"
        with self._lock:
            current = self._crawlers.get(name)
            if current is not None and current["State"] == "RUNNING":
                current["State"] = "STOPPING"
        if error:
            crawl_log(f"ERROR : {error}")
        counts = crawl.counts
        crawl_log(
            f"INFO : Tables created: {counts.created}, updated: {counts.updated}, deleted: {counts.deleted}, "
            f"partitions added: {counts.partitions_added}"
        )
        crawl_log("BENCHMARK : Crawler has finished running and is in state READY")
        self._finish(name, run, status, error, counts)

    def _read_secret(self, secret_id: str) -> str:
        """A JDBC connection's SECRET_ID, from the Secrets Manager the endpoint serves (or is told of)."""
        return self.ctx.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]

    def _last_crawl(self, name: str, crawl_id: str, status: str, error: str | None, started: float) -> Doc:
        last = {
            "Status": status,
            "LogGroup": LOG_GROUP,
            "LogStream": name,
            "MessagePrefix": crawl_id,
            "StartTime": started,
        }
        if error:
            last["ErrorMessage"] = error
        return last

    def _finish(self, name: str, run: Run, status: str, error: str | None, counts: CrawlCounts) -> None:
        ended = time.time()
        with self._lock:
            self._runs.pop(name, None)
            crawler = self._crawlers.get(name)
            if crawler is None:
                return
            crawler.pop("_StartTime", None)
            crawler.pop("_CrawlId", None)
            crawler["State"] = "READY"
            crawler["LastCrawl"] = self._last_crawl(name, run.crawl_id, status, error, run.started)
            for entry in self._history.get(name, []):
                if entry["CrawlId"] == run.crawl_id:
                    entry.update(
                        State={"SUCCEEDED": "COMPLETED", "CANCELLED": "STOPPED"}.get(status, "FAILED"),
                        EndTime=ended,
                        Summary=summary(counts),
                        DPUHour=0.0,
                    )
                    if error:
                        entry["ErrorMessage"] = error
            metrics = self._metrics.setdefault(name, {"Runtimes": []})
            metrics["Runtimes"] = (metrics["Runtimes"] + [ended - run.started])[-100:]
            metrics.update(
                TablesCreated=counts.created, TablesUpdated=counts.updated, TablesDeleted=counts.deleted
            )
            self._save()

    # -- metrics and history ---------------------------------------------------------------------
    def _metrics_of(self, name: str) -> Doc:
        saved = self._metrics.get(name, {})
        runtimes = saved.get("Runtimes", [])
        run = self._runs.get(name)
        return {
            "CrawlerName": name,
            "TimeLeftSeconds": 0.0,
            "StillEstimating": run is not None,
            "LastRuntimeSeconds": round(runtimes[-1], 3) if runtimes else 0.0,
            "MedianRuntimeSeconds": round(statistics.median(runtimes), 3) if runtimes else 0.0,
            "TablesCreated": saved.get("TablesCreated", 0),
            "TablesUpdated": saved.get("TablesUpdated", 0),
            "TablesDeleted": saved.get("TablesDeleted", 0),
        }

    @handler("GetCrawlerMetrics", page_size=100)
    def get_crawler_metrics(
        self,
        CrawlerNameList: list[str] | None = None,
    ) -> Doc:
        """Returns each crawler's metrics from its real crawls: tables created, updated, deleted, runtimes."""
        with self._lock:
            names = (
                [n for n in CrawlerNameList if n in self._crawlers]
                if CrawlerNameList
                else sorted(self._crawlers)
            )
            items = [self._metrics_of(n) for n in names]
        return {"CrawlerMetricsList": items}

    @handler("ListCrawls", page_size=100)
    def list_crawls(
        self,
        CrawlerName: str,
        Filters: list[Doc] | None = None,
    ) -> Doc:
        """Lists a crawler's crawls, newest first, with state, summary and log stream; filtered, paged."""
        with self._lock:
            self._crawler(CrawlerName)
            crawls = [copy.deepcopy(c) for c in reversed(self._history.get(CrawlerName, []))]
        crawls = [c for c in crawls if all(_crawl_matches(c, f) for f in Filters or [])]
        return {"Crawls": crawls}


_FIELDS = {
    "CRAWL_ID": "CrawlId",
    "STATE": "State",
    "START_TIME": "StartTime",
    "END_TIME": "EndTime",
    "DPU_HOUR": "DPUHour",
}
_OPERATORS = {
    "EQ": lambda a, b: a == b,
    "NE": lambda a, b: a != b,
    "GT": lambda a, b: a > b,
    "GE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LE": lambda a, b: a <= b,
}


def _crawl_matches(crawl: Doc, crawl_filter: Doc) -> bool:
    key = _FIELDS.get(crawl_filter.get("FieldName", ""), "")
    operator = _OPERATORS.get(crawl_filter.get("FilterOperator", "EQ"), _OPERATORS["EQ"])
    actual, wanted = crawl.get(key), crawl_filter.get("FieldValue")
    if actual is None or wanted is None:
        return False
    if isinstance(actual, (int, float)):
        try:
            number = float(wanted)
        except ValueError:
            from datetime import datetime

            number = datetime.fromisoformat(wanted.replace("Z", "+00:00")).timestamp()
        return operator(actual, number)
    return operator(str(actual), wanted)
