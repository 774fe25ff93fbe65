"""Glue crawlers: the resources, their runs (crawls) and their state machine.

State: READY -> (StartCrawler) RUNNING -> STOPPING -> READY. RUNNING is the crawl itself
(`crawl.Crawl` on a background thread); STOPPING is the real wrap-up (final log lines, metrics,
history) or a StopCrawler being honoured; READY carries `LastCrawl` (SUCCEEDED, FAILED with the
error, or CANCELLED). Crawlers, metrics and crawl history persist in `<state_dir>/glue/crawlers.json`;
a crawl that was running when the endpoint died comes back READY with LastCrawl FAILED saying so.
"""

from __future__ import annotations

import copy
import json
import logging
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.crawler.catalog_writer import CrawlCounts, summary
from awstwin.endpoint.glue.crawler.crawl import Crawl, CrawlCancelled, CrawlFailed
from awstwin.endpoint.glue.crawler.crawl_log import LOG_GROUP, CrawlLog
from awstwin.endpoint.glue.crawler.custom_classifiers import ClassifierApi
from awstwin.endpoint.glue.crawler.schedule import CronSchedule
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    CrawlerNotRunningException,
    CrawlerRunningException,
    CrawlerStoppingException,
    EntityNotFoundException,
    InvalidInputException,
    NoScheduleException,
    SchedulerNotRunningException,
    SchedulerRunningException,
)
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler
from awstwin.endpoint.persistence import StateFile

log = logging.getLogger("awstwin.glue.crawler")
Doc = dict[str, Any]

TARGET_KINDS = (
    "S3Targets",
    "JdbcTargets",
    "MongoDBTargets",
    "DynamoDBTargets",
    "CatalogTargets",
    "DeltaTargets",
    "IcebergTargets",
    "HudiTargets",
)
DEFAULT_SCHEMA_CHANGE = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"}
# Fields of Create/UpdateCrawler that are stored as given.
SETTABLE = (
    "Role",
    "DatabaseName",
    "Description",
    "Classifiers",
    "TablePrefix",
    "SchemaChangePolicy",
    "RecrawlPolicy",
    "LineageConfiguration",
    "LakeFormationConfiguration",
    "Configuration",
    "CrawlerSecurityConfiguration",
)
RESTART_MESSAGE = "The endpoint stopped while this crawl was running; start the crawler again."


@dataclass
class _Run:
    crawl_id: str
    started: float
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


def _not_found(name: str) -> EntityNotFoundException:
    return EntityNotFoundException(f"Crawler entry with name {name} does not exist")


class CrawlerBackend(ClassifierApi):
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
        self._runs: dict[str, _Run] = {}
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
            raise _not_found(name)
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

    # -- validation ------------------------------------------------------------------------------
    @staticmethod
    def _targets(targets: Doc | None, name: str) -> Doc:
        targets = targets or {}
        if not any(targets.get(kind) for kind in TARGET_KINDS):
            raise InvalidInputException(
                f"Crawler {name} needs at least one target (e.g. Targets.S3Targets[].Path)"
            )
        for target in targets.get("S3Targets") or []:
            if not (target.get("Path") or "").strip():
                raise InvalidInputException(f"Crawler {name} has an S3 target without a Path")
        return {kind: copy.deepcopy(targets.get(kind) or []) for kind in TARGET_KINDS}

    @staticmethod
    def _schedule(expression: str | None, name: str) -> Doc | None:
        if not expression:
            return None
        CronSchedule.parse(expression)
        return {"ScheduleExpression": expression, "State": "SCHEDULED"}

    @staticmethod
    def _check_policies(crawler: Doc) -> None:
        configuration = crawler.get("Configuration")
        if configuration:
            try:
                json.loads(configuration)
            except json.JSONDecodeError as exc:
                raise InvalidInputException(
                    f"Configuration of crawler {crawler['Name']} is not JSON: {exc}"
                ) from None
        recrawl = (crawler.get("RecrawlPolicy") or {}).get("RecrawlBehavior")
        policy = crawler.get("SchemaChangePolicy") or {}
        if recrawl == "CRAWL_NEW_FOLDERS_ONLY" and (
            policy.get("UpdateBehavior") != "LOG" or policy.get("DeleteBehavior") != "LOG"
        ):
            raise InvalidInputException(
                f"Crawler {crawler['Name']}: RecrawlBehavior CRAWL_NEW_FOLDERS_ONLY needs SchemaChangePolicy "
                "UpdateBehavior LOG and DeleteBehavior LOG"
            )

    # -- CRUD ------------------------------------------------------------------------------------
    @handler("CreateCrawler", whole_request=True)
    def create_crawler(
        self,
        Name: str,
        Role: str,
        Targets: Doc,
        Schedule: str | None = None,
        Tags: dict[str, str] | None = None,
        **fields: Any,
    ) -> Doc:
        """Stores a crawler over S3 targets (Exclusions, TablePrefix, SchemaChangePolicy, schedule, tags)."""
        stamp = time.time()
        crawler: Doc = {
            "Name": Name,
            "Role": Role,
            "Targets": self._targets(Targets, Name),
            "Classifiers": [],
            "SchemaChangePolicy": dict(DEFAULT_SCHEMA_CHANGE),
            "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"},
            "LineageConfiguration": {"CrawlerLineageSettings": "DISABLE"},
            "LakeFormationConfiguration": {"UseLakeFormationCredentials": False, "AccountId": ""},
            "State": "READY",
            "CreationTime": stamp,
            "LastUpdated": stamp,
            "Version": 1,
        }
        crawler.update({k: copy.deepcopy(v) for k, v in fields.items() if k in SETTABLE and v is not None})
        crawler["SchemaChangePolicy"] = {**DEFAULT_SCHEMA_CHANGE, **crawler["SchemaChangePolicy"]}
        schedule = self._schedule(Schedule, Name)
        if schedule:
            crawler["Schedule"] = schedule
        self._check_policies(crawler)
        self.check_classifiers(crawler.get("Classifiers"))
        with self._lock:
            if Name in self._crawlers:
                raise AlreadyExistsException(f"Crawler with name {Name} has already been created")
            self._crawlers[Name] = crawler
            self._save()
        if Tags:
            self.tags.tag(self.tags.arn("crawler", Name), Tags)
        return {}

    @handler("GetCrawler")
    def get_crawler(self, Name: str) -> Doc:
        """Returns a crawler with its State (READY, RUNNING, STOPPING) and LastCrawl (status, error, log
        stream)."""
        with self._lock:
            return {"Crawler": self._out(self._crawler(Name))}

    @handler("GetCrawlers", page_size=100)
    def get_crawlers(self) -> Doc:
        """Lists crawler definitions, paged."""
        with self._lock:
            items = [self._out(self._crawlers[n]) for n in sorted(self._crawlers)]
        return {"Crawlers": items}

    @handler("BatchGetCrawlers")
    def batch_get_crawlers(self, CrawlerNames: list[str]) -> Doc:
        """Returns the named crawlers; unknown names are listed in CrawlersNotFound."""
        with self._lock:
            found = [self._out(self._crawlers[n]) for n in CrawlerNames if n in self._crawlers]
            missing = [n for n in CrawlerNames if n not in self._crawlers]
        return {"Crawlers": found, "CrawlersNotFound": missing}

    @handler("ListCrawlers", page_size=100)
    def list_crawlers(
        self,
        Tags: dict[str, str] | None = None,
    ) -> Doc:
        """Lists crawler names, optionally only those with given tags, paged."""
        with self._lock:
            names = sorted(self._crawlers)
        if Tags:
            names = [
                n for n in names if Tags.items() <= self.tags.tags_of(self.tags.arn("crawler", n)).items()
            ]
        return {"CrawlerNames": names}

    @handler("UpdateCrawler", whole_request=True)
    def update_crawler(
        self, Name: str, Targets: Doc | None = None, Schedule: str | None = None, **fields: Any
    ) -> Doc:
        """Changes a crawler that is not running (targets, prefix, policies, configuration, schedule)."""
        with self._lock:
            crawler = self._crawler(Name)
            if crawler["State"] != "READY":
                raise CrawlerRunningException(
                    f"Crawler with name {Name} is {crawler['State']}; update it when READY"
                )
            updated = copy.deepcopy(crawler)
            if Targets is not None:
                updated["Targets"] = self._targets(Targets, Name)
            updated.update(
                {k: copy.deepcopy(v) for k, v in fields.items() if k in SETTABLE and v is not None}
            )
            if "SchemaChangePolicy" in fields and fields["SchemaChangePolicy"] is not None:
                updated["SchemaChangePolicy"] = {**DEFAULT_SCHEMA_CHANGE, **fields["SchemaChangePolicy"]}
            if Schedule is not None:
                schedule = self._schedule(Schedule, Name)
                if schedule:
                    updated["Schedule"] = schedule
                else:
                    updated.pop("Schedule", None)
            self._check_policies(updated)
            self.check_classifiers(updated.get("Classifiers"))
            updated["Version"] = crawler.get("Version", 1) + 1
            updated["LastUpdated"] = time.time()
            self._crawlers[Name] = updated
            self._save()
        return {}

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

    @handler("DeleteCrawler")
    def delete_crawler(self, Name: str) -> Doc:
        """Deletes a crawler that is not running, with its crawl history and tags."""
        with self._lock:
            crawler = self._crawler(Name)
            if crawler["State"] != "READY":
                raise CrawlerRunningException(
                    f"Crawler with name {Name} is {crawler['State']}; stop it first"
                )
            del self._crawlers[Name]
            self._history.pop(Name, None)
            self._metrics.pop(Name, None)
            self._save()
        self.tags.forget(self.tags.arn("crawler", Name))
        return {}

    # -- running ---------------------------------------------------------------------------------
    @handler("StartCrawler")
    def start_crawler(self, Name: str) -> Doc:
        """Starts a real crawl on a background thread: lists the S3 targets, classifies a bounded sample of
        each file, writes tables and partitions, logs to /aws-glue/crawlers."""
        with self._lock:
            crawler = self._crawler(Name)
            if crawler["State"] != "READY":
                raise CrawlerRunningException(f"Crawler with name {Name} has already started")
            run = _Run(crawl_id=str(uuid.uuid4()), started=time.time())
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

    def _crawl(self, crawler: Doc, run: _Run) -> None:
        name = crawler["Name"]
        crawl_log = CrawlLog(self.ctx.client, name, run.crawl_id)
        crawl_log(f"BENCHMARK : Running Start Crawl for Crawler {name}")
        custom_csv = self.csv_options(crawler.get("Classifiers"), crawl_log)
        crawl = Crawl(crawler, self.ctx.s3, self.catalog, crawl_log, run.stop.is_set, custom_csv)
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

    def _finish(self, name: str, run: _Run, status: str, error: str | None, counts: CrawlCounts) -> None:
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
