"""Tags on Glue resources (crawlers, jobs, databases, ...), keyed by ARN."""

from __future__ import annotations

from awstwin.endpoint.context import EndpointContext


class TagBackend:
    def __init__(self, ctx: EndpointContext):
        self.ctx = ctx
