"""Glue crawlers: the resources, their runs (crawls) and their state machine.

State: READY -> (StartCrawler) RUNNING -> STOPPING -> READY. RUNNING is the crawl itself
(`crawl.Crawl` on a background thread); STOPPING is the real wrap-up (final log lines, metrics,
history) or a StopCrawler being honoured; READY carries `LastCrawl` (SUCCEEDED, FAILED with the
error, or CANCELLED). Crawlers, metrics and crawl history persist in `<state_dir>/glue/crawlers.json`;
a crawl that was running when the endpoint died comes back READY with LastCrawl FAILED saying so.
"""

from __future__ import annotations

import copy
import logging
import threading
import time

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.crawler.crawls import CrawlRunApi
from awstwin.endpoint.glue.crawler.custom_classifiers import ClassifierApi
from awstwin.endpoint.glue.crawler.definitions import CrawlerDefinitionApi
from awstwin.endpoint.glue.crawler.scheduling import CrawlerScheduleApi
from awstwin.endpoint.glue.crawler.shared import RESTART_MESSAGE, Doc, Run, not_found
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.persistence import StateFile

log = logging.getLogger("awstwin.glue.crawler")


class CrawlerBackend(ClassifierApi, CrawlerDefinitionApi, CrawlerScheduleApi, CrawlRunApi):
    """State (crawlers, metrics, history in one file), recovery after a restart, lookups, shutdown."""

    def __init__(self, ctx: EndpointContext, catalog: CatalogBackend, tags: TagBackend):
        self.ctx = ctx
        self.catalog = catalog
        self.tags = tags
        self._lock = threading.RLock()
        self._file = StateFile.under(ctx.state_dir, "glue", "crawlers.json")
        saved = self._file.load() or {}
        self._crawlers: dict[str, Doc] = saved.get("crawlers", {})
        self._history: dict[str, list[Doc]] = saved.get("history", {})
        self._metrics: dict[str, Doc] = saved.get("metrics", {})
        self._classifiers: dict[str, Doc] = saved.get("classifiers", {})
        self._runs: dict[str, Run] = {}
        self._recover()
        self._scheduler_stop = threading.Event()
        self._scheduler = threading.Thread(
            target=self._schedule_loop, name="glue-crawler-scheduler", daemon=True
        )
        self._scheduler.start()

    # -- persistence ----------------------------------------------------------------------------
    def _save(self) -> None:
        with self._lock:
            self._file.save(
                {
                    "crawlers": self._crawlers,
                    "history": self._history,
                    "metrics": self._metrics,
                    "classifiers": self._classifiers,
                }
            )

    def _recover(self) -> None:
        """Crawls cannot survive the process: a crawler left RUNNING comes back READY, FAILED."""
        changed = False
        for name, crawler in self._crawlers.items():
            if crawler.get("State") in ("RUNNING", "STOPPING"):
                started = crawler.pop("_StartTime", time.time())
                crawler["State"] = "READY"
                crawler["LastCrawl"] = self._last_crawl(
                    name, crawler.get("_CrawlId", ""), "FAILED", RESTART_MESSAGE, started
                )
                for entry in self._history.get(name, []):
                    if entry["State"] == "RUNNING":
                        entry.update(State="FAILED", ErrorMessage=RESTART_MESSAGE, EndTime=time.time())
                changed = True
        if changed:
            self._save()

    # -- lookups ---------------------------------------------------------------------------------
    def _crawler(self, name: str) -> Doc:
        found = self._crawlers.get(name)
        if found is None:
            raise not_found(name)
        return found

    def _out(self, crawler: Doc) -> Doc:
        out = {k: copy.deepcopy(v) for k, v in crawler.items() if not k.startswith("_")}
        run = self._runs.get(crawler["Name"])
        out["CrawlElapsedTime"] = (
            int((time.time() - run.started) * 1000) if run and crawler["State"] == "RUNNING" else 0
        )
        return out

    def resource_exists(self, kind: str, names: list[str]) -> bool:
        with self._lock:
            return kind == "crawler" and len(names) == 1 and names[0] in self._crawlers

    def close(self) -> None:
        """Stop the scheduler and running crawls (they end CANCELLED), and wait for their threads."""
        self._scheduler_stop.set()
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.stop.set()
        for run in runs:
            if run.thread is not None:
                run.thread.join(timeout=30)
