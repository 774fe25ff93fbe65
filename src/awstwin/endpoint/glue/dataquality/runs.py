"""Ruleset evaluation runs: Start/Get/BatchGet/List/Cancel DataQualityRulesetEvaluationRun.

STARTING -> RUNNING (a thread evaluates each ruleset over the table) -> SUCCEEDED | FAILED (the table
or a data source cannot be read: ErrorString says why) | STOPPED (cancelled) | TIMEOUT (its Timeout,
in minutes, passed). A rule that fails does not fail the run: the run succeeds and its results say
which rules failed, as on AWS.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from awstwin.endpoint.glue.dataquality import evaluation, tables
from awstwin.endpoint.glue.exceptions import EntityNotFoundException, InvalidInputException
from awstwin.endpoint.operations import handler

Doc = dict[str, Any]
ACTIVE = ("STARTING", "RUNNING", "STOPPING")
DEFAULT_TIMEOUT_MINUTES = 2880
DEFAULT_WORKERS = 5
RUN_KEYS = (
    "RunId",
    "DataSource",
    "Role",
    "NumberOfWorkers",
    "Timeout",
    "AdditionalRunOptions",
    "Status",
    "ErrorString",
    "StartedOn",
    "LastModifiedOn",
    "CompletedOn",
    "ExecutionTime",
    "RulesetNames",
    "ResultIds",
    "AdditionalDataSources",
)


class EvaluationRunApi:
    """Mixed into `DataQualityBackend`: state, lock, the DuckDB connection factory and the results."""

    _lock: threading.RLock
    _rulesets: dict[str, Doc]
    _runs: dict[str, Doc]
    _results: dict[str, Doc]
    _tokens: dict[str, str]
    _interrupts: dict[str, Any]
    _closing: bool
    seconds_per_timeout_minute: float
    relations: tables.Relations | None

    def _save(self) -> None: ...

    def _run(self, run_id: str) -> Doc:
        run = self._runs.get(run_id)
        if run is None:
            raise EntityNotFoundException(f"Data Quality Ruleset Evaluation Run {run_id} not found")
        return run

    @handler("StartDataQualityRulesetEvaluationRun")
    def start_data_quality_ruleset_evaluation_run(
        self,
        DataSource: Doc,
        Role: str,
        RulesetNames: list[str],
        NumberOfWorkers: int | None = None,
        Timeout: int | None = None,
        ClientToken: str | None = None,
        AdditionalRunOptions: Doc | None = None,
        AdditionalDataSources: dict[str, Doc] | None = None,
    ) -> Doc:
        """Evaluates rulesets over a catalog table for real (with AdditionalDataSources for reference
        rules and pushDownPredicate to pick partitions); each ruleset gives a result."""
        if not (DataSource.get("GlueTable") or DataSource.get("DataQualityGlueTable")):
            raise InvalidInputException("DataSource must name a GlueTable (DatabaseName and TableName)")
        with self._lock:
            if self._closing:
                raise InvalidInputException("The local endpoint is shutting down; start the run again later")
            if ClientToken and ClientToken in self._tokens:
                return {"RunId": self._tokens[ClientToken]}
            missing = [n for n in RulesetNames if n not in self._rulesets]
            if missing:
                raise EntityNotFoundException(f"Data Quality Ruleset(s) not found: {', '.join(missing)}")
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
                "RulesetNames": list(RulesetNames),
                "ExecutionTime": 0,
            }
            if AdditionalRunOptions:
                run["AdditionalRunOptions"] = AdditionalRunOptions
            if AdditionalDataSources:
                run["AdditionalDataSources"] = AdditionalDataSources
            rulesets = {n: self._rulesets[n]["Ruleset"] for n in RulesetNames}
            self._runs[run["RunId"]] = run
            if ClientToken:
                self._tokens[ClientToken] = run["RunId"]
            self._save()
        threading.Thread(
            target=self._execute, args=(run["RunId"], rulesets), name=f"dq-{run['RunId'][:14]}", daemon=True
        ).start()
        return {"RunId": run["RunId"]}

    def _execute(self, run_id: str, rulesets: dict[str, str]) -> None:
        with self._lock:
            run = self._runs[run_id]
            if run["Status"] == "STARTING":
                run["Status"] = "RUNNING"
                run["LastModifiedOn"] = time.time()
                self._save()
        deadline = threading.Timer(
            run["Timeout"] * self.seconds_per_timeout_minute, self._interrupt, args=(run_id, "TIMEOUT")
        )
        deadline.daemon = True
        deadline.start()
        status, error, results = "SUCCEEDED", None, []
        try:
            for name, text in rulesets.items():
                if self._stopping(run_id):
                    break
                results.append(
                    evaluation.evaluate_ruleset(
                        self.relations,
                        run,
                        name,
                        text,
                        lambda c: self._attach(run_id, c),
                    )
                )
        except tables.TableReadError as exc:
            status, error = "FAILED", str(exc)
        except Exception as exc:  # a DuckDB error reading the files, or an interrupt
            status, error = "FAILED", one_line(exc)
        finally:
            deadline.cancel()
        self._finish(run_id, status, error, results)

    def _stopping(self, run_id: str) -> bool:
        with self._lock:
            return self._runs[run_id]["Status"] == "STOPPING" or self._closing

    def _attach(self, run_id: str, con: Any) -> None:
        with self._lock:
            if con is None:
                self._interrupts.pop(run_id, None)
            else:
                self._interrupts[run_id] = con

    def _interrupt(self, run_id: str, why: str) -> None:
        """Stop a run's evaluation: cancelled (STOPPING -> STOPPED) or out of time (TIMEOUT)."""
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run["Status"] not in ACTIVE:
                return
            run["Status"] = "STOPPING"
            run["_ending"] = why  # STOPPED or TIMEOUT, once the evaluation has let go
            run["LastModifiedOn"] = time.time()
            self._save()
        threading.Thread(target=self._keep_interrupting, args=(run_id, self._runs), daemon=True).start()

    def _keep_interrupting(self, run_id: str, records: dict[str, Doc]) -> None:
        """DuckDB's interrupt stops only the statement running at that moment: repeat it until the
        evaluation thread has given its connection back (every later statement of the run fails too)."""
        while True:
            with self._lock:
                con = self._interrupts.get(run_id)
                done = "CompletedOn" in records[run_id]  # the run has ended
            if done:
                return
            if con is not None:
                con.interrupt()
            time.sleep(0.1)

    def _finish(self, run_id: str, status: str, error: str | None, results: list[Doc]) -> None:
        with self._lock:
            run = self._runs[run_id]
            ending = run.pop("_ending", None)
            if ending == "STOPPED":
                status, error = "STOPPED", None
            elif ending == "TIMEOUT":
                status = "TIMEOUT"
                error = f"The run exceeded its Timeout of {run['Timeout']} minutes and was stopped"
            elif self._closing:
                status, error = "FAILED", "The local endpoint shut down while this run was RUNNING"
            if status in ("STOPPED", "TIMEOUT"):
                results = []  # a run cut short publishes nothing
            now = time.time()
            for result in results:
                self._results[result["ResultId"]] = result
            if results:  # botocore: ResultIds has at least one member when present
                run["ResultIds"] = [r["ResultId"] for r in results]
            run.update(
                Status=status,
                CompletedOn=now,
                LastModifiedOn=now,
                ExecutionTime=max(0, int(round(now - run["StartedOn"]))),
            )
            if error:
                run["ErrorString"] = error
            self._save()

    @handler("GetDataQualityRulesetEvaluationRun")
    def get_data_quality_ruleset_evaluation_run(self, RunId: str) -> Doc:
        """Returns an evaluation run: status, rulesets, ResultIds (one per ruleset), ErrorString."""
        with self._lock:
            run = self._run(RunId)
            return {k: run[k] for k in RUN_KEYS if k in run}

    @handler("BatchGetDataQualityRulesetEvaluationRun")
    def batch_get_data_quality_ruleset_evaluation_run(self, RunIds: list[str]) -> Doc:
        """Returns several evaluation runs; unknown ids are listed in RunsNotFound."""
        with self._lock:
            found = [
                {k: self._runs[i][k] for k in RUN_KEYS if k in self._runs[i]}
                for i in RunIds
                if i in self._runs
            ]
            missing = [i for i in RunIds if i not in self._runs]
        return {"Runs": found, **({"RunsNotFound": missing} if missing else {})}

    @handler("ListDataQualityRulesetEvaluationRuns", page_size=100)
    def list_data_quality_ruleset_evaluation_runs(self, Filter: Doc | None = None) -> Doc:
        """Lists evaluation runs newest first, filtered by data source, ruleset name or start time, paged."""
        criteria = Filter or {}
        with self._lock:
            runs = sorted(self._runs.values(), key=lambda r: r["StartedOn"], reverse=True)
            chosen = [r for r in runs if _run_matches(r, criteria)]
            return {
                "Runs": [
                    {k: r[k] for k in ("RunId", "Status", "StartedOn", "DataSource") if k in r}
                    for r in chosen
                ]
            }

    @handler("CancelDataQualityRulesetEvaluationRun")
    def cancel_data_quality_ruleset_evaluation_run(self, RunId: str) -> Doc:
        """Stops a run that is still going: its evaluation is interrupted and it ends STOPPED."""
        with self._lock:
            run = self._run(RunId)
            if run["Status"] not in ACTIVE:
                raise InvalidInputException(f"Run {RunId} is {run['Status']} and cannot be stopped")
        self._interrupt(RunId, "STOPPED")
        return {}


def same_source(mine: Doc, wanted: Doc) -> bool:
    """Does a run's or result's DataSource match a filter's (the GlueTable fields it gives)?"""
    want = wanted.get("GlueTable") or wanted.get("DataQualityGlueTable") or {}
    have = mine.get("GlueTable") or mine.get("DataQualityGlueTable") or {}
    return all(
        have.get(k) == v for k, v in want.items() if k in ("DatabaseName", "TableName", "CatalogId") and v
    )


def one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _stamp(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _run_matches(run: Doc, criteria: Doc) -> bool:
    if criteria.get("DataSource") and not same_source(run["DataSource"], criteria["DataSource"]):
        return False
    if criteria.get("RulesetName") and criteria["RulesetName"] not in run["RulesetNames"]:
        return False
    if criteria.get("StartedBefore") is not None and run["StartedOn"] >= _stamp(criteria["StartedBefore"]):
        return False
    return not (
        criteria.get("StartedAfter") is not None and run["StartedOn"] <= _stamp(criteria["StartedAfter"])
    )
