"""An Airflow listener that records each task's own error and reports progress while a DAG runs.

Registered in the process that runs `dag.test()` (tasks run in that same process), it sees the
exception every failed task raised. Some stock operators fail with a message that hides the cause
(GlueJobSensor says only "Run State: FAILED"; the crawler waiter only that it matched FAILED), so for
those the listener also asks AWS for the run's own ErrorMessage, through the operator's own hook and
connection, and reports that instead: "Glue job X run jr_... FAILED: ValueError: boom"; a failed
SQLTableCheckOperator or SQLColumnCheckOperator is reported by the names of its failed checks, not
its whole query, and a failed Glue Data Quality evaluation by its failed rules and their messages.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from airflow.listeners import hookimpl

from awstwin.orchestration.markers import PROGRESS_MARK


def describe_exception(error: BaseException | str | None) -> str:
    """`Type: message`, unpacking the (format, *args) tuples some Airflow operators raise."""
    if error is None:
        return "failed without an exception (see the task log)"
    if isinstance(error, str):
        return error
    args = error.args
    if len(args) == 1 and isinstance(args[0], tuple) and args[0] and isinstance(args[0][0], str):
        try:
            message = args[0][0] % args[0][1:]
        except (TypeError, ValueError):
            message = " ".join(str(a) for a in args[0])
    else:
        message = str(error)
    return f"{type(error).__name__}: {message}"


def _glue_job_cause(task: Any) -> str | None:
    from airflow.providers.amazon.aws.hooks.glue import GlueJobHook

    run_id = getattr(task, "run_id", None) or getattr(task, "_job_run_id", None)
    if not run_id:
        return None
    hook = GlueJobHook(aws_conn_id=task.aws_conn_id, region_name=task.region_name)
    run = hook.conn.get_job_run(JobName=task.job_name, RunId=run_id)["JobRun"]
    message = run.get("ErrorMessage") or "no ErrorMessage"
    return f"Glue job {task.job_name} run {run_id} {run.get('JobRunState')}: {message}"


def _crawler_cause(task: Any) -> str | None:
    from airflow.providers.amazon.aws.hooks.glue_crawler import GlueCrawlerHook

    crawler = GlueCrawlerHook(aws_conn_id=task.aws_conn_id, region_name=task.region_name).get_crawler(
        task.crawler_name
    )
    last = crawler.get("LastCrawl") or {}
    if last.get("Status") in (None, "SUCCEEDED"):
        return None
    message = last.get("ErrorMessage") or "no message"
    return f"Glue crawler {task.crawler_name} crawl {last.get('Status')}: {message}"


def _data_quality_cause(task: Any) -> str | None:
    """The evaluation operator says only that "one or more rules" failed: name each rule and why, from
    the latest evaluation run on its table (or the run's own ErrorString when the run failed)."""
    from airflow.providers.amazon.aws.hooks.glue import GlueDataQualityHook

    table = (task.datasource or {}).get("GlueTable") or {}
    wanted = {"GlueTable": {k: table[k] for k in ("DatabaseName", "TableName") if k in table}}
    glue = GlueDataQualityHook(aws_conn_id=task.aws_conn_id, region_name=task.region_name).conn
    runs = glue.list_data_quality_ruleset_evaluation_runs(Filter={"DataSource": wanted})["Runs"]
    if not runs:
        return None
    latest = max(runs, key=lambda r: r["StartedOn"])
    run = glue.get_data_quality_ruleset_evaluation_run(RunId=latest["RunId"])
    where = f"{table.get('DatabaseName')}.{table.get('TableName')}"
    if run["Status"] != "SUCCEEDED":
        return (
            f"Glue Data Quality run {run['RunId']} on {where} {run['Status']}: {run.get('ErrorString', '')}"
        )
    if not run.get("ResultIds"):
        return None
    results = glue.batch_get_data_quality_result(ResultIds=run["ResultIds"])["Results"]
    failed = [
        " ".join(f"{rule['Name']} {rule.get('Description', '')}: {rule['Result']}".split())
        + (f" ({rule['EvaluationMessage']})" if rule.get("EvaluationMessage") else "")
        for result in results
        for rule in result["RuleResults"]
        if rule["Result"] != "PASS"
    ]
    if not failed:
        return None
    return (
        f"Glue Data Quality run {run['RunId']} on {where}: {len(failed)} rule(s) failed: {'; '.join(failed)}"
    )


def _table_check_cause(task: Any) -> str | None:
    """SQLTableCheckOperator's exception is its whole query; name the failed checks instead."""
    failed = [name for name, check in (task.checks or {}).items() if check.get("success") is False]
    if not failed:
        return None
    where = f" WHERE {task.partition_clause}" if task.partition_clause else ""
    return f"check {', '.join(failed)} failed on {task.table}{where}"


def _column_check_cause(task: Any) -> str | None:
    """SQLColumnCheckOperator's exception lists every check's dict; name the failed ones and values."""
    failed = []
    for column, checks in (task.column_mapping or {}).items():
        for check, values in checks.items():
            if values.get("success") is False:
                wanted = ", ".join(f"{k} {v}" for k, v in values.items() if k not in ("result", "success"))
                failed.append(f"{column} {check} ({wanted}; got {values.get('result')})")
    if not failed:
        return None
    where = f" WHERE {task.partition_clause}" if task.partition_clause else ""
    return f"check {', '.join(failed)} failed on {task.table}{where}"


# Operator class name -> the cause its exception does not carry (asked from AWS, or read off the task).
CAUSES: dict[str, Callable[[Any], str | None]] = {
    "GlueJobSensor": _glue_job_cause,
    "GlueJobOperator": _glue_job_cause,
    "GlueCrawlerRunOperator": _crawler_cause,
    "GlueDataQualityRuleSetEvaluationRunOperator": _data_quality_cause,
    "SQLTableCheckOperator": _table_check_cause,
    "SQLColumnCheckOperator": _column_check_cause,
}


def _emit(event: str, task_instance: Any, **fields: Any) -> None:
    record = {"event": event, "task_id": task_instance.task_id, **fields}
    print(PROGRESS_MARK + json.dumps(record), file=sys.__stdout__, flush=True)


class ErrorRecorder:
    """Collects {task_id: error text}; the DAG-run process writes them into its result."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        _emit("running", task_instance)

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        _emit("success", task_instance)

    @hookimpl
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        message = describe_exception(error)
        task = getattr(task_instance, "task", None)
        explain = CAUSES.get(type(task).__name__) if task is not None else None
        if explain is not None:
            try:
                cause = explain(task)
            except Exception as exc:  # the cause is a bonus; never hide the task's own error
                cause = f"(could not read the cause from AWS: {describe_exception(exc)})"
            if cause:  # says more than the operator's own exception ("Run State: FAILED")
                message = cause
        self.errors[task_instance.task_id] = message
        _emit("failed", task_instance, error=message)
