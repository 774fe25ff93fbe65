"""Athena query executions and workgroups (state and lifecycle)."""

from __future__ import annotations

from awstwin.endpoint.context import EndpointContext


class AthenaBackend:
    def __init__(self, ctx: EndpointContext):
        self.ctx = ctx
