"""Glue crawlers: the resources, their runs (crawls) and their state machine."""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.context import EndpointContext


class CrawlerBackend:
    def __init__(self, ctx: EndpointContext, catalog: Any, tags: Any):
        self.ctx = ctx
        self.catalog = catalog
        self.tags = tags
