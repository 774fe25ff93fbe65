"""The Glue Data Catalog: databases, tables, partitions and connections (state and behaviour)."""

from __future__ import annotations

from awstwin.endpoint.context import EndpointContext


class CatalogBackend:
    def __init__(self, ctx: EndpointContext):
        self.ctx = ctx
