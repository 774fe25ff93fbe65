"""GlueContext: the entry point of a Glue script, wrapping the script's SparkContext.

Readers and writers follow Glue's documented signatures; the local twin reads the Data Catalog and
connections from the endpoint named by `AWS_ENDPOINT_URL` (boto3's standard variable), and S3 from
plain files (`AWSTWIN_S3_ROOT`) or through boto3.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from pyspark import SparkContext
from pyspark.sql import DataFrame, SparkSession

from awsglue._local import bookmarks, catalog_update, clients, formats, jdbc, jdbc_read, s3paths, tables
from awsglue._local.guard import Guarded
from awsglue.collection import DynamicFrameCollection
from awsglue.data_sink import DataSink
from awsglue.data_source import DataSource
from awsglue.dynamicframe import DynamicFrame, DynamicFrameReader, DynamicFrameWriter

# Glue 6.0 runs Spark 4, whose ANSI mode is on by default (a bad cast fails the job); earlier versions
# run Spark 3, where it gives null. The job runner says which version a run is (AWSTWIN_GLUE_VERSION).
ANSI_FROM_VERSION = (6, 0)


def _ansi_enabled() -> str:
    try:
        version = tuple(int(p) for p in os.environ.get("AWSTWIN_GLUE_VERSION", "").split(".")[:2])
    except ValueError:
        return "false"
    return str(version >= ANSI_FROM_VERSION).lower()


# Session settings every Glue job has, whoever created the SparkContext (see jobs/sparkconf.py for
# the settings that must exist before the JVM starts).
SESSION_SETTINGS = {
    "spark.sql.ansi.enabled": _ansi_enabled(),
    "spark.sql.session.timeZone": "UTC",
}
JDBC_CONNECTION_TYPES = ("postgresql", "redshift")


class GlueLogger:
    """`glue_context.get_logger()`: log4j-style lines on the driver's stderr (the job's error log)."""

    def __init__(self, name: str = "GlueLogger"):
        self.name = name

    def _emit(self, level: str, message: object) -> None:
        stamp = datetime.now(UTC).strftime("%y/%m/%d %H:%M:%S")
        print(f"{stamp} {level} {self.name}: {message}", file=sys.stderr, flush=True)

    def info(self, message: object) -> None:
        self._emit("INFO", message)

    def warn(self, message: object) -> None:
        self._emit("WARN", message)

    warning = warn

    def error(self, message: object) -> None:
        self._emit("ERROR", message)

    def debug(self, message: object) -> None:
        self._emit("DEBUG", message)


class _DataFrameReader:
    """`glue_context.create_data_frame`: the same sources as DynamicFrames, as Spark DataFrames."""

    def __init__(self, glue_context: GlueContext):
        self._frames = DynamicFrameReader(glue_context)

    def from_catalog(self, *args: Any, **kwargs: Any) -> DataFrame:
        return self._frames.from_catalog(*args, **kwargs).toDF()

    def from_options(self, *args: Any, **kwargs: Any) -> DataFrame:
        return self._frames.from_options(*args, **kwargs).toDF()


class GlueContext(Guarded):
    _glue_owner = "GlueContext"

    def __init__(self, sparkContext: SparkContext | None = None, **options: Any):  # noqa: N803
        self._sc = sparkContext or SparkContext.getOrCreate()
        self.spark_session = SparkSession.builder.getOrCreate()
        for key, value in SESSION_SETTINGS.items():
            self.spark_session.conf.set(key, value)
        self.create_dynamic_frame = DynamicFrameReader(self)
        self.write_dynamic_frame = DynamicFrameWriter(self)
        self.create_data_frame = _DataFrameReader(self)
        self._logger = GlueLogger()

    @property
    def sparkSession(self) -> SparkSession:  # noqa: N802 - pyspark's spelling
        return self.spark_session

    def get_logger(self) -> GlueLogger:
        return self._logger

    # -- the flat spellings Glue also offers -------------------------------------------------------
    def create_dynamic_frame_from_catalog(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.create_dynamic_frame.from_catalog(*args, **kwargs)

    def create_dynamic_frame_from_options(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.create_dynamic_frame.from_options(*args, **kwargs)

    def write_dynamic_frame_from_options(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.write_dynamic_frame.from_options(*args, **kwargs)

    def write_dynamic_frame_from_catalog(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.write_dynamic_frame.from_catalog(*args, **kwargs)

    def write_dynamic_frame_from_jdbc_conf(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.write_dynamic_frame.from_jdbc_conf(*args, **kwargs)

    def create_dynamic_frame_from_rdd(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.create_dynamic_frame.from_rdd(*args, **kwargs)

    def write_from_options(self, frame_or_dfc: Any, *args: Any, **kwargs: Any) -> Any:
        """write_dynamic_frame_from_options for a frame, or for every frame of a collection."""
        if isinstance(frame_or_dfc, DynamicFrameCollection):
            for key in frame_or_dfc:
                self.write_dynamic_frame.from_options(frame_or_dfc.select(key), *args, **kwargs)
            return frame_or_dfc
        return self.write_dynamic_frame.from_options(frame_or_dfc, *args, **kwargs)

    def write_from_jdbc_conf(self, frame_or_dfc: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(frame_or_dfc, DynamicFrameCollection):
            for key in frame_or_dfc:
                self.write_dynamic_frame.from_jdbc_conf(frame_or_dfc.select(key), *args, **kwargs)
            return frame_or_dfc
        return self.write_dynamic_frame.from_jdbc_conf(frame_or_dfc, *args, **kwargs)

    # -- sources and sinks as objects ----------------------------------------------------------------
    def getSource(self, connection_type: str, transformation_ctx: str = "", **options: Any) -> DataSource:  # noqa: N802
        """A DataSource for `connection_type` (s3, file, postgresql, redshift); setFormat, then getFrame()."""
        return DataSource(self, connection_type, transformation_ctx, **options)

    def getSink(  # noqa: N802
        self,
        connection_type: str,
        format: str | None = None,  # noqa: A002
        transformation_ctx: str = "",
        **options: Any,
    ) -> DataSink:
        """A DataSink: setFormat, setCatalogInfo (with enableUpdateCatalog / updateBehavior /
        partitionKeys), then writeFrame(frame)."""
        return DataSink(self, connection_type, format, transformation_ctx, **options)

    def extract_jdbc_conf(self, connection_name: str, catalog_id: str | None = None) -> dict[str, str]:
        """The Glue connection's `user`, `password`, `vendor`, `url` (no database) and `fullUrl`."""
        connection = clients.get_connection(connection_name, catalog_id)
        props = connection.get("ConnectionProperties") or {}
        target = jdbc.connection_target(connection_name, None, catalog_id)
        full_url = props.get("JDBC_CONNECTION_URL", "")
        vendor = full_url.split(":", 2)[1] if full_url.count(":") >= 2 else ""
        return {
            "user": target.user or "",
            "password": target.password or "",
            "vendor": vendor,
            "url": full_url.rsplit("/", 1)[0] if full_url.count("/") >= 3 else full_url,
            "fullUrl": full_url,
            "enforceSSL": str(props.get("JDBC_ENFORCE_SSL", "false")).lower(),
        }

    def add_ingestion_time_columns(self, dataFrame: DataFrame, timeGranularity: str = "") -> DataFrame:  # noqa: N803
        """ingest_year, ingest_month, ingest_day (and ingest_hour / ingest_minute) of now, in UTC."""
        from pyspark.sql import functions as F

        levels = ["year", "month", "day", "hour", "minute"]
        granularity = (timeGranularity or "day").lower()
        if granularity not in levels[2:]:
            raise ValueError(f"timeGranularity {timeGranularity!r} is not one of 'day', 'hour', 'minute'")
        now = datetime.now(UTC)
        width = {"year": 4}
        result = dataFrame
        for level in levels[: levels.index(granularity) + 1]:
            value = str(getattr(now, level)).zfill(width.get(level, 2))
            result = result.withColumn(f"ingest_{level}", F.lit(value))
        return result

    def purge_s3_path(
        self, s3_path: str, options: dict[str, Any] | None = None, transformation_ctx: str = ""
    ) -> None:
        """Delete the objects under `s3_path` older than `retentionPeriod` hours (Glue's default: 168)."""
        hours = float((options or {}).get("retentionPeriod", 168))
        removed = s3paths.delete_older_than(s3_path, time.time() - hours * 3600)
        self._logger.info(f"purge_s3_path: removed {removed} objects under {s3_path}")

    def purge_table(
        self,
        database: str,
        table_name: str,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        catalog_id: str | None = None,
    ) -> None:
        """Delete a table's files older than `retentionPeriod` hours (168 by default), only in the
        partitions matching `partitionPredicate` when given; a partition left with no files is deleted
        from the catalog, as Glue does."""
        options = options or {}
        cutoff = time.time() - float(options.get("retentionPeriod", 168)) * 3600
        table = clients.get_table(database, table_name, catalog_id)
        keys = tables.StorageFormat.from_table(table).partition_keys
        if not keys:
            location = (table.get("StorageDescriptor") or {}).get("Location", "")
            removed = s3paths.delete_older_than(location, cutoff)
            self._logger.info(f"purge_table: removed {removed} objects of {database}.{table_name}")
            return
        partitions = clients.get_partitions(database, table_name, None, catalog_id)
        chosen = tables.select_partitions(
            self.spark_session, keys, partitions, options.get("partitionPredicate", "")
        )
        emptied = []
        for partition in chosen:
            location = (partition.get("StorageDescriptor") or {}).get("Location", "")
            s3paths.delete_older_than(location, cutoff)
            if not s3paths.has_objects(location):
                emptied.append({"Values": partition["Values"]})
        for start in range(0, len(emptied), 25):
            clients.client("glue").batch_delete_partition(
                DatabaseName=database, TableName=table_name, PartitionsToDelete=emptied[start : start + 25]
            )
        self._logger.info(
            f"purge_table: {database}.{table_name}: {len(emptied)} partitions emptied and deleted"
        )

    def transition_table(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "transition_table changes S3 storage classes, which the local S3 does not have; "
            "see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-glue-context.html"
        )

    def transition_s3_path(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "transition_s3_path changes S3 storage classes, which the local S3 does not have; "
            "see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-glue-context.html"
        )

    # -- what the readers and writers do ---------------------------------------------------------
    def _new_frame(self, df: DataFrame, name: str) -> DynamicFrame:
        """A DynamicFrame of this context (the reader in frame_io builds its frames here)."""
        return DynamicFrame(df, self, name)

    def _read_catalog(
        self,
        database: str | None,
        table_name: str | None,
        push_down_predicate: str,
        additional_options: dict[str, Any],
        catalog_id: str | None,
        transformation_ctx: str = "",
    ) -> DataFrame:
        if not database or not table_name:
            raise ValueError("create_dynamic_frame.from_catalog needs database and table_name")
        table = clients.get_table(database, table_name, catalog_id)
        connection_name = (table.get("Parameters") or {}).get("connectionName")
        if connection_name:
            return self._read_jdbc_table(
                table, connection_name, transformation_ctx, additional_options, catalog_id
            )
        select = bookmarks.current().s3_select(transformation_ctx)
        partitions = None
        if table.get("PartitionKeys"):
            expression = additional_options.get("catalogPartitionPredicate")
            partitions = clients.get_partitions(database, table_name, expression, catalog_id)
        return tables.read_table(self.spark_session, table, partitions, push_down_predicate, select)

    def _read_jdbc_table(
        self,
        table: dict[str, Any],
        connection_name: str,
        transformation_ctx: str,
        options: dict[str, Any],
        catalog_id: str | None,
    ) -> DataFrame:
        """A JDBC-backed catalog table, read through its Glue connection; the catalog's columns (when it
        lists any) pick and order the database's columns."""
        name = f"{table.get('DatabaseName')}.{table.get('Name')}"
        location = (table.get("StorageDescriptor") or {}).get("Location", "")
        database, dbtable = jdbc_read.split_location(location, name)
        target = jdbc.connection_target(connection_name, database, catalog_id)
        marks = bookmarks.current()
        query = marks.jdbc_query(
            transformation_ctx, dbtable, None, options, lambda: jdbc_read.primary_key(target, dbtable)
        )
        frame = jdbc_read.read_table(self.spark_session, target, dbtable, query)
        marks.jdbc_read(transformation_ctx, frame)
        listed = [c["Name"] for c in (table.get("StorageDescriptor") or {}).get("Columns") or []]
        present = {c.lower(): c for c in frame.columns}
        chosen = [present[c.lower()] for c in listed if c.lower() in present]
        return frame.select(*[f"`{c}`" for c in chosen]) if chosen else frame

    def _read_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any],
        fmt: str | None,
        format_options: dict[str, Any],
        transformation_ctx: str = "",
    ) -> DataFrame:
        kind = (connection_type or "").lower()
        if kind in JDBC_CONNECTION_TYPES:
            return self._read_jdbc_options(kind, connection_options, transformation_ctx)
        if kind != "s3":
            raise formats.FormatError(
                f"create_dynamic_frame.from_options(connection_type={connection_type!r}) is not supported "
                f"locally; read S3 (connection_type='s3'), {', '.join(JDBC_CONNECTION_TYPES)} "
                "or a catalog table"
            )
        select = bookmarks.current().s3_select(transformation_ctx)
        return formats.read(self.spark_session, connection_options, fmt or "", format_options, select)

    def _read_jdbc_options(self, kind: str, options: dict[str, Any], transformation_ctx: str) -> DataFrame:
        """connection_options: `url`, `user`, `password`, `dbtable` (or `query`), or `connectionName`."""
        dbtable = options.get("dbtable") or ""
        if options.get("connectionName"):
            target = jdbc.connection_target(options["connectionName"], options.get("database"))
        else:
            target = jdbc.target_from_properties(
                f"{kind} connection_options",
                {
                    "JDBC_CONNECTION_URL": options.get("url", ""),
                    "USERNAME": options.get("user", ""),
                    "PASSWORD": options.get("password", ""),
                },
                options.get("database"),
            )
        query = options.get("query") or options.get("sampleQuery")
        if not dbtable and not query:
            raise formats.FormatError(f"{kind} connection_options need 'dbtable' (schema.table) or 'query'")
        if dbtable and "." not in dbtable:
            dbtable = f"public.{dbtable}"
        marks = bookmarks.current()
        query = marks.jdbc_query(
            transformation_ctx, dbtable, query, options, lambda: jdbc_read.primary_key(target, dbtable)
        )
        frame = jdbc_read.read_table(self.spark_session, target, dbtable or "query", query)
        marks.jdbc_read(transformation_ctx, frame)
        return frame

    def _write_options(
        self,
        frame: DataFrame,
        connection_type: str,
        connection_options: dict[str, Any],
        fmt: str | None,
        format_options: dict[str, Any],
    ) -> None:
        kind = (connection_type or "").lower()
        if kind == "s3":
            formats.write(frame, connection_options, fmt or "", format_options)
            return
        if kind in JDBC_CONNECTION_TYPES:
            target = jdbc.target_from_properties(
                f"{kind} connection_options",
                {
                    "JDBC_CONNECTION_URL": connection_options.get("url", ""),
                    "USERNAME": connection_options.get("user", ""),
                    "PASSWORD": connection_options.get("password", ""),
                },
                connection_options.get("database"),
            )
            self._load_jdbc(frame, target, connection_options, connection_options.get("redshiftTmpDir"))
            return
        raise formats.FormatError(
            f"write_dynamic_frame.from_options(connection_type={connection_type!r}) is not supported "
            f"locally; use 's3' or one of {', '.join(JDBC_CONNECTION_TYPES)}"
        )

    def _write_catalog(
        self,
        frame: DataFrame,
        database: str | None,
        table_name: str | None,
        additional_options: dict[str, Any],
        catalog_id: str | None,
    ) -> None:
        if not database or not table_name:
            raise ValueError("write_dynamic_frame.from_catalog needs database and table_name")
        table = clients.get_table(database, table_name, catalog_id)
        table.setdefault("DatabaseName", database)
        register = formats.flag(additional_options.get("enableUpdateCatalog"))
        updates_schema = (
            additional_options.get("updateBehavior", "UPDATE_IN_DATABASE") == "UPDATE_IN_DATABASE"
        )
        # with enableUpdateCatalog, new fields of the frame become new columns of the table first
        if register and updates_schema and catalog_update.add_frame_columns(frame, table, catalog_id):
            table = clients.get_table(database, table_name, catalog_id)
            table.setdefault("DatabaseName", database)
        tables.write_table(self.spark_session, frame, table, register)

    def _write_jdbc_conf(
        self,
        frame: DataFrame,
        catalog_connection: str,
        connection_options: dict[str, Any],
        redshift_tmp_dir: str,
        catalog_id: str | None,
    ) -> None:
        target = jdbc.connection_target(catalog_connection, connection_options.get("database"), catalog_id)
        tmp_dir = redshift_tmp_dir or connection_options.get("redshiftTmpDir")
        self._load_jdbc(frame, target, connection_options, tmp_dir)

    def _load_jdbc(
        self,
        frame: DataFrame,
        target: jdbc.JdbcTarget,
        connection_options: dict[str, Any],
        tmp_dir: str | None,
    ) -> None:
        dbtable = connection_options.get("dbtable")
        if not dbtable:
            raise jdbc.JdbcWriteError(
                f"connection_options for {target.describe()} need 'dbtable' "
                "(the table to load, e.g. public.sales)"
            )
        jdbc.load(
            frame,
            target,
            dbtable,
            preactions=connection_options.get("preactions"),
            postactions=connection_options.get("postactions"),
            tmp_dir=tmp_dir or None,
        )
