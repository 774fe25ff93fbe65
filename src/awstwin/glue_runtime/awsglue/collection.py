"""DynamicFrameCollection: named DynamicFrames, as relationalize, split_fields and split_rows return.

https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame-collection.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from awsglue._local.guard import Guarded

if TYPE_CHECKING:
    from awsglue.context import GlueContext
    from awsglue.dynamicframe import DynamicFrame


class DynamicFrameCollection(Guarded):
    _glue_owner = "DynamicFrameCollection"

    def __init__(self, dynamic_frames: dict[str, DynamicFrame], glue_ctx: GlueContext | None):
        self._frames = dict(dynamic_frames)
        self.glue_ctx = glue_ctx

    def __getitem__(self, key: str) -> DynamicFrame:
        return self.select(key)

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def keys(self) -> list[str]:
        return list(self._frames)

    def values(self) -> list[DynamicFrame]:
        return list(self._frames.values())

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        """The frame named `key`; a KeyError naming the keys there are when it is not there."""
        if key not in self._frames:
            raise KeyError(f"DynamicFrameCollection has no frame {key!r}; its keys are {self.keys()}")
        return self._frames[key]

    def map(self, callable: Callable[[DynamicFrame, str], DynamicFrame], transformation_ctx: str = "") -> Any:  # noqa: A002
        """A new collection of `callable(frame, transformation_ctx)` for every frame (same keys)."""
        return DynamicFrameCollection(
            {key: callable(frame, f"{transformation_ctx}_{key}") for key, frame in self._frames.items()},
            self.glue_ctx,
        )

    def flatMap(self, f: Callable[[DynamicFrame, str], Any], transformation_ctx: str = "") -> Any:  # noqa: N802
        """`f(frame, ctx)` for every frame; a result that is a collection is merged in, key by key."""
        merged: dict[str, DynamicFrame] = {}
        for key, frame in self._frames.items():
            result = f(frame, f"{transformation_ctx}_{key}")
            if isinstance(result, DynamicFrameCollection):
                for inner_key, inner in result._frames.items():
                    merged[f"{key}_{inner_key}" if inner_key in merged else inner_key] = inner
            else:
                merged[key] = result
        return DynamicFrameCollection(merged, self.glue_ctx)

    def __repr__(self) -> str:
        return f"DynamicFrameCollection({self.keys()})"
