"""`python -m awstwin.orchestration.dag_test`: run one DAG with `dag.test()` and write what happened.

Runs in its own process (Airflow reads AIRFLOW_HOME and the connections from this process's
environment). With `--wait`, it first loads the DAG and warms Airflow's in-process execution API
(seconds of one-off start-up that would otherwise delay the first task), prints READY, and only then
reads the run's conf from stdin, so the caller can start it early and overlap that cost with its own
work. After the run it reads EVERY task instance's state from the metadata database, since a DAG run
can end "success" while an upstream task failed (trigger rules), and writes a JSON result:
{dag_id, run_id, state, tasks: [{task_id, operator, state, duration, ...}], errors: {task_id: text},
returned: {task_id: return value}, import_errors: {file: text}}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from awstwin.core import botocore_data
from awstwin.orchestration.markers import READY_MARK


def _task_rows(dag_id: str, run_id: str, operators: dict[str, str]) -> list[dict[str, Any]]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    rows = []
    with create_session() as session:
        query = select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
        for ti in session.scalars(query):
            rows.append(
                {
                    "task_id": ti.task_id,
                    "operator": operators.get(ti.task_id, ti.operator),
                    "state": str(ti.state.value if hasattr(ti.state, "value") else ti.state),
                    "try_number": ti.try_number,
                    "start": ti.start_date.isoformat() if ti.start_date else None,
                    "end": ti.end_date.isoformat() if ti.end_date else None,
                    "duration": ti.duration,
                }
            )
    return rows


def _return_values(dag_id: str, run_id: str) -> dict[str, Any]:
    """{task_id: what the task returned (its `return_value` XCom)} for the run's tasks that returned
    something JSON can carry."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    values: dict[str, Any] = {}
    with create_session() as session:
        query = select(XComModel).where(
            XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == "return_value"
        )
        for row in session.scalars(query):
            value = XComModel.deserialize_value(row)
            try:
                json.dumps(value)
            except TypeError:
                continue
            values[row.task_id] = value
    return values


def load(dag_id: str, dags_folder: Path) -> tuple[Any, dict[str, Any]]:
    """Parse the DAGs folder; (the DAG or None, the result skeleton with any import errors)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder))
    result: dict[str, Any] = {
        "dag_id": dag_id,
        "run_id": None,
        "state": "failed",
        "tasks": [],
        "errors": {},
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    }
    dag = bag.dags.get(dag_id)
    if dag is None:
        result["errors"]["<dag>"] = f"DAG {dag_id!r} not found in {dags_folder}"
    return dag, result


def warm_up() -> None:
    """Start the in-process execution API now: its first request costs seconds (app and lifespan)."""
    import httpx
    from airflow.sdk.execution_time.supervisor import in_process_api_server

    api = in_process_api_server()
    with httpx.Client(transport=api.transport, base_url="http://in-process.invalid/") as client:
        client.get("/execution/")  # any path: the answer (404) does not matter, the start-up does


def run(dag: Any, result: dict[str, Any], conf: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk.listener import get_listener_manager

    from awstwin.orchestration.listener import ErrorRecorder

    recorder = ErrorRecorder()
    get_listener_manager().add_listener(recorder)
    run = dag.test(run_conf=conf)
    operators = {task.task_id: type(task).__name__ for task in dag.tasks}
    result.update(
        run_id=run.run_id,
        state=str(run.state.value if hasattr(run.state, "value") else run.state),
        tasks=_task_rows(dag.dag_id, run.run_id, operators),
        errors=recorder.errors,
        returned=_return_values(dag.dag_id, run.run_id),
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awstwin.orchestration.dag_test")
    parser.add_argument("--dag-id", required=True)
    parser.add_argument("--dags-folder", required=True, type=Path)
    parser.add_argument("--conf", default="{}", help="the run's conf as JSON")
    parser.add_argument("--wait", action="store_true", help="warm up, print READY, read the conf from stdin")
    parser.add_argument("--result", required=True, type=Path, help="write the JSON result here")
    args = parser.parse_args(argv)
    botocore_data.share()  # the provider's hooks make a boto3 Session per client
    try:
        dag, result = load(args.dag_id, args.dags_folder)
        conf = json.loads(args.conf)
        if args.wait:
            if dag is not None:
                warm_up()
            print(READY_MARK, flush=True)
            line = sys.stdin.readline()
            if not line.strip():  # the caller gave up before the run: nothing to do
                return 3
            conf = json.loads(line)
        if dag is not None:
            result = run(dag, result, conf)
    except Exception as exc:
        traceback.print_exc()
        result = {"dag_id": args.dag_id, "state": "failed", "tasks": [], "errors": {"<dag>": repr(exc)}}
    args.result.write_text(json.dumps(result, indent=2, default=str))
    return 0 if result["state"] == "success" else 1


def _exit_now(code: int) -> None:
    """Everything is written and committed: skip Airflow's interpreter teardown (1-2 s of atexit work)."""
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
