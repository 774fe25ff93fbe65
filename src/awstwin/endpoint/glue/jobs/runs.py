"""Job runs: StartJobRun, GetJobRun(s), BatchStopJobRun, and a run's life from start to its end."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import Any

from awstwin.endpoint.glue.exceptions import (
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.glue.jobs import exchange, versions
from awstwin.endpoint.glue.jobs.bookmarks import BookmarkStore
from awstwin.endpoint.glue.jobs.execution import RunExecution
from awstwin.endpoint.glue.jobs.logs import LOG_GROUP_PREFIX
from awstwin.endpoint.glue.jobs.runner import JobProcess, JobRunner, RunSpec
from awstwin.endpoint.glue.jobs.shared import ACTIVE_STATES, WAITING, new_run_id, public
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler

Doc = dict[str, Any]


class JobRunApi:
    """Mixed into `JobBackend`, which holds the state, the lock and the job definitions."""

    _lock: threading.RLock
    _jobs: dict[str, Doc]
    _runs: dict[str, list[Doc]]
    tags: TagBackend
    runner: JobRunner
    bookmarks: BookmarkStore
    dataquality: Any
    _executions: dict[str, RunExecution]

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
        """Runs the job's script as a local process (PySpark for glueetl, Python without PySpark for
        pythonshell) as its GlueVersion runs it, with Glue's arguments; stdout and stderr go to
        /aws-glue/jobs/output and /error (and logs-v2 with continuous logging)."""
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
            versions.for_run(options.get("GlueVersion") or job.get("GlueVersion"), job["Command"]["Name"])
            run = self._new_run(job, Arguments, Timeout, options, previous)
            self.bookmarks.for_run(JobName, self._arguments(job, run))  # a bad bookmark option fails here
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
            glue_version=run.get("GlueVersion"),
            python_version=command.get("PythonVersion"),
            bookmark=self.bookmarks.for_run(job["Name"], self._arguments(job, run)),
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
            exchange.collect(
                self.runner.exchange_dir(self.runner.runs_dir / run_id), run, self.bookmarks, self.dataquality
            )
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
            return {"JobRun": public(self._run(JobName, RunId))}

    @handler("GetJobRuns", page_size=100)
    def get_job_runs(self, JobName: str) -> Doc:
        """Lists a job's runs, newest first, paged."""
        with self._lock:
            self._job(JobName)
            runs = [public(r) for r in reversed(self._runs.get(JobName, []))]
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
