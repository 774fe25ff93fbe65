"""Glue jobs and job runs: definitions, lifecycle and run history, persisted across restarts.

The Jobs API (CreateJob ... BatchStopJobRun) as AWS Glue answers it; every run really runs its
script (`execution.py` drives a run, `runner.py` starts the process). Jobs and run history live in
`<state>/glue/jobs.json`; a run that was still going when the endpoint died comes back FAILED, with a
message that says so.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import secrets
import threading
import time
from typing import Any

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.glue.jobs.execution import RunExecution
from awstwin.endpoint.glue.jobs.logs import LOG_GROUP_PREFIX
from awstwin.endpoint.glue.jobs.runner import JobProcess, JobRunner, RunSpec
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler
from awstwin.endpoint.persistence import StateFile

log = logging.getLogger(__name__)

Doc = dict[str, Any]

COMMANDS = ("glueetl", "pythonshell", "gluestreaming", "glueray")
ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING")
WAITING = "WAITING"
DEFAULT_TIMEOUT_MINUTES = 2880
DEFAULT_MAX_CONCURRENT_RUNS = 1
DPU_PER_WORKER = {
    "Standard": 1.0,
    "G.025X": 0.25,
    "G.1X": 1.0,
    "G.2X": 2.0,
    "G.4X": 4.0,
    "G.8X": 8.0,
    "Z.2X": 2.0,
}
# Job fields a CreateJob / UpdateJob may set (JobUpdate lacks Name and Tags).
JOB_FIELDS = (
    "JobMode",
    "JobRunQueuingEnabled",
    "Description",
    "LogUri",
    "Role",
    "ExecutionProperty",
    "Command",
    "DefaultArguments",
    "NonOverridableArguments",
    "Connections",
    "MaxRetries",
    "AllocatedCapacity",
    "Timeout",
    "MaxCapacity",
    "WorkerType",
    "NumberOfWorkers",
    "SecurityConfiguration",
    "NotificationProperty",
    "GlueVersion",
    "ExecutionClass",
    "SourceControlDetails",
    "MaintenanceWindow",
)
ENDPOINT_DIED = (
    "The local endpoint stopped while this run was {state}; its processes were ended. Start the job again."
)
ENDPOINT_CLOSING = "The local endpoint shut down while this run was RUNNING; its processes were ended."


def new_run_id() -> str:
    return "jr_" + secrets.token_hex(32)


def _public(doc: Doc) -> Doc:
    """The AWS-shaped part of a stored record (private bookkeeping keys start with '_')."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_")}


class JobBackend:
    def __init__(self, ctx: EndpointContext, catalog: CatalogBackend, tags: TagBackend):
        self.ctx = ctx
        self.catalog = catalog
        self.tags = tags
        self._lock = threading.RLock()
        self._file = StateFile.under(ctx.state_dir, "glue", "jobs.json")
        state = self._file.load() or {}
        self._jobs: dict[str, Doc] = state.get("jobs", {})
        self._runs: dict[str, list[Doc]] = state.get("runs", {})  # job name -> runs, oldest first
        self._executions: dict[str, RunExecution] = {}
        self._closing = False
        # Seconds in one minute of a run's Timeout: 60, unless a test wants TIMEOUT sooner.
        self.seconds_per_timeout_minute = float(os.environ.get("AWSTWIN_GLUE_TIMEOUT_MINUTE_SECONDS", "60"))
        self._logs_client: Any = None
        self.runner = JobRunner(ctx, ctx.state_dir / "glue" / "job-runs", self._logs)
        self._recover()

    def _logs(self) -> Any:
        """One CloudWatch Logs client for every run (boto3 clients are thread-safe; creating them is not)."""
        with self._lock:
            if self._logs_client is None:
                self._logs_client = self.ctx.client("logs")
            return self._logs_client

    # -- state -----------------------------------------------------------------------------------
    def _save(self) -> None:
        with self._lock:
            self._file.save({"jobs": self._jobs, "runs": self._runs})

    def _job(self, name: str) -> Doc:
        job = self._jobs.get(name)
        if job is None:
            raise EntityNotFoundException(f"Job {name} not found; create it with CreateJob first")
        return job

    def _run(self, job_name: str, run_id: str) -> Doc:
        self._job(job_name)
        for run in self._runs.get(job_name, []):
            if run["Id"] == run_id:
                return run
        raise EntityNotFoundException(f"Job run {run_id} of job {job_name} not found")

    def _find_run(self, run_id: str) -> Doc | None:
        for runs in self._runs.values():
            for run in runs:
                if run["Id"] == run_id:
                    return run
        return None

    def resource_exists(self, kind: str, names: list[str]) -> bool:
        with self._lock:
            return kind == "job" and len(names) == 1 and names[0] in self._jobs

    def _arn(self, name: str) -> str:
        return self.tags.arn("job", name)

    def _recover(self) -> None:
        """Runs that were going when the endpoint died: end leftover processes, report FAILED."""
        changed = False
        for runs in self._runs.values():
            for run in runs:
                state = run.get("JobRunState")
                if state in ACTIVE_STATES or state == WAITING:
                    _end_orphan(run)
                    self._complete(run, "FAILED", ENDPOINT_DIED.format(state=state))
                    changed = True
        if changed:
            self._save()

    # -- job definitions -------------------------------------------------------------------------
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
        return {"Name": Name}

    @handler("UpdateJob")
    def update_job(self, JobName: str, JobUpdate: Doc) -> Doc:
        """Replaces a job definition, as Glue does (fields not given go back to their defaults)."""
        with self._lock:
            current = self._job(JobName)
            self._jobs[JobName] = self._definition(JobName, JobUpdate, current["CreatedOn"])
            self._save()
        return {"JobName": JobName}

    @handler("GetJob")
    def get_job(self, JobName: str) -> Doc:
        """Returns a job definition."""
        with self._lock:
            return {"Job": _public(self._job(JobName))}

    @handler("GetJobs", page_size=100)
    def get_jobs(self) -> Doc:
        """Lists job definitions, paged."""
        with self._lock:
            jobs = [_public(self._jobs[name]) for name in sorted(self._jobs)]
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
            found = [_public(self._jobs[n]) for n in JobNames if n in self._jobs]
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
        return {"JobName": JobName}

    # -- runs ------------------------------------------------------------------------------------
    @handler("StartJobRun", whole_request=True)
    def start_job_run(
        self,
        JobName: str,
        JobRunId: str | None = None,
        Arguments: dict[str, str] | None = None,
        Timeout: int | None = None,
        JobRunQueuingEnabled: bool | None = None,
        **options: Any,
    ) -> Doc:
        """Runs the job's script as a local process (PySpark for glueetl, plain Python for pythonshell) with
        Glue's arguments; stdout and stderr go to /aws-glue/jobs/output and /error."""
        with self._lock:
            if self._closing:
                raise InvalidInputException("The local endpoint is shutting down; start the run again later")
            job = self._job(JobName)
            previous = self._run(JobName, JobRunId) if JobRunId else None
            if previous is not None and Arguments is None:
                Arguments = previous.get("Arguments")
            active = sum(1 for r in self._runs.get(JobName, []) if r["JobRunState"] in ACTIVE_STATES)
            limit = job["ExecutionProperty"]["MaxConcurrentRuns"]
            queue = (
                JobRunQueuingEnabled if JobRunQueuingEnabled is not None else job.get("JobRunQueuingEnabled")
            )
            if active >= limit and not queue:
                raise ConcurrentRunsExceededException(
                    f"Concurrent runs exceeded for {JobName}: {active} run(s) going, MaxConcurrentRuns is "
                    f"{limit}. Wait for one to finish, stop it (BatchStopJobRun) or raise "
                    "ExecutionProperty.MaxConcurrentRuns"
                )
            run = self._new_run(job, Arguments, Timeout, options, previous)
            if active >= limit:
                run["JobRunState"] = WAITING
            self._runs.setdefault(JobName, []).append(run)
            self._save()
            if run["JobRunState"] != WAITING:
                self._launch(job, run)
        return {"JobRunId": run["Id"]}

    def _new_run(
        self,
        job: Doc,
        arguments: dict[str, str] | None,
        timeout: int | None,
        options: Doc,
        previous: Doc | None,
    ) -> Doc:
        now = time.time()
        run: Doc = {
            "Id": new_run_id(),
            "Attempt": previous["Attempt"] + 1 if previous else 0,
            "JobName": job["Name"],
            "JobMode": job.get("JobMode", "SCRIPT"),
            "StartedOn": now,
            "LastModifiedOn": now,
            "JobRunState": "STARTING",
            "Arguments": dict(arguments or {}),
            "PredecessorRuns": [],
            "ExecutionTime": 0,
            "Timeout": int(timeout or job["Timeout"]),
            "LogGroupName": LOG_GROUP_PREFIX,
        }
        if previous is not None:
            run["PreviousRunId"] = previous["Id"]
        for key in ("GlueVersion", "WorkerType", "NumberOfWorkers", "MaxCapacity", "AllocatedCapacity"):
            value = options.get(key, job.get(key))
            if value is not None:
                run[key] = value
        for key in ("SecurityConfiguration", "NotificationProperty", "ExecutionClass"):
            value = options.get(key, job.get(key))
            if value is not None:
                run[key] = value
        return run

    def _arguments(self, job: Doc, run: Doc) -> dict[str, str]:
        """What the script gets: Glue's own arguments, DefaultArguments, the run's, NonOverridable."""
        job_id = "j_" + hashlib.sha256(f"{job['Name']}{job['CreatedOn']}".encode()).hexdigest()
        merged = {
            "--JOB_ID": job_id,
            "--JOB_RUN_ID": run["Id"],
            "--job-bookmark-option": "job-bookmark-disable",
            "--JOB_NAME": job["Name"],
        }
        merged.update(job.get("DefaultArguments") or {})
        merged.update(run.get("Arguments") or {})
        merged.update(job.get("NonOverridableArguments") or {})
        merged["--JOB_RUN_ID"] = run["Id"]
        merged["--JOB_NAME"] = job["Name"]
        return merged

    def _launch(self, job: Doc, run: Doc) -> None:
        command = job["Command"]
        spec = RunSpec(
            job_name=job["Name"],
            run_id=run["Id"],
            command=command.get("Name", "glueetl"),
            script_location=command.get("ScriptLocation", ""),
            arguments=self._arguments(job, run),
        )
        execution = RunExecution(self, self.runner, spec, run["Timeout"], self.seconds_per_timeout_minute)
        self._executions[run["Id"]] = execution
        execution.start()

    # RunReporter: called from the run's thread.
    def run_started(self, run_id: str, process: JobProcess) -> None:
        with self._lock:
            run = self._find_run(run_id)
            if run is None:
                return
            run["_pid"] = process.pid
            run["_process_started"] = process.started
            if run["JobRunState"] == "STARTING":
                run["JobRunState"] = "RUNNING"
            run["LastModifiedOn"] = time.time()
            self._save()

    def run_ended(self, run_id: str, state: str, error: str | None) -> None:
        with self._lock:
            self._executions.pop(run_id, None)
            run = self._find_run(run_id)
            if run is None:  # the job was deleted meanwhile
                return
            self._complete(run, state, error)
            self._save()
            if not self._closing:
                self._after_run(run)

    def _complete(self, run: Doc, state: str, error: str | None) -> None:
        now = time.time()
        run["JobRunState"] = state
        if error:
            run["ErrorMessage"] = error
        run["CompletedOn"] = now
        run["LastModifiedOn"] = now
        run["ExecutionTime"] = max(0, int(round(now - run["StartedOn"])))
        for key in ("_pid", "_process_started"):
            run.pop(key, None)

    def _after_run(self, ended: Doc) -> None:
        """Retry a failed run (MaxRetries), then start runs that wait for a free slot."""
        job = self._jobs.get(ended["JobName"])
        if job is None:
            return
        if ended["JobRunState"] == "FAILED" and ended["Attempt"] < job.get("MaxRetries", 0):
            retry = self._new_run(job, ended.get("Arguments"), ended.get("Timeout"), {}, ended)
            self._runs[job["Name"]].append(retry)
            self._save()
            self._launch(job, retry)
        runs = self._runs.get(job["Name"], [])
        active = sum(1 for r in runs if r["JobRunState"] in ACTIVE_STATES)
        for run in runs:
            if active >= job["ExecutionProperty"]["MaxConcurrentRuns"]:
                break
            if run["JobRunState"] == WAITING:
                run["JobRunState"] = "STARTING"
                run["LastModifiedOn"] = time.time()
                active += 1
                self._save()
                self._launch(job, run)

    @handler("GetJobRun")
    def get_job_run(self, JobName: str, RunId: str, PredecessorsIncluded: bool | None = None) -> Doc:
        """Returns a job run: state, arguments, StartedOn, CompletedOn, ExecutionTime, the script's error."""
        with self._lock:
            return {"JobRun": _public(self._run(JobName, RunId))}

    @handler("GetJobRuns", page_size=100)
    def get_job_runs(self, JobName: str) -> Doc:
        """Lists a job's runs, newest first, paged."""
        with self._lock:
            self._job(JobName)
            runs = [_public(r) for r in reversed(self._runs.get(JobName, []))]
        return {"JobRuns": runs}

    @handler("BatchStopJobRun")
    def batch_stop_job_run(self, JobName: str, JobRunIds: list[str]) -> Doc:
        """Stops job runs: a running script's whole process group is killed and the run ends STOPPED."""
        stopped: list[Doc] = []
        errors: list[Doc] = []
        with self._lock:
            self._job(JobName)
            for run_id in JobRunIds:
                try:
                    run = self._run(JobName, run_id)
                except EntityNotFoundException as exc:
                    errors.append(_stop_error(JobName, run_id, exc.code, exc.message))
                    continue
                state = run["JobRunState"]
                if state == WAITING:
                    self._complete(run, "STOPPED", None)
                elif state in ("STARTING", "RUNNING"):
                    run["JobRunState"] = "STOPPING"
                    run["LastModifiedOn"] = time.time()
                    execution = self._executions.get(run_id)
                    if execution is not None:
                        execution.request_stop()
                elif state != "STOPPING":
                    errors.append(
                        _stop_error(
                            JobName,
                            run_id,
                            "InvalidInputException",
                            f"Job run {run_id} is {state} and cannot be stopped",
                        )
                    )
                    continue
                stopped.append({"JobName": JobName, "JobRunId": run_id})
            self._save()
        return {"SuccessfulSubmissions": stopped, "Errors": errors}

    # -- shutdown --------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop every running job process; their runs end FAILED saying the endpoint shut down."""
        with self._lock:
            self._closing = True
            executions = list(self._executions.values())
            for run in (r for runs in self._runs.values() for r in runs):
                if run["JobRunState"] == WAITING:
                    self._complete(run, "FAILED", ENDPOINT_CLOSING.replace("RUNNING", "WAITING"))
        for execution in executions:
            execution.abort(ENDPOINT_CLOSING)
        for execution in executions:
            execution.join(timeout=30)
        self._save()


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


def _stop_error(job_name: str, run_id: str, code: str, message: str) -> Doc:
    return {
        "JobName": job_name,
        "JobRunId": run_id,
        "ErrorDetail": {"ErrorCode": code, "ErrorMessage": message},
    }


def _end_orphan(run: Doc) -> None:
    """Kill the process group of a run the previous endpoint left behind, if it is still that run's."""
    pid, started = run.get("_pid"), run.get("_process_started")
    if not pid or not started:
        return
    try:
        import psutil

        process = psutil.Process(pid)
        if abs(process.create_time() - started) > 5:
            return  # the pid now belongs to someone else
        import signal

        os.killpg(pid, signal.SIGKILL)
    except Exception:
        return
