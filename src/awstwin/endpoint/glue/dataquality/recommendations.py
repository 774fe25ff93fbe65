"""Rule recommendation runs: Start/Get/List/Cancel DataQualityRuleRecommendationRun.

A run profiles the catalog table (`awstwin.dataquality.recommend`) and returns the ruleset its rows
pass as RecommendedRuleset; with CreatedRulesetName it also stores that ruleset (with the run's id as
its RecommendationRunId). STARTING -> RUNNING -> SUCCEEDED | FAILED | STOPPED | TIMEOUT, as
evaluation runs.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from awstwin.dataquality.recommend import recommend
from awstwin.endpoint.glue.dataquality import tables
from awstwin.endpoint.glue.dataquality.rulesets import checked_ruleset
from awstwin.endpoint.glue.dataquality.runs import (
    ACTIVE,
    DEFAULT_TIMEOUT_MINUTES,
    DEFAULT_WORKERS,
    one_line,
    same_source,
)
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.operations import handler

Doc = dict[str, Any]
RUN_KEYS = (
    "RunId",
    "DataSource",
    "Role",
    "NumberOfWorkers",
    "Timeout",
    "Status",
    "ErrorString",
    "StartedOn",
    "LastModifiedOn",
    "CompletedOn",
    "ExecutionTime",
    "RecommendedRuleset",
    "CreatedRulesetName",
    "DataQualitySecurityConfiguration",
    "AdditionalRunOptions",
    "RecommendationMode",
)


class RecommendationRunApi:
    """Mixed into `DataQualityBackend`: state, lock, connections and the rulesets it may create."""

    _lock: threading.RLock
    _rulesets: dict[str, Doc]
    _recommendations: dict[str, Doc]
    _interrupts: dict[str, Any]
    _closing: bool
    seconds_per_timeout_minute: float
    relations: tables.Relations | None

    def _save(self) -> None: ...

    def _keep_interrupting(self, run_id: str, records: dict[str, Doc]) -> None: ...

    def _recommendation(self, run_id: str) -> Doc:
        run = self._recommendations.get(run_id)
        if run is None:
            raise EntityNotFoundException(f"Data Quality Rule Recommendation Run {run_id} not found")
        return run

    @handler("StartDataQualityRuleRecommendationRun")
    def start_data_quality_rule_recommendation_run(
        self,
        DataSource: Doc,
        Role: str,
        NumberOfWorkers: int | None = None,
        Timeout: int | None = None,
        CreatedRulesetName: str | None = None,
        DataQualitySecurityConfiguration: str | None = None,
        ClientToken: str | None = None,
        AdditionalRunOptions: Doc | None = None,
        RecommendationMode: str | None = None,
    ) -> Doc:
        """Profiles a catalog table and recommends the DQDL ruleset its rows pass (row count band,
        completeness, uniqueness, value sets, lengths, ranges); CreatedRulesetName stores it."""
        if not (DataSource.get("GlueTable") or DataSource.get("DataQualityGlueTable")):
            raise InvalidInputException("DataSource must name a GlueTable (DatabaseName and TableName)")
        with self._lock:
            if self._closing:
                raise InvalidInputException("The local endpoint is shutting down; start the run again later")
            if CreatedRulesetName and CreatedRulesetName in self._rulesets:
                raise AlreadyExistsException(
                    f"Data Quality Ruleset with name {CreatedRulesetName} already exists"
                )
            now = time.time()
            run: Doc = {
                "RunId": "dqrun-" + secrets.token_hex(20),
                "DataSource": DataSource,
                "Role": Role,
                "NumberOfWorkers": NumberOfWorkers or DEFAULT_WORKERS,
                "Timeout": Timeout or DEFAULT_TIMEOUT_MINUTES,
                "Status": "STARTING",
                "StartedOn": now,
                "LastModifiedOn": now,
                "ExecutionTime": 0,
                "RecommendationMode": RecommendationMode or "BASIC",
            }
            for key, value in (
                ("CreatedRulesetName", CreatedRulesetName),
                ("DataQualitySecurityConfiguration", DataQualitySecurityConfiguration),
                ("AdditionalRunOptions", AdditionalRunOptions),
            ):
                if value:
                    run[key] = value
            self._recommendations[run["RunId"]] = run
            self._save()
        threading.Thread(target=self._recommend, args=(run["RunId"],), daemon=True).start()
        return {"RunId": run["RunId"]}

    def _recommend(self, run_id: str) -> None:
        with self._lock:
            run = self._recommendations[run_id]
            run.update(Status="RUNNING", LastModifiedOn=time.time())
            self._save()
        status, error, ruleset = "SUCCEEDED", None, None
        try:
            ruleset = self._profile(run_id, run["DataSource"])
        except tables.TableReadError as exc:
            status, error = "FAILED", str(exc)
        except Exception as exc:  # a DuckDB error reading the files, or an interrupt
            status, error = "FAILED", one_line(exc)
        with self._lock:
            if run["Status"] == "STOPPING":
                status, error, ruleset = "STOPPED", None, None
            now = time.time()
            if ruleset is not None:
                run["RecommendedRuleset"] = ruleset
                name = run.get("CreatedRulesetName")
                if name and name not in self._rulesets:
                    self._rulesets[name] = {
                        "Name": name,
                        "Ruleset": ruleset,
                        "RecommendationRunId": run_id,
                        "RuleCount": checked_ruleset(ruleset, name),
                        "CreatedOn": now,
                        "LastModifiedOn": now,
                    }
            run.update(Status=status, CompletedOn=now, LastModifiedOn=now)
            run["ExecutionTime"] = max(0, int(round(now - run["StartedOn"])))
            if error:
                run["ErrorString"] = error
            self._save()

    def _profile(self, run_id: str, source: Doc) -> str:
        reading = tables.connect(self.relations)
        with self._lock:
            self._interrupts[run_id] = reading.con
        try:
            tables.register(reading, source, "primary")
            reading.lock()
            return recommend(reading.con)
        finally:
            with self._lock:
                self._interrupts.pop(run_id, None)
            reading.close()

    @handler("GetDataQualityRuleRecommendationRun")
    def get_data_quality_rule_recommendation_run(self, RunId: str) -> Doc:
        """Returns a recommendation run: status and, once SUCCEEDED, the RecommendedRuleset in DQDL."""
        with self._lock:
            run = self._recommendation(RunId)
            return {k: run[k] for k in RUN_KEYS if k in run}

    @handler("ListDataQualityRuleRecommendationRuns", page_size=100)
    def list_data_quality_rule_recommendation_runs(
        self, Filter: Doc | None = None, Tags: dict[str, str] | None = None
    ) -> Doc:
        """Lists recommendation runs newest first, filtered by data source or start time, paged."""
        criteria = Filter or {}
        keys = ("RunId", "Status", "StartedOn", "DataSource", "CreatedRulesetName", "RecommendationMode")
        with self._lock:
            runs = sorted(self._recommendations.values(), key=lambda r: r["StartedOn"], reverse=True)
            chosen = [
                r
                for r in runs
                if (not criteria.get("DataSource") or same_source(r["DataSource"], criteria["DataSource"]))
                and (
                    criteria.get("StartedBefore") is None
                    or r["StartedOn"] < _stamp(criteria["StartedBefore"])
                )
                and (
                    criteria.get("StartedAfter") is None or r["StartedOn"] > _stamp(criteria["StartedAfter"])
                )
            ]
            return {"Runs": [{k: r[k] for k in keys if k in r} for r in chosen]}

    @handler("CancelDataQualityRuleRecommendationRun")
    def cancel_data_quality_rule_recommendation_run(self, RunId: str) -> Doc:
        """Stops a recommendation run that is still going; it ends STOPPED."""
        with self._lock:
            run = self._recommendation(RunId)
            if run["Status"] not in ACTIVE:
                raise InvalidInputException(f"Run {RunId} is {run['Status']} and cannot be stopped")
            run.update(Status="STOPPING", LastModifiedOn=time.time())
            self._save()
        threading.Thread(
            target=self._keep_interrupting, args=(RunId, self._recommendations), daemon=True
        ).start()
        return {}


def _stamp(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)
