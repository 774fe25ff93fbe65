"""Crawler log lines to CloudWatch Logs `/aws-glue/crawlers`, stream = crawler name, as on AWS.

Logging goes through `ctx.client("logs")` (the endpoint's moto logs, or the configured external
one). It never fails a crawl: the first error is logged as a warning and the rest of that crawl's
lines are kept only in the endpoint's own log.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

LOG_GROUP = "/aws-glue/crawlers"
log = logging.getLogger("awstwin.glue.crawler")


class CrawlLog:
    def __init__(self, client_factory: Any, crawler: str, crawl_id: str):
        self._factory = client_factory
        self.stream = crawler
        self.crawl_id = crawl_id
        self._client: Any = None
        self._broken = False
        self.lines: list[str] = []

    def __call__(self, message: str) -> None:
        line = f"[{self.crawl_id}] {message}"
        self.lines.append(line)
        log.info("crawler %s: %s", self.stream, line)
        if self._broken:
            return
        try:
            self._put(line)
        except Exception as exc:  # logging must never fail the crawl
            self._broken = True
            log.warning(
                "crawler %s: cannot write to CloudWatch Logs %s/%s (%s); the crawl goes on without it",
                self.stream,
                LOG_GROUP,
                self.stream,
                exc,
            )

    def _put(self, line: str) -> None:
        if self._client is None:
            self._client = self._factory("logs")
            self._ensure(self._client)
        self._client.put_log_events(
            logGroupName=LOG_GROUP,
            logStreamName=self.stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
        )

    def _ensure(self, client: Any) -> None:
        for call, kwargs in (
            (client.create_log_group, {"logGroupName": LOG_GROUP}),
            (client.create_log_stream, {"logGroupName": LOG_GROUP, "logStreamName": self.stream}),
        ):
            with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
                call(**kwargs)
