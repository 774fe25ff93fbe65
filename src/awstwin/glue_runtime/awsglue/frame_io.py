"""DynamicFrameReader and DynamicFrameWriter: `glue_context.create_dynamic_frame` and
`glue_context.write_dynamic_frame` (re-exported by `awsglue.dynamicframe`, where Glue keeps them).

https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame-reader.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame-writer.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from awsglue._local.guard import Guarded

if TYPE_CHECKING:
    from awsglue.context import GlueContext
    from awsglue.dynamicframe import DynamicFrame


def _frame(df: Any, glue_context: GlueContext, name: str) -> DynamicFrame:
    """The context makes the frame: `awsglue.dynamicframe` re-exports this module, so this module
    never imports it (no cycle)."""
    return glue_context._new_frame(df, name)


class DynamicFrameReader(Guarded):
    """`glue_context.create_dynamic_frame`: from_catalog, from_options, from_rdd."""

    _glue_owner = "DynamicFrameReader"

    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        name_space: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        df = self._glue_context._read_catalog(
            database or name_space,
            table_name,
            push_down_predicate,
            additional_options or {},
            catalog_id,
            transformation_ctx,
        )
        return _frame(df, self._glue_context, transformation_ctx or table_name or "")

    def from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,  # noqa: A002 - Glue's parameter name
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **kwargs: Any,
    ) -> DynamicFrame:
        df = self._glue_context._read_options(
            connection_type, connection_options or {}, format, format_options or {}, transformation_ctx
        )
        return _frame(df, self._glue_context, transformation_ctx)

    def from_rdd(
        self,
        data: Any,
        name: str,
        schema: Any = None,
        sample_ratio: float | None = None,
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        df = self._glue_context.spark_session.createDataFrame(data, schema=schema, samplingRatio=sample_ratio)
        return _frame(df, self._glue_context, name)


class DynamicFrameWriter(Guarded):
    """`glue_context.write_dynamic_frame`: from_options, from_catalog, from_jdbc_conf."""

    _glue_owner = "DynamicFrameWriter"

    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_options(
        self,
        frame: DynamicFrame,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,  # noqa: A002
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **kwargs: Any,
    ) -> DynamicFrame:
        self._glue_context._write_options(
            frame.toDF(), connection_type, connection_options or {}, format, format_options or {}
        )
        return frame

    def from_catalog(
        self,
        frame: DynamicFrame,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        name_space: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        self._glue_context._write_catalog(
            frame.toDF(), database or name_space, table_name, additional_options or {}, catalog_id
        )
        return frame

    def from_jdbc_conf(
        self,
        frame: DynamicFrame,
        catalog_connection: str,
        connection_options: dict[str, Any] | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        self._glue_context._write_jdbc_conf(
            frame.toDF(), catalog_connection, connection_options or {}, redshift_tmp_dir, catalog_id
        )
        return frame
