"""The Glue Data Catalog: databases, tables (with versions), partitions and connections.

One backend object answers every catalog operation, on the wire (through the JSON protocol) and
in-process: the Athena engine and the crawler hold it (`catalog`) and call it with the same
keyword API, e.g. `catalog.get_table(DatabaseName="db", Name="t")["Table"]`. Each group of
operations lives in its own module; the state and its persistence in `state.py`.
"""

from __future__ import annotations

import logging

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.connections import ConnectionApi
from awstwin.endpoint.glue.catalog.databases import DatabaseApi
from awstwin.endpoint.glue.catalog.partitions import PartitionApi
from awstwin.endpoint.glue.catalog.state import CatalogState
from awstwin.endpoint.glue.catalog.tables import TableApi
from awstwin.endpoint.glue.tags import TagBackend

log = logging.getLogger(__name__)


class CatalogBackend(DatabaseApi, TableApi, PartitionApi, ConnectionApi):
    """State in `<state_dir>/glue/catalog.json`; tags on catalog resources go to the TagBackend."""

    def __init__(self, ctx: EndpointContext, tags: TagBackend):
        self.ctx = ctx
        self.tags = tags
        self.state = CatalogState(ctx)

    def arn(self, kind: str, *names: str) -> str:
        """`arn:aws:glue:<region>:<account>:<kind>/<names...>` for a catalog resource."""
        return self.state.arn(kind, *names)

    def _tag(self, arn: str, tags: dict[str, str] | None) -> None:
        if tags:
            self.tags.tag(arn, tags)

    def _untag_all(self, arn: str) -> None:
        self.tags.forget(arn)

    def resource_exists(self, kind: str, names: list[str]) -> bool:
        """For GetTags: does the database/table/connection an ARN names exist?"""
        with self.state.lock:
            if kind == "database" and len(names) == 1:
                return names[0].lower() in self.state.databases
            if kind == "table" and len(names) == 2:
                return names[1].lower() in self.state.tables.get(names[0].lower(), {})
            if kind == "connection" and len(names) == 1:
                return names[0] in self.state.connections
        return False
