"""Crawler definitions: CreateCrawler, GetCrawler(s), BatchGetCrawlers, ListCrawlers, UpdateCrawler,
DeleteCrawler."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from typing import Any

from awstwin.endpoint.glue.crawler.schedule import CronSchedule
from awstwin.endpoint.glue.crawler.shared import (
    DEFAULT_SCHEMA_CHANGE,
    SETTABLE,
    TARGET_KINDS,
    Doc,
    Run,
)
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    CrawlerRunningException,
    InvalidInputException,
)
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler

log = logging.getLogger("awstwin.glue.crawler")


class CrawlerDefinitionApi:
    """Mixed into `CrawlerBackend`, which holds the state and the lock."""

    _lock: threading.RLock
    _crawlers: dict[str, Doc]
    _history: dict[str, list[Doc]]
    _metrics: dict[str, Doc]
    _runs: dict[str, Run]
    tags: TagBackend

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
        """Stores a crawler over S3 and JDBC targets (Exclusions, TablePrefix, SchemaChangePolicy,
        Configuration, schedule, tags)."""
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
