"""What crawler definitions, crawls and the scheduler share: constants, a running crawl, errors."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from awstwin.endpoint.glue.exceptions import EntityNotFoundException

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
class Run:
    """A crawl in progress: its id, start, stop flag and thread."""

    crawl_id: str
    started: float
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


def not_found(name: str) -> EntityNotFoundException:
    return EntityNotFoundException(f"Crawler entry with name {name} does not exist")
