"""Transforms that choose or rename fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms.transform import GlueTransform


class SelectFields(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, paths: Sequence[str], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        return frame.select_fields(paths, transformation_ctx)


class DropFields(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, paths: Sequence[str], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        return frame.drop_fields(paths, transformation_ctx)


class RenameField(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, old_name: str, new_name: str, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        return frame.rename_field(old_name, new_name, transformation_ctx)
