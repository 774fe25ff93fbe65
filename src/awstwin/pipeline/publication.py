"""Write, audit, publish: nothing of a run is visible to readers until the run has passed every check.

A run writes only its own folders, `<zone>/student_performance/ingest_date=<d>/run=<id>/` (raw upload,
curated and quarantined rows), and its own warehouse staging tables (`<table>_stage_<id>`). The
crawlers catalog those folders in the *runs tables* (`runs_<table>`, keys ingest_date and run), where
the DAG's Athena checks and the quality gates read this run's rows. Readers read the *published
tables* (`raw_student_performance`, ..., key ingest_date): each date's partition points at the folder
of the run that last succeeded for it. So a failed run leaves every date as its last good run left it.

Publishing, at the end of the DAG:
1. `publish_partitions`: each published table's partition for the date is pointed at this run's
   folders (Glue BatchUpdatePartition, or BatchCreatePartition for a new date); the table itself is
   created from its runs table the first time. What was there before is returned, so that
2. the warehouse swap (dags/sql/publish/, one transaction with the marts) failing can be undone by
   `restore_partitions`.
Glue has no transaction across tables: the three partition updates are three calls made back to
back (milliseconds apart), and an Athena query that lands between two of them can see one zone's new
partition next to another's old one. Each table's partition changes in one call, and a reader of the
warehouse sees the whole swap or none of it.

Old runs (`remove_stale_runs`, at the start of the next run): every run folder that is neither a
date's published run nor the current one is deleted, with its runs-table partition, and staging
tables left by runs that failed are dropped. A failed run's folders and tables stay for a look until
then; the previous good upload of a date is never deleted before a newer run of it has succeeded.

Clients and connections are passed in (boto3 clients and a DB-API connection), so the same functions
run in the DAG's tasks (through Airflow's hooks) and in tests.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from awstwin.core.profile import CURATED_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX, RUNS_TABLE_PREFIX
from awstwin.pipeline.runs import GENERATED_RUN, run_of_location

log = logging.getLogger(__name__)

PARTITION_KEY = "ingest_date"
RUN_KEY = "run"
# Table parameters the crawler writes about its own crawl: not true of a published table.
CRAWLER_PARAMETERS = (
    "UPDATED_BY_CRAWLER",
    "CrawlerSchemaDeserializerVersion",
    "CrawlerSchemaSerializerVersion",
)
DELETE_BATCH = 1000  # S3 DeleteObjects takes at most 1000 keys


class PublishError(RuntimeError):
    """A run's folders are not in the catalog as the publish step needs them; the message says which."""


@dataclass(frozen=True)
class Zone:
    """One zone: its folder in the bucket, its published table and its runs table."""

    prefix: str  # e.g. raw/student_performance/
    table: str  # e.g. raw_student_performance
    runs_table: str  # e.g. runs_raw_student_performance


def zones(raw_table: str, curated_table: str, quarantine_table: str) -> list[Zone]:
    """The pipeline's three zones, from their published tables' names (the DAG's Variables)."""
    return [
        Zone(prefix, table, RUNS_TABLE_PREFIX + table)
        for prefix, table in (
            (RAW_PREFIX, raw_table),
            (CURATED_PREFIX, curated_table),
            (QUARANTINE_PREFIX, quarantine_table),
        )
    ]


def _not_found(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") == "EntityNotFoundException"


def _get_table(glue: Any, database: str, name: str) -> dict[str, Any] | None:
    try:
        return glue.get_table(DatabaseName=database, Name=name)["Table"]
    except Exception as exc:
        if _not_found(exc):
            return None
        raise


def _get_partition(glue: Any, database: str, table: str, values: list[str]) -> dict[str, Any] | None:
    try:
        return glue.get_partition(DatabaseName=database, TableName=table, PartitionValues=values)["Partition"]
    except Exception as exc:
        if _not_found(exc):
            return None
        raise


def partition_input(partition: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """A GetPartition answer as a PartitionInput (only the fields PartitionInput has)."""
    result: dict[str, Any] = {"Values": values, "StorageDescriptor": partition["StorageDescriptor"]}
    if partition.get("Parameters"):
        result["Parameters"] = partition["Parameters"]
    return result


def published_table_input(runs: dict[str, Any], name: str) -> dict[str, Any]:
    """The published table's TableInput: the runs table's columns and format, keyed by date only."""
    keys = [k for k in runs.get("PartitionKeys") or [] if k["Name"].lower() != RUN_KEY]
    parameters = {k: v for k, v in (runs.get("Parameters") or {}).items() if k not in CRAWLER_PARAMETERS}
    return {
        "Name": name,
        "Description": f"Published rows: each {PARTITION_KEY} partition is the folder of the run that last "
        f"succeeded for the date ({runs['Name']} holds every kept run)",
        "StorageDescriptor": runs["StorageDescriptor"],
        "PartitionKeys": keys,
        "TableType": runs.get("TableType") or "EXTERNAL_TABLE",
        "Parameters": parameters,
    }


def _ensure_published_table(glue: Any, database: str, zone: Zone) -> None:
    runs = _get_table(glue, database, zone.runs_table)
    if runs is None:
        raise PublishError(f"{database}.{zone.runs_table} does not exist: its crawler has not run")
    wanted = published_table_input(runs, zone.table)
    current = _get_table(glue, database, zone.table)
    if current is None:
        glue.create_table(DatabaseName=database, TableInput=wanted)
        log.info("created %s.%s from %s", database, zone.table, zone.runs_table)
    elif current["StorageDescriptor"].get("Columns") != wanted["StorageDescriptor"].get("Columns"):
        glue.update_table(DatabaseName=database, TableInput=wanted)
        log.info("updated the columns of %s.%s from %s", database, zone.table, zone.runs_table)


def _put_partition(glue: Any, database: str, table: str, existing: bool, partition: dict[str, Any]) -> None:
    values = partition["Values"]
    if existing:
        answer = glue.batch_update_partition(
            DatabaseName=database,
            TableName=table,
            Entries=[{"PartitionValueList": values, "PartitionInput": partition}],
        )
    else:
        answer = glue.batch_create_partition(
            DatabaseName=database, TableName=table, PartitionInputList=[partition]
        )
    errors = answer.get("Errors") or []
    if errors:
        detail = errors[0].get("ErrorDetail") or {}
        raise PublishError(
            f"{database}.{table} partition {values}: {detail.get('ErrorCode')}: {detail.get('ErrorMessage')}"
        )


def _delete_partition(glue: Any, database: str, table: str, values: list[str]) -> None:
    glue.batch_delete_partition(
        DatabaseName=database, TableName=table, PartitionsToDelete=[{"Values": values}]
    )


def publish_partitions(
    glue: Any, database: str, zones: Iterable[Zone], ingest_date: str, run: str
) -> list[dict[str, Any]]:
    """Point every zone's published partition for the date at this run's folder; return, per zone,
    {"table", "previous": the PartitionInput that was there, or None} for `restore_partitions`."""
    zones = list(zones)
    staged = []
    for zone in zones:  # everything is read and checked before the first change
        partition = _get_partition(glue, database, zone.runs_table, [ingest_date, run])
        if partition is None:
            raise PublishError(
                f"{database}.{zone.runs_table} has no partition ingest_date={ingest_date}/run={run}: "
                "the run's folder was not crawled"
            )
        _ensure_published_table(glue, database, zone)
        before = _get_partition(glue, database, zone.table, [ingest_date])
        staged.append((zone, partition_input(partition, [ingest_date]), before))
    previous = [
        {"table": zone.table, "previous": partition_input(before, [ingest_date]) if before else None}
        for zone, _, before in staged
    ]
    done: list[dict[str, Any]] = []
    try:
        for (zone, partition, before), undo in zip(staged, previous, strict=True):
            _put_partition(glue, database, zone.table, before is not None, partition)
            done.append(undo)
            log.info("published %s.%s ingest_date=%s: run=%s", database, zone.table, ingest_date, run)
    except BaseException:
        restore_partitions(glue, database, ingest_date, done)
        raise
    return previous


def restore_partitions(glue: Any, database: str, ingest_date: str, previous: list[dict[str, Any]]) -> None:
    """Undo `publish_partitions`: each partition as it was before (deleted when there was none)."""
    for entry in previous:
        table, before = entry["table"], entry["previous"]
        if before is None:
            _delete_partition(glue, database, table, [ingest_date])
        else:
            _put_partition(glue, database, table, True, before)
        log.info("restored %s.%s ingest_date=%s", database, table, ingest_date)


def published_runs(glue: Any, database: str, table: str) -> dict[str, str]:
    """{ingest_date: the run whose folder its published partition is}, for every published date."""
    runs: dict[str, str] = {}
    if _get_table(glue, database, table) is None:
        return runs
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
        for partition in page.get("Partitions") or []:
            run = run_of_location(partition.get("StorageDescriptor", {}).get("Location"))
            if run is not None and partition.get("Values"):
                runs[partition["Values"][0]] = run
    return runs


def _folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    """The names of the folders right under `prefix`."""
    names = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        names += [common["Prefix"][len(prefix) :].rstrip("/") for common in page.get("CommonPrefixes") or []]
    return names


def _delete_prefix(s3: Any, bucket: str, prefix: str) -> int:
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents") or []]
        for start in range(0, len(keys), DELETE_BATCH):
            s3.delete_objects(
                Bucket=bucket, Delete={"Objects": keys[start : start + DELETE_BATCH], "Quiet": True}
            )
        deleted += len(keys)
    return deleted


def remove_stale_runs(
    s3: Any, glue: Any, bucket: str, database: str, zones: Iterable[Zone], ingest_date: str, current: str
) -> list[str]:
    """Delete every run folder that is neither a date's published run nor `current` (of
    `ingest_date`), in every zone and of every date, with its runs-table partition; returns them.
    Every date, not only this run's: a failed upload the crawler cannot put into the runs table (say
    a `;`-separated file) would otherwise make it split the whole zone into a table per folder."""
    removed = []
    for zone in zones:
        keep = published_runs(glue, database, zone.table)
        for date_folder in _folders(s3, bucket, zone.prefix):
            date = date_folder.partition("ingest_date=")[2]
            for run_folder in _folders(s3, bucket, f"{zone.prefix}{date_folder}/"):
                run = run_folder.partition("run=")[2]
                if not run or run == keep.get(date) or (date == ingest_date and run == current):
                    continue
                _delete_prefix(s3, bucket, f"{zone.prefix}{date_folder}/{run_folder}/")
                if date and _get_partition(glue, database, zone.runs_table, [date, run]) is not None:
                    _delete_partition(glue, database, zone.runs_table, [date, run])
                removed.append(f"{zone.prefix}{date_folder}/{run_folder}")
                log.info("removed s3://%s/%s%s/%s/", bucket, zone.prefix, date_folder, run_folder)
    return removed


def stage_table(table: str, run: str) -> str:
    """The warehouse staging table of one run (the Glue script names it the same way)."""
    return f"{table}_stage_{run}"


def drop_stale_stages(connection: Any, tables: Iterable[str], current: str) -> list[str]:
    """Drop staging tables that runs other than `current` left (a failed run keeps them for a look).
    Only names ending in a generated run id (awstwin.pipeline.runs.new_run) are touched, so a table
    that merely starts like one (`..._stage_notes`) is never dropped."""
    dropped = []
    with connection.cursor() as cursor:
        for qualified in tables:
            schema, _, name = qualified.rpartition(".")
            schema = schema or "public"
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
            pattern = re.compile(re.escape(f"{name}_stage_") + GENERATED_RUN)
            for (found,) in cursor.fetchall():
                if pattern.fullmatch(found) and found != f"{name}_stage_{current}":
                    cursor.execute(f"DROP TABLE IF EXISTS {schema}.{found}")
                    dropped.append(f"{schema}.{found}")
    connection.commit()
    return dropped
