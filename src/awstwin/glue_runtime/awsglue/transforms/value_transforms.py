"""Transforms that change values or records: mapping and casting, filtering, joining."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms.transform import GlueTransform


class ApplyMapping(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        mappings: Sequence[Sequence[str]],
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        return frame.apply_mapping(mappings, case_sensitive, transformation_ctx)


class ResolveChoice(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        specs: Sequence[tuple[str, str]] | None = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        catalog_id: str | None = None,
        **_: Any,
    ) -> DynamicFrame:
        return frame.resolveChoice(specs, choice, database, table_name, transformation_ctx, catalog_id)


class DropNullFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        return frame.drop_null_fields(transformation_ctx)


class Filter(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, f: Callable[[dict[str, Any]], bool], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        return frame.filter(f, transformation_ctx)


class Join(GlueTransform):
    def __call__(
        self,
        frame1: DynamicFrame,
        frame2: DynamicFrame,
        keys1: str | Sequence[str],
        keys2: str | Sequence[str],
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        return frame1.join(keys1, keys2, frame2, transformation_ctx)
