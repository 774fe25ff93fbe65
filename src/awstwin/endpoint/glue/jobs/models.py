"""Glue jobs and job runs: definitions, lifecycle and run history."""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.context import EndpointContext


class JobBackend:
    def __init__(self, ctx: EndpointContext, catalog: Any, tags: Any):
        self.ctx = ctx
        self.catalog = catalog
        self.tags = tags
