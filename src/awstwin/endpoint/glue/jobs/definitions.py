"""Job definitions: CreateJob, UpdateJob, GetJob(s), ListJobs, BatchGetJobs, DeleteJob."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    InvalidInputException,
)
from awstwin.endpoint.glue.jobs.bookmarks import BookmarkStore
from awstwin.endpoint.glue.jobs.runner import JobRunner
from awstwin.endpoint.glue.jobs.shared import (
    COMMANDS,
    DEFAULT_MAX_CONCURRENT_RUNS,
    DEFAULT_TIMEOUT_MINUTES,
    DPU_PER_WORKER,
    JOB_FIELDS,
    public,
)
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler

Doc = dict[str, Any]


class JobDefinitionApi:
    """Mixed into `JobBackend`, which holds the state, the lock and the runs."""

    _lock: threading.RLock
    _jobs: dict[str, Doc]
    _runs: dict[str, list[Doc]]
    tags: TagBackend
    bookmarks: BookmarkStore
    runner: JobRunner

    # -- job definitions -------------------------------------------------------------------------
    def _prewarm(self, job: Doc) -> None:
        """Have a warm Spark driver ready for the job's runs (only with AWSTWIN_GLUE_PREWARM=1)."""
        arguments = {**(job.get("DefaultArguments") or {}), **(job.get("NonOverridableArguments") or {})}
        self.runner.prewarm(
            job["Name"], job["Command"].get("Name", "glueetl"), job.get("GlueVersion"), arguments
        )

    def _definition(self, name: str, fields: Doc, created: float) -> Doc:
        command = dict(fields.get("Command") or {})
        kind = command.get("Name") or "glueetl"
        if kind not in COMMANDS:
            raise InvalidInputException(
                f"Command.Name {kind!r} of job {name} is not one of {', '.join(COMMANDS)}"
            )
        command["Name"] = kind
        if fields.get("WorkerType") and fields.get("MaxCapacity") is not None:
            raise InvalidInputException(
                f"Job {name}: set WorkerType with NumberOfWorkers, or MaxCapacity, not both"
            )
        if fields.get("WorkerType") and not fields.get("NumberOfWorkers"):
            raise InvalidInputException(
                f"Job {name}: WorkerType {fields['WorkerType']} needs NumberOfWorkers"
            )
        job: Doc = {k: copy.deepcopy(fields[k]) for k in JOB_FIELDS if fields.get(k) is not None}
        job.update(
            {
                "Name": name,
                "Command": command,
                "JobMode": fields.get("JobMode") or "SCRIPT",
                "DefaultArguments": dict(fields.get("DefaultArguments") or {}),
                "MaxRetries": int(fields.get("MaxRetries") or 0),
                "Timeout": int(fields.get("Timeout") or DEFAULT_TIMEOUT_MINUTES),
                "ExecutionProperty": {
                    "MaxConcurrentRuns": int(
                        (fields.get("ExecutionProperty") or {}).get("MaxConcurrentRuns")
                        or DEFAULT_MAX_CONCURRENT_RUNS
                    )
                },
                "CreatedOn": created,
                "LastModifiedOn": time.time(),
            }
        )
        job.update(_capacity(job))
        return job

    @handler("CreateJob", whole_request=True)
    def create_job(self, Name: str, Tags: dict[str, str] | None = None, **fields: Any) -> Doc:
        """Stores a job definition (glueetl or pythonshell script, DefaultArguments, Timeout,
        MaxConcurrentRuns)."""
        with self._lock:
            if Name in self._jobs:
                raise AlreadyExistsException(f"Job {Name} already exists; UpdateJob changes it")
            job = self._definition(Name, fields, time.time())
            self.tags.tag(self._arn(Name), Tags)
            self._jobs[Name] = job
            self._runs.setdefault(Name, [])
            self._save()
        self._prewarm(job)
        return {"Name": Name}

    @handler("UpdateJob")
    def update_job(self, JobName: str, JobUpdate: Doc) -> Doc:
        """Replaces a job definition, as Glue does (fields not given go back to their defaults)."""
        with self._lock:
            current = self._job(JobName)
            self._jobs[JobName] = self._definition(JobName, JobUpdate, current["CreatedOn"])
            self._save()
        self._prewarm(self._jobs[JobName])
        return {"JobName": JobName}

    @handler("GetJob")
    def get_job(self, JobName: str) -> Doc:
        """Returns a job definition."""
        with self._lock:
            return {"Job": public(self._job(JobName))}

    @handler("GetJobs", page_size=100)
    def get_jobs(self) -> Doc:
        """Lists job definitions, paged."""
        with self._lock:
            jobs = [public(self._jobs[name]) for name in sorted(self._jobs)]
        return {"Jobs": jobs}

    @handler("ListJobs", page_size=100)
    def list_jobs(
        self,
        Tags: dict[str, str] | None = None,
    ) -> Doc:
        """Lists job names, optionally only those with given tags, paged."""
        with self._lock:
            names = sorted(self._jobs)
        if Tags:
            names = [n for n in names if _has_tags(self.tags.tags_of(self._arn(n)), Tags)]
        return {"JobNames": names}

    @handler("BatchGetJobs")
    def batch_get_jobs(self, JobNames: list[str]) -> Doc:
        """Returns the named job definitions; unknown names are listed in JobsNotFound."""
        with self._lock:
            found = [public(self._jobs[n]) for n in JobNames if n in self._jobs]
            missing = [n for n in JobNames if n not in self._jobs]
        return {"Jobs": found, "JobsNotFound": missing}

    @handler("DeleteJob")
    def delete_job(self, JobName: str) -> Doc:
        """Deletes a job definition and its run history, stopping runs still going; a missing job is fine, as
        on AWS."""
        with self._lock:
            if JobName not in self._jobs:
                return {"JobName": JobName}  # AWS: deleting a job that is not there succeeds
            for run in self._runs.get(JobName, []):
                execution = self._executions.get(run["Id"])
                if execution is not None:
                    execution.request_stop()
            del self._jobs[JobName]
            self._runs.pop(JobName, None)
            self._save()
        self.tags.forget(self._arn(JobName))
        self.bookmarks.forget(JobName)  # AWS: deleting a job deletes its bookmark
        return {"JobName": JobName}


def _capacity(job: Doc) -> Doc:
    """MaxCapacity as Glue reports it: from the workers, or its per-command default."""
    if job.get("WorkerType") and job.get("NumberOfWorkers"):
        return {"MaxCapacity": DPU_PER_WORKER.get(job["WorkerType"], 1.0) * int(job["NumberOfWorkers"])}
    if job.get("MaxCapacity") is not None:
        return {}
    if job["Command"]["Name"] == "pythonshell":
        return {"MaxCapacity": 0.0625}
    return {"MaxCapacity": 10.0, "AllocatedCapacity": 10}


def _has_tags(tags: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(key in tags and (value == "" or tags[key] == value) for key, value in wanted.items())
