"""The Data Quality backend: rulesets, evaluation and recommendation runs, results, kept across restarts.

State lives in `<state>/glue/data-quality.json`. A run that was going when the endpoint died comes
back FAILED saying so; on shutdown, running evaluations are interrupted and end FAILED.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.dataquality.recommendations import RecommendationRunApi
from awstwin.endpoint.glue.dataquality.results import ResultApi
from awstwin.endpoint.glue.dataquality.rulesets import RulesetApi
from awstwin.endpoint.glue.dataquality.runs import ACTIVE, EvaluationRunApi
from awstwin.endpoint.glue.dataquality.tables import Relations
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.persistence import StateFile

Doc = dict[str, Any]
ENDPOINT_DIED = "The local endpoint stopped while this run was {state}; start the run again."


class DataQualityBackend(RulesetApi, EvaluationRunApi, RecommendationRunApi, ResultApi):
    def __init__(self, ctx: EndpointContext, catalog: CatalogBackend, tags: TagBackend):
        self.ctx = ctx
        self.catalog = catalog
        self.tags = tags
        self._lock = threading.RLock()
        self._file = StateFile.under(ctx.state_dir, "glue", "data-quality.json")
        state = self._file.load() or {}
        self._rulesets: dict[str, Doc] = state.get("rulesets", {})
        self._runs: dict[str, Doc] = state.get("runs", {})
        self._results: dict[str, Doc] = state.get("results", {})
        self._tokens: dict[str, str] = state.get("tokens", {})
        self._recommendations: dict[str, Doc] = state.get("recommendations", {})
        self._interrupts: dict[str, Any] = {}
        self._closing = False
        # Catalog tables as DuckDB views: Athena's TableRelations, handed in by the endpoint (server.py).
        self.relations: Relations | None = None
        # Seconds in one minute of a run's Timeout: 60, unless a test wants TIMEOUT sooner (as for jobs).
        self.seconds_per_timeout_minute = float(os.environ.get("AWSTWIN_GLUE_TIMEOUT_MINUTE_SECONDS", "60"))
        self._recover()

    def _save(self) -> None:
        with self._lock:
            self._file.save(
                {
                    "rulesets": self._rulesets,
                    "runs": self._runs,
                    "results": self._results,
                    "tokens": self._tokens,
                }
            )

    def _recover(self) -> None:
        changed = False
        for run in [*self._runs.values(), *self._recommendations.values()]:
            if run.get("Status") in ACTIVE:
                run["ErrorString"] = ENDPOINT_DIED.format(state=run["Status"])
                run["Status"] = "FAILED"
                changed = True
        if changed:
            self._save()

    def close(self) -> None:
        """Interrupt running evaluations; their runs end FAILED saying the endpoint shut down."""
        with self._lock:
            self._closing = True
            connections = list(self._interrupts.values())
        for con in connections:
            con.interrupt()
