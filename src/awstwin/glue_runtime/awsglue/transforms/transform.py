"""The shape every Glue transform shares: `Transform.apply(...)` == `Transform()(...)`."""

from __future__ import annotations

from typing import Any


class GlueTransform:
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError
