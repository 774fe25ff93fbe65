"""Crawler schedules: Update/Start/StopCrawlerSchedule, and the loop that starts crawls when a cron fires."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from awstwin.endpoint.glue.crawler.schedule import CronSchedule
from awstwin.endpoint.glue.crawler.shared import (
    Doc,
    Run,
)
from awstwin.endpoint.glue.exceptions import (
    CrawlerRunningException,
    EntityNotFoundException,
    NoScheduleException,
    SchedulerNotRunningException,
    SchedulerRunningException,
)
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler

log = logging.getLogger("awstwin.glue.crawler")


class CrawlerScheduleApi:
    """Mixed into `CrawlerBackend`, which holds the state, the lock and StartCrawler."""

    _lock: threading.RLock
    _crawlers: dict[str, Doc]
    _history: dict[str, list[Doc]]
    _metrics: dict[str, Doc]
    _runs: dict[str, Run]
    tags: TagBackend
    _scheduler_stop: threading.Event

    @handler("UpdateCrawlerSchedule")
    def update_crawler_schedule(self, CrawlerName: str, Schedule: str | None = None) -> Doc:
        """Sets or clears a crawler's cron schedule."""
        with self._lock:
            crawler = self._crawler(CrawlerName)
            schedule = self._schedule(Schedule, CrawlerName)
            if schedule:
                crawler["Schedule"] = schedule
            else:
                crawler.pop("Schedule", None)
            crawler["LastUpdated"] = time.time()
            self._save()
        return {}

    @handler("StartCrawlerSchedule")
    def start_crawler_schedule(self, CrawlerName: str) -> Doc:
        """Turns a crawler's cron schedule on: the endpoint starts crawls when it fires."""
        with self._lock:
            schedule = self._crawler(CrawlerName).get("Schedule")
            if not schedule:
                raise NoScheduleException(
                    f"Crawler {CrawlerName} has no schedule; set one with UpdateCrawlerSchedule"
                )
            if schedule["State"] == "SCHEDULED":
                raise SchedulerRunningException(f"The schedule of crawler {CrawlerName} is already running")
            schedule["State"] = "SCHEDULED"
            self._save()
        return {}

    @handler("StopCrawlerSchedule")
    def stop_crawler_schedule(self, CrawlerName: str) -> Doc:
        """Turns a crawler's cron schedule off."""
        with self._lock:
            schedule = self._crawler(CrawlerName).get("Schedule")
            if not schedule or schedule["State"] != "SCHEDULED":
                raise SchedulerNotRunningException(f"The schedule of crawler {CrawlerName} is not running")
            schedule["State"] = "NOT_SCHEDULED"
            self._save()
        return {}

    def run_due(self, moment: datetime) -> list[str]:
        """Start every READY crawler whose schedule fires in this UTC minute (a running one is skipped)."""
        with self._lock:
            due = [
                name
                for name, crawler in self._crawlers.items()
                if (crawler.get("Schedule") or {}).get("State") == "SCHEDULED"
                and crawler["State"] == "READY"
                and CronSchedule.parse(crawler["Schedule"]["ScheduleExpression"]).matches(moment)
            ]
        started = []
        for name in due:
            try:
                self.start_crawler(Name=name)
                started.append(name)
            except (CrawlerRunningException, EntityNotFoundException):
                continue
        return started

    def _schedule_loop(self) -> None:
        while not self._scheduler_stop.wait(60 - time.time() % 60 + 0.05):
            try:
                self.run_due(datetime.now(UTC))
            except Exception:  # a schedule must never take the endpoint down
                log.exception("crawler scheduler tick failed")
