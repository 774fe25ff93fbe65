"""Results: Get/BatchGet/ListDataQualityResults, for evaluation runs and for jobs that publish them.

A job's EvaluateDataQuality publishes its result (unless `enableDataQualityResultsPublishing` is
false) with the job's name, run id and `dataQualityEvaluationContext`; the job runner hands those to
`publish_job_result` when the run ends.
"""

from __future__ import annotations

import threading
from typing import Any

from awstwin.endpoint.glue.dataquality.evaluation import new_result_id
from awstwin.endpoint.glue.dataquality.runs import same_source
from awstwin.endpoint.glue.exceptions import EntityNotFoundException
from awstwin.endpoint.operations import handler

Doc = dict[str, Any]
RESULT_KEYS = (
    "ResultId",
    "Score",
    "DataSource",
    "RulesetName",
    "EvaluationContext",
    "StartedOn",
    "CompletedOn",
    "JobName",
    "JobRunId",
    "RulesetEvaluationRunId",
    "RuleResults",
    "AnalyzerResults",
    "Observations",
    "AggregatedMetrics",
)


class ResultApi:
    """Mixed into `DataQualityBackend`, which holds the state and the lock."""

    _lock: threading.RLock
    _results: dict[str, Doc]

    def _save(self) -> None: ...

    @handler("GetDataQualityResult")
    def get_data_quality_result(self, ResultId: str) -> Doc:
        """Returns one result: each rule's PASS/FAIL/ERROR with EvaluatedMetrics and EvaluationMessage, the
        Score and the rows and rules that passed and failed."""
        with self._lock:
            result = self._results.get(ResultId)
            if result is None:
                raise EntityNotFoundException(f"Data Quality Result {ResultId} not found")
            return {k: result[k] for k in RESULT_KEYS if k in result}

    @handler("BatchGetDataQualityResult")
    def batch_get_data_quality_result(self, ResultIds: list[str]) -> Doc:
        """Returns several results; unknown ids are listed in ResultsNotFound."""
        with self._lock:
            found = [
                {k: self._results[i][k] for k in RESULT_KEYS if k in self._results[i]}
                for i in ResultIds
                if i in self._results
            ]
            missing = [i for i in ResultIds if i not in self._results]
        # botocore: ResultsNotFound has at least one member when present
        return {"Results": found, **({"ResultsNotFound": missing} if missing else {})}

    @handler("ListDataQualityResults", page_size=100)
    def list_data_quality_results(self, Filter: Doc | None = None) -> Doc:
        """Lists results newest first, filtered by data source, job name, job run id or start time, paged."""
        criteria = Filter or {}
        with self._lock:
            chosen = [r for r in self._results.values() if _result_matches(r, criteria)]
        chosen.sort(key=lambda r: r["StartedOn"], reverse=True)
        keys = ("ResultId", "DataSource", "JobName", "JobRunId", "StartedOn")
        return {"Results": [{k: r[k] for k in keys if k in r} for r in chosen]}

    def publish_job_result(self, job_name: str, job_run_id: str, published: Doc) -> str:
        """Keep a result a job's EvaluateDataQuality published (its RuleResults, Score, context, times)."""
        result = {k: v for k, v in published.items() if k in RESULT_KEYS}
        result.update(ResultId=new_result_id(), JobName=job_name, JobRunId=job_run_id)
        with self._lock:
            self._results[result["ResultId"]] = result
            self._save()
        return result["ResultId"]


def _stamp(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _result_matches(result: Doc, criteria: Doc) -> bool:
    if criteria.get("DataSource") and not same_source(result.get("DataSource") or {}, criteria["DataSource"]):
        return False
    for key in ("JobName", "JobRunId"):
        if criteria.get(key) and result.get(key) != criteria[key]:
            return False
    if criteria.get("StartedBefore") is not None and result["StartedOn"] >= _stamp(criteria["StartedBefore"]):
        return False
    return not (
        criteria.get("StartedAfter") is not None and result["StartedOn"] <= _stamp(criteria["StartedAfter"])
    )
