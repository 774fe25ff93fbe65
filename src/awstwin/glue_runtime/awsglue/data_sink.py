"""DataSink: what `glue_context.getSink(...)` returns (setFormat, setCatalogInfo, writeFrame).

https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-types.html and, for
the catalog options, https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from awsglue._local import catalog_update, formats
from awsglue._local.guard import Guarded
from awsglue.collection import DynamicFrameCollection

if TYPE_CHECKING:
    from awsglue.context import GlueContext
    from awsglue.dynamicframe import DynamicFrame


class DataSink(Guarded):
    _glue_owner = "DataSink"

    def __init__(
        self,
        glue_context: GlueContext,
        connection_type: str,
        format: str | None = None,  # noqa: A002 - Glue's parameter name
        transformation_ctx: str = "",
        **options: Any,
    ):
        self._glue_context = glue_context
        self.connection_type = connection_type
        self.format = format
        self.format_options: dict[str, Any] = {}
        self.transformation_ctx = transformation_ctx
        self.options = options
        self.catalog: tuple[str, str, str | None] | None = None

    def setFormat(self, format: str, **options: Any) -> None:  # noqa: N802, A002
        self.format = format
        self.format_options = options

    def setCatalogInfo(  # noqa: N802
        self,
        catalogDatabase: str,
        catalogTableName: str,
        catalogId: str | None = None,  # noqa: N803
    ) -> None:
        self.catalog = (catalogDatabase, catalogTableName, catalogId)

    def setAccumulableSize(self, size: int) -> None:  # noqa: N802 - Spark-side tuning, nothing to do locally
        return None

    def writeFrame(self, dynamic_frame: DynamicFrame, info: str = "") -> DynamicFrame:  # noqa: N802
        options = dict(self.options)
        kind = (self.connection_type or "").lower()
        partition_keys = list(options.get("partitionKeys") or [])
        self._glue_context._write_options(
            dynamic_frame.toDF(), self.connection_type, options, self.format, self.format_options
        )
        if kind == "s3" and formats.flag(options.get("enableUpdateCatalog")):
            if self.catalog is None:
                raise catalog_update.CatalogUpdateError(
                    "enableUpdateCatalog needs the table: call sink.setCatalogInfo(catalogDatabase=..., "
                    "catalogTableName=...) before writeFrame"
                )
            database, table, catalog_id = self.catalog
            catalog_update.update(
                dynamic_frame.toDF(),
                database,
                table,
                options.get("path", ""),
                (self.format or "").lower(),
                partition_keys,
                options.get("updateBehavior", "UPDATE_IN_DATABASE"),
                catalog_id,
                with_header=formats.flag(self.format_options.get("writeHeader"), default=True),
            )
        return dynamic_frame

    def write(self, dynamic_frame_or_dfc: Any, info: str = "") -> Any:
        if isinstance(dynamic_frame_or_dfc, DynamicFrameCollection):
            return DynamicFrameCollection(
                {
                    key: self.writeFrame(dynamic_frame_or_dfc.select(key), info)
                    for key in dynamic_frame_or_dfc
                },
                self._glue_context,
            )
        return self.writeFrame(dynamic_frame_or_dfc, info)
