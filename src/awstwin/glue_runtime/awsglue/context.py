"""GlueContext: the entry point of a Glue script, wrapping the script's SparkContext.

Readers and writers follow Glue's documented signatures; the local twin reads the Data Catalog and
connections from the endpoint named by `AWS_ENDPOINT_URL` (boto3's standard variable), and S3 from
plain files (`AWSTWIN_S3_ROOT`) or through boto3.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from pyspark import SparkContext
from pyspark.sql import DataFrame, SparkSession

from awsglue._local import clients, formats, jdbc, s3paths, tables
from awsglue.dynamicframe import DynamicFrame, DynamicFrameReader, DynamicFrameWriter

# Session settings every Glue job has, whoever created the SparkContext (see jobs/sparkconf.py for
# the settings that must exist before the JVM starts).
SESSION_SETTINGS = {
    "spark.sql.ansi.enabled": "false",
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


class GlueContext:
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

    def purge_s3_path(
        self, s3_path: str, options: dict[str, Any] | None = None, transformation_ctx: str = ""
    ) -> None:
        """Delete the objects under `s3_path` older than `retentionPeriod` hours (Glue's default: 168)."""
        hours = float((options or {}).get("retentionPeriod", 168))
        removed = s3paths.delete_older_than(s3_path, time.time() - hours * 3600)
        self._logger.info(f"purge_s3_path: removed {removed} objects under {s3_path}")

    # -- what the readers and writers do ---------------------------------------------------------
    def _read_catalog(
        self,
        database: str | None,
        table_name: str | None,
        push_down_predicate: str,
        additional_options: dict[str, Any],
        catalog_id: str | None,
    ) -> DataFrame:
        if not database or not table_name:
            raise ValueError("create_dynamic_frame.from_catalog needs database and table_name")
        table = clients.get_table(database, table_name, catalog_id)
        partitions = None
        if table.get("PartitionKeys"):
            expression = additional_options.get("catalogPartitionPredicate")
            partitions = clients.get_partitions(database, table_name, expression, catalog_id)
        return tables.read_table(self.spark_session, table, partitions, push_down_predicate)

    def _read_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any],
        fmt: str | None,
        format_options: dict[str, Any],
    ) -> DataFrame:
        if (connection_type or "").lower() != "s3":
            raise formats.FormatError(
                f"create_dynamic_frame.from_options(connection_type={connection_type!r}) is not supported "
                "locally; read S3 (connection_type='s3') or a catalog table"
            )
        return formats.read(self.spark_session, connection_options, fmt or "", format_options)

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
