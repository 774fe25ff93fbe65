"""Transforms over nesting and over collections of frames."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from awsglue.collection import DynamicFrameCollection
from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms.transform import GlueTransform


class Relationalize(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        staging_path: str | None = None,
        name: str = "roottable",
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrameCollection:
        """The root table (nested structs unnested) and one table per array, joined by keys."""
        return frame.relationalize(name, staging_path, options, transformation_ctx)


class UnnestDDBJson(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """A DynamoDB JSON export's items as plain top-level fields."""
        return frame.unnest_ddb_json(transformation_ctx)


class SimplifyDDBJson(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """DynamoDB type descriptors removed, the nesting kept."""
        return frame.simplify_ddb_json(transformation_ctx)


class ErrorsAsDynamicFrame(GlueTransform):
    def __call__(self, frame: DynamicFrame) -> DynamicFrame:
        """The error records of every transform that led to `frame`."""
        return frame.errorsAsDynamicFrame()


class SelectFromCollection(GlueTransform):
    def __call__(self, dfc: DynamicFrameCollection, key: str, transformation_ctx: str = "") -> DynamicFrame:
        """The frame named `key` in the collection."""
        return dfc.select(key, transformation_ctx)


class MapToCollection(GlueTransform):
    def __call__(
        self,
        dfc: DynamicFrameCollection,
        callable: Callable[[DynamicFrame, str], DynamicFrame],  # noqa: A002 - Glue's parameter name
        transformation_ctx: str = "",
    ) -> DynamicFrameCollection:
        """`callable(frame, transformation_ctx)` applied to every frame of the collection."""
        return dfc.map(callable, transformation_ctx)


class FlatMap(GlueTransform):
    def __call__(
        self,
        dfc: DynamicFrameCollection,
        BaseTransform: type[GlueTransform],  # noqa: N803 - Glue's parameter name
        frame_name: str,
        transformation_ctx: str = "",
        **base_kwargs: Any,
    ) -> DynamicFrameCollection:
        """`BaseTransform` applied to every frame (passed as argument `frame_name`); results that are
        collections are flattened into the one returned."""

        def apply(frame: DynamicFrame, ctx: str) -> Any:
            return BaseTransform.apply(**{frame_name: frame}, transformation_ctx=ctx, **base_kwargs)

        return dfc.flatMap(apply, transformation_ctx)
