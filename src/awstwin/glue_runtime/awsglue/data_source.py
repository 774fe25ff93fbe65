"""DataSource: what `glue_context.getSource(...)` returns (setFormat, getFrame).

https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-types.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from awsglue._local.guard import Guarded

if TYPE_CHECKING:
    from awsglue.context import GlueContext
    from awsglue.dynamicframe import DynamicFrame


class DataSource(Guarded):
    _glue_owner = "DataSource"

    def __init__(
        self, glue_context: GlueContext, connection_type: str, transformation_ctx: str = "", **options: Any
    ):
        self._glue_context = glue_context
        self.connection_type = connection_type
        self.transformation_ctx = transformation_ctx
        self.options = options
        self.format: str | None = None
        self.format_options: dict[str, Any] = {}

    def setFormat(self, format: str, **options: Any) -> None:  # noqa: N802, A002
        self.format = format
        self.format_options = options

    def getFrame(self, **_: Any) -> DynamicFrame:  # noqa: N802
        from awsglue.dynamicframe import DynamicFrame

        kind = (self.connection_type or "").lower()
        connection_type = "s3" if kind == "file" else self.connection_type
        df = self._glue_context._read_options(
            connection_type, dict(self.options), self.format, self.format_options, self.transformation_ctx
        )
        return DynamicFrame(df, self._glue_context, self.transformation_ctx)
