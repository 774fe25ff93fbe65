"""The listener turns each failed task's exception into the message a user should read."""

from __future__ import annotations

from types import SimpleNamespace

from awstwin.orchestration.listener import CAUSES, describe_exception


def test_tuple_messages_are_formatted() -> None:
    # GlueJobSensor raises AirflowException(("Exiting Job %s Run State: %s", run_id, state)).
    error = RuntimeError(("Exiting Job %s Run State: %s", "jr_1", "FAILED"))
    assert describe_exception(error) == "RuntimeError: Exiting Job jr_1 Run State: FAILED"
    assert describe_exception(ValueError("boom")) == "ValueError: boom"
    assert describe_exception(None).startswith("failed without an exception")


def test_failed_table_checks_are_named() -> None:
    task = SimpleNamespace(
        checks={
            "rows_loaded": {"check_statement": "COUNT(*) > 0", "success": True},
            "rows_match_upload": {"check_statement": "COUNT(*) = 5", "success": False},
        },
        table="public.t",
        partition_clause="ingest_date = '2024-05-01'",
    )
    message = CAUSES["SQLTableCheckOperator"](task)
    assert message == "check rows_match_upload failed on public.t WHERE ingest_date = '2024-05-01'"
    task.checks["rows_match_upload"]["success"] = True
    assert CAUSES["SQLTableCheckOperator"](task) is None


def test_failed_column_checks_are_named_with_their_values() -> None:
    task = SimpleNamespace(
        column_mapping={
            "exam_score": {
                "null_check": {"equal_to": 0, "result": 0, "success": True},
                "max": {"leq_to": 100, "result": 101, "success": False},
            },
        },
        table="public.t",
        partition_clause="ingest_date = '2024-05-01'",
    )
    message = CAUSES["SQLColumnCheckOperator"](task)
    assert message == (
        "check exam_score max (leq_to 100; got 101) failed on public.t WHERE ingest_date = '2024-05-01'"
    )
    task.column_mapping["exam_score"]["max"]["success"] = True
    assert CAUSES["SQLColumnCheckOperator"](task) is None
