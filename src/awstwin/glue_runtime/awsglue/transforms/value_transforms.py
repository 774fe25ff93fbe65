"""Transforms that change values or records: mapping and casting, filtering, joining, splitting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from awsglue.collection import DynamicFrameCollection
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
        """Keep the mapped fields, renamed and cast: (source, source type, target, target type)."""
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
        """Settle choice types: cast:, project:, make_cols, make_struct, match_catalog."""
        return frame.resolveChoice(specs, choice, database, table_name, transformation_ctx, catalog_id)


class DropNullFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Drop the fields that are null in every record."""
        return frame.drop_null_fields(transformation_ctx)


class Filter(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        f: Callable[[dict[str, Any]], bool],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> DynamicFrame:
        """The records for which `f(record)` is true."""
        return frame.filter(f, transformation_ctx, info, stageThreshold, totalThreshold)


class Map(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        f: Callable[[dict[str, Any]], dict[str, Any]],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> DynamicFrame:
        """`f(record)` for every record."""
        return frame.map(f, transformation_ctx, info, stageThreshold, totalThreshold)


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
        """Equality join of frame1.keys1 == frame2.keys2."""
        return frame1.join(keys1, keys2, frame2, transformation_ctx)


class SplitRows(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        comparison_dict: dict[str, dict[str, Any]],
        name1: str = "frame1",
        name2: str = "frame2",
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrameCollection:
        """{name1: records meeting every comparison, name2: the others}."""
        return frame.split_rows(comparison_dict, name1, name2, transformation_ctx)


class Spigot(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        path: str,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        """Write a sample of the records (topk, prob) as JSON to `path`; the frame passes through."""
        return frame.spigot(path, options or {}, transformation_ctx)
