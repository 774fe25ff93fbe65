"""Transforms that choose, rename, split or reshape fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from awsglue.collection import DynamicFrameCollection
from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms.transform import GlueTransform


class SelectFields(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, paths: Sequence[str], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """Keep only the fields at `paths`."""
        return frame.select_fields(paths, transformation_ctx)


class DropFields(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, paths: Sequence[str], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """Drop the fields at `paths` (nested ones too)."""
        return frame.drop_fields(paths, transformation_ctx)


class RenameField(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, old_name: str, new_name: str, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """Rename the field at `old_name` to `new_name` (full paths; backticks quote dotted names)."""
        return frame.rename_field(old_name, new_name, transformation_ctx)


class SplitFields(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        paths: Sequence[str],
        name1: str | None = None,
        name2: str | None = None,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrameCollection:
        """{name1: the fields at `paths`, name2: the rest}; names default to the frame's name + 1 / 2."""
        return frame.split_fields(paths, name1, name2, transformation_ctx=transformation_ctx)


class UnnestFrame(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Nested structs become top-level fields named by their dotted paths."""
        return frame.unnest(transformation_ctx)


class Unbox(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        path: str,
        format: str,  # noqa: A002
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
        **options: Any,
    ) -> DynamicFrame:
        """Parse the string field at `path` (json or csv) into a struct."""
        return frame.unbox(path, format, transformation_ctx, **options)
