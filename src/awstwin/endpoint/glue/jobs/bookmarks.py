"""Job bookmarks: what each job's runs have read, per `transformation_ctx`, kept across restarts.

https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html
- `--job-bookmark-option job-bookmark-enable`: a run reads only what earlier committed runs did not
  (S3: new and changed files, by modification time; JDBC: rows past the last bookmark key), and its
  `job.commit()` saves the new state;
- `job-bookmark-pause`: reads the same way, saves nothing; with `--job-bookmark-from <run id>` (and
  `--job-bookmark-to <run id>`) it reads what came after the `from` run's state (up to the `to` run's);
- `job-bookmark-disable` (Glue's default): reads everything, saves nothing.
The state travels to the run as `bookmark.json` in the run's exchange folder; the runtime's
`job.commit()` writes `bookmark-commit.json` there, and the run's end applies it (`apply_commit`).
GetJobBookmark / ResetJobBookmark answer from `<state>/glue/bookmarks.json`; deleting a job deletes
its bookmark, as on AWS. The `JobBookmark` string is this twin's own JSON (AWS's is opaque too):
`{"<transformation_ctx>": {"kind": "s3", "files": {"s3://b/k": <mtime ms>}} | {"kind": "jdbc",
"keys": [...], "order": "asc", "last": [...]}}`.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from awstwin.endpoint.glue.exceptions import EntityNotFoundException, InvalidInputException
from awstwin.endpoint.operations import handler
from awstwin.endpoint.persistence import StateFile

Doc = dict[str, Any]
OPTIONS = ("job-bookmark-enable", "job-bookmark-disable", "job-bookmark-pause")
DISABLE = "job-bookmark-disable"
ENABLE, PAUSE = "job-bookmark-enable", "job-bookmark-pause"
HISTORY = 100  # committed states kept per job, for ResetJobBookmark / --job-bookmark-from by run id
ENTRY_KEYS = ("JobName", "Version", "Run", "Attempt", "PreviousRunId", "RunId")


class BookmarkStore:
    """Every job's bookmark entry, its current state and the states its runs committed."""

    def __init__(self, state_dir: Any):
        self._lock = threading.Lock()
        self._file = StateFile.under(state_dir, "glue", "bookmarks.json")
        self._jobs: dict[str, Doc] = (self._file.load() or {}).get("jobs", {})

    def _save(self) -> None:
        self._file.save({"jobs": self._jobs})

    def for_run(self, job_name: str, arguments: dict[str, str]) -> Doc:
        """What a starting run reads against: the option, the state, and (pause) the `to` state."""
        option = arguments.get("--job-bookmark-option") or DISABLE
        if option not in OPTIONS:
            raise InvalidInputException(
                f"--job-bookmark-option {option!r} of job {job_name} is not one of {', '.join(OPTIONS)}"
            )
        with self._lock:
            job = self._jobs.get(job_name) or {}
            state = copy.deepcopy(job.get("state") or {})
            upper = None
            if option == PAUSE and arguments.get("--job-bookmark-from"):
                state = self._committed(job_name, arguments["--job-bookmark-from"], "--job-bookmark-from")
            if option == PAUSE and arguments.get("--job-bookmark-to"):
                upper = self._committed(job_name, arguments["--job-bookmark-to"], "--job-bookmark-to")
        return {"option": option, "state": state, "upper": upper}

    def _committed(self, job_name: str, run_id: str, what: str) -> Doc:
        for entry in (self._jobs.get(job_name) or {}).get("history", []):
            if entry["RunId"] == run_id:
                return copy.deepcopy(entry["state"])
        raise InvalidInputException(f"{what} {run_id}: job {job_name} has no bookmark committed by that run")

    def apply_commit(self, job_name: str, run: Doc, committed: Doc) -> None:
        """A run's `job.commit()` (enable only): its state becomes the job's next bookmark version."""
        with self._lock:
            job = self._jobs.setdefault(job_name, {"Version": 0, "Run": 0, "history": []})
            previous = job.get("RunId")
            job.update(
                JobName=job_name,
                Version=job.get("Version", 0) + 1,
                Run=job.get("Run", 0) + 1,
                Attempt=int(run.get("Attempt", 0)),
                RunId=run["Id"],
                state=committed,
            )
            if previous:
                job["PreviousRunId"] = previous
            job["history"] = (job.get("history") or [])[-(HISTORY - 1) :] + [
                {"RunId": run["Id"], "state": copy.deepcopy(committed)}
            ]
            self._save()

    def entry(self, job_name: str, run_id: str | None = None) -> Doc:
        with self._lock:
            job = self._jobs.get(job_name)
            if job is None:
                raise EntityNotFoundException(f"Continuation for job {job_name} not found")
            state = job.get("state") or {}
            if run_id:
                state = self._committed(job_name, run_id, "RunId")
            found = {k: job[k] for k in ENTRY_KEYS if k in job}
            found["JobName"] = job_name
            found["JobBookmark"] = json.dumps(state, sort_keys=True)
            return found

    def reset(self, job_name: str, run_id: str | None) -> Doc:
        """Back to nothing read (no RunId), or to the state run `run_id` committed (rewind)."""
        with self._lock:
            job = self._jobs.get(job_name)
            if job is None:
                raise EntityNotFoundException(f"Continuation for job {job_name} not found")
            job["state"] = self._committed(job_name, run_id, "RunId") if run_id else {}
            job["Version"] = job.get("Version", 0) + 1
            self._save()
        return self.entry(job_name)

    def forget(self, job_name: str) -> None:
        with self._lock:
            if self._jobs.pop(job_name, None) is not None:
                self._save()


class BookmarkApi:
    """GetJobBookmark / ResetJobBookmark, mixed into `JobBackend`."""

    bookmarks: BookmarkStore

    def _job(self, name: str) -> Doc: ...

    @handler("GetJobBookmark")
    def get_job_bookmark(self, JobName: str, RunId: str | None = None) -> Doc:
        """Returns a job's bookmark: what its committed runs read per transformation_ctx (S3 files and their
        modification times, JDBC bookmark keys), with Version, Run, Attempt and RunId."""
        self._job(JobName)
        return {"JobBookmarkEntry": self.bookmarks.entry(JobName, RunId)}

    @handler("ResetJobBookmark")
    def reset_job_bookmark(self, JobName: str, RunId: str | None = None) -> Doc:
        """Resets a job's bookmark so the next run reads everything, or (with RunId) rewinds it to the
        state that run committed."""
        self._job(JobName)
        return {"JobBookmarkEntry": self.bookmarks.reset(JobName, RunId)}
