"""Airflow 3's public REST API (/api/v2), as `make run` uses it to run the DAG in a stack's Airflow.

Shared by the two stacks whose Airflow runs as a server: the compose stack (awstwin.stack.compose) and
the embedded stack `make up` starts without Docker (awstwin.stack.airflow_local). A token comes from
POST /auth/token (the simple auth manager), then every call is a Bearer call. `DagRunWatch` waits for
the DAG to be parsed, unpauses it, triggers it, reports each task as it starts and ends, and collects
every task's state and, for failed ones, their own error (a Glue job's ErrorMessage included), so the
run ends as the same `DagRunResult` an in-process `dag.test()` run gives.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from awstwin.orchestration.dagrun import DagRunResult, TaskResult

FINAL_RUN_STATES = ("success", "failed")
FINAL_TASK_STATES = ("success", "failed", "skipped", "upstream_failed", "removed")
HEALTH_PATH = "/api/v2/monitor/health"
DEFAULT_PASSWORD_HINT = "set AIRFLOW_ADMIN_PASSWORD to the password the stack was started with"

# Operator name -> a function of the task's rendered fields that returns the cause its exception does
# not carry (GlueJobSensor says only "FAILED"), or None.
Causes = Mapping[str, Callable[[Mapping[str, Any]], str | None]]


class AirflowRestError(RuntimeError):
    """Airflow's API refused or failed a call; the message says which and what to do."""


def _q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


class AirflowApi:
    """A small client of Airflow 3's public REST API: a JWT from POST /auth/token, then Bearer calls.
    `error` is the exception type raised (each stack raises its own); `password_hint` ends the message
    of a refused login."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        timeout: float = 30.0,
        error: type[Exception] = AirflowRestError,
        password_hint: str = DEFAULT_PASSWORD_HINT,
    ):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout
        self.error = error
        self.password_hint = password_hint
        self._token: str | None = None

    def _send(self, method: str, path: str, body: Any = None, auth: bool = True) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw) if raw else None
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def token(self) -> str:
        if self._token is None:
            status, body = self._send(
                "POST", "/auth/token", {"username": self.username, "password": self.password}, auth=False
            )
            if status not in (200, 201) or not isinstance(body, dict) or "access_token" not in body:
                raise self.error(
                    f"Airflow at {self.base_url} refused user {self.username!r} (HTTP {status}: {body}); "
                    + self.password_hint
                )
            self._token = str(body["access_token"])
        return self._token

    def call(self, method: str, path: str, body: Any = None, ok: Sequence[int] = (200, 201)) -> Any:
        """One authenticated call; a 401 gets a fresh token once; any status not in `ok` raises."""
        status, answer = self._send(method, path, body)
        if status == 401:
            self._token = None
            status, answer = self._send(method, path, body)
        if status not in ok:
            raise self.error(f"Airflow {method} {path}: HTTP {status}: {answer}")
        return answer

    def get(self, path: str, ok: Sequence[int] = (200,)) -> Any:
        return self.call("GET", path, ok=ok)

    def health(self) -> dict[str, Any] | None:
        """/api/v2/monitor/health's answer (no login needed), or None while nothing answers."""
        try:
            status, answer = self._send("GET", HEALTH_PATH, auth=False)
        except (urllib.error.URLError, OSError):
            return None
        return answer if status == 200 and isinstance(answer, dict) else None

    def healthy(self) -> bool:
        return self.health() is not None

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        status, answer = self._send("GET", f"/api/v2/dags/{_q(dag_id)}")
        if status == 401:
            self._token = None
            status, answer = self._send("GET", f"/api/v2/dags/{_q(dag_id)}")
        if status == 404:
            return None
        if status != 200:
            raise self.error(f"Airflow GET /api/v2/dags/{dag_id}: HTTP {status}: {answer}")
        return answer

    def import_errors(self) -> dict[str, str]:
        answer = self.get("/api/v2/importErrors?limit=100")
        return {e["filename"]: e.get("stack_trace", "") for e in answer.get("import_errors", [])}

    def run_path(self, dag_id: str, run_id: str) -> str:
        return f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}"

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.get(self.run_path(dag_id, run_id) + "/taskInstances?limit=1000")["task_instances"]

    def task_error(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str | None:
        """The exception a failed try logged ("Type: message"), read from its structured task log."""
        path = (
            f"{self.run_path(dag_id, run_id)}/taskInstances/{_q(task_id)}/logs/{try_number}?full_content=true"
        )
        status, answer = self._send("GET", path)
        if status != 200 or not isinstance(answer, dict):
            return None
        found = None
        for entry in answer.get("content") or []:
            for detail in (entry.get("error_detail") if isinstance(entry, dict) else None) or []:
                if not detail.get("is_cause"):
                    found = f"{detail.get('exc_type')}: {detail.get('exc_value')}"
        return found

    def rendered_fields(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        answer = self.get(f"{self.run_path(dag_id, run_id)}/taskInstances/{_q(task_id)}")
        return answer.get("rendered_fields") or {}

    def return_value(self, dag_id: str, run_id: str, task_id: str) -> Any:
        """What a task returned (its `return_value` XCom, deserialised), or None when it returned none."""
        path = f"{self.run_path(dag_id, run_id)}/taskInstances/{_q(task_id)}/xcomEntries/return_value"
        status, answer = self._send("GET", path + "?deserialize=true&stringify=false")
        if status != 200 or not isinstance(answer, dict):
            return None
        return answer.get("value")


def glue_causes(glue: Callable[[], Any]) -> dict[str, Callable[[Mapping[str, Any]], str | None]]:
    """Operator name -> the cause its exception does not carry, asked from the stack's Glue
    (`glue()` returns a boto3 Glue client for it)."""

    def job_run(fields: Mapping[str, Any]) -> str | None:
        job, run_id = fields.get("job_name"), fields.get("run_id")
        if not job or not run_id or not str(run_id).startswith("jr_"):
            return None
        run = glue().get_job_run(JobName=job, RunId=run_id)["JobRun"]
        message = run.get("ErrorMessage") or "no ErrorMessage"
        return f"Glue job {job} run {run_id} {run.get('JobRunState')}: {message}"

    def crawl(fields: Mapping[str, Any]) -> str | None:
        name = fields.get("crawler_name")
        if not name:
            return None
        last = glue().get_crawler(Name=name)["Crawler"].get("LastCrawl") or {}
        if last.get("Status") in (None, "SUCCEEDED"):
            return None
        return f"Glue crawler {name} crawl {last.get('Status')}: {last.get('ErrorMessage') or 'no message'}"

    return {"GlueJobSensor": job_run, "GlueJobOperator": job_run, "GlueCrawlerRunOperator": crawl}


class DagRunWatch:
    """One DAG run through the REST API: wait for the DAG to be parsed, unpause it, trigger it, report
    each task as it starts and ends, and collect every task's state and error at the end."""

    def __init__(self, api: AirflowApi, causes: Causes, echo: Callable[[str], None] = print):
        self.api = api
        self.causes = causes
        self.echo = echo

    def wait_for_dag(self, dag_id: str, timeout: float, poll_seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.api.healthy():
            if time.monotonic() > deadline:
                raise self.api.error(
                    f"Airflow at {self.api.base_url} does not answer: is the stack up (`make up`)?"
                )
            time.sleep(poll_seconds)
        while True:
            dag = self.api.dag(dag_id)
            if dag is not None:
                return dag
            errors = self.api.import_errors()
            if errors:
                text = "; ".join(
                    f"{name}: {trace.strip().splitlines()[-1] if trace.strip() else '?'}"
                    for name, trace in errors.items()
                )
                raise self.api.error(f"DAG {dag_id} is not loaded; Airflow's import errors: {text}")
            if time.monotonic() > deadline:
                raise self.api.error(
                    f"DAG {dag_id} did not appear in Airflow within {timeout:.0f} s (is it in dags/?)"
                )
            time.sleep(poll_seconds)

    def run(
        self,
        dag_id: str,
        conf: Mapping[str, Any],
        timeout: float,
        poll_seconds: float,
        returned_from: Sequence[str] = (),
    ) -> Any:
        """Trigger and follow one run; `returned_from`: tasks whose return values (XComs) the result
        carries in `returned` when they succeeded."""
        dag = self.wait_for_dag(dag_id, min(timeout, 300.0), poll_seconds)
        if dag.get("is_paused"):
            self.api.call("PATCH", f"/api/v2/dags/{_q(dag_id)}", {"is_paused": False})
        started = time.perf_counter()
        run = self.api.call(
            "POST", f"/api/v2/dags/{_q(dag_id)}/dagRuns", {"logical_date": None, "conf": dict(conf)}
        )
        run_id = run["dag_run_id"]
        self.echo(f"  [airflow] triggered {dag_id} run {run_id}")
        seen: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        state = run.get("state", "queued")
        other: dict[str, str] = {}
        while True:
            state = self.api.get(self.api.run_path(dag_id, run_id))["state"]
            self._report(self.api.task_instances(dag_id, run_id), seen, dag_id, run_id)
            if state in FINAL_RUN_STATES:
                break
            if time.monotonic() > deadline:
                other["<airflow>"] = f"DAG run {run_id} still {state} after {timeout:.0f} s"
                break
            time.sleep(poll_seconds)
        tasks = [self._task_result(t, dag_id, run_id) for t in self.api.task_instances(dag_id, run_id)]
        succeeded = {t.task_id for t in tasks if t.state == "success"}
        returned = {}
        for task_id in returned_from:
            value = self.api.return_value(dag_id, run_id, task_id) if task_id in succeeded else None
            if value is not None:
                returned[task_id] = value
        return DagRunResult(
            dag_id=dag_id,
            run_id=run_id,
            state=state,
            tasks=tasks,
            other_errors=other,
            seconds=time.perf_counter() - started,
            returned=returned,
        )

    def _report(
        self, instances: list[dict[str, Any]], seen: dict[str, str], dag_id: str, run_id: str
    ) -> None:
        for ti in instances:
            task, state = ti["task_id"], ti.get("state") or "none"
            if seen.get(task) == state:
                continue
            seen[task] = state
            if state == "running":
                self.echo(f"  [airflow] {task} running")
            elif state == "success":
                self.echo(f"  [airflow] {task} succeeded ({ti.get('duration') or 0:.1f} s)")
            elif state == "failed":
                self.echo(f"  [airflow] {task} FAILED ({ti.get('duration') or 0:.1f} s)")

    def _task_result(self, ti: dict[str, Any], dag_id: str, run_id: str) -> Any:
        state = ti.get("state") or "none"
        error = self._error(ti, dag_id, run_id) if state == "failed" else None
        return TaskResult(
            task_id=ti["task_id"],
            operator=ti.get("operator") or "",
            state=state,
            duration=ti.get("duration"),
            error=error,
        )

    def _error(self, ti: dict[str, Any], dag_id: str, run_id: str) -> str:
        task_id = ti["task_id"]
        cause = self.causes.get(ti.get("operator") or "")
        if cause is not None:
            try:
                found = cause(self.api.rendered_fields(dag_id, run_id, task_id))
            except Exception as exc:  # the task's own error below still says what failed
                found = None
                self.echo(f"  [airflow] could not ask for {task_id}'s cause: {type(exc).__name__}: {exc}")
            if found:
                return found
        logged = self.api.task_error(dag_id, run_id, task_id, int(ti.get("try_number") or 1))
        return logged or f"task {task_id} failed (see its log in the Airflow UI at {self.api.base_url})"
