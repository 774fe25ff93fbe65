"""The shape every Glue transform shares: `Transform.apply(...)` == `Transform()(...)`, plus the
`describe*` class methods of
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-GlueTransform.html
(read from the transform's own `__call__` signature and docstring)."""

from __future__ import annotations

import inspect
from typing import Any

from awsglue._local.guard import Guarded


class GlueTransform(Guarded):
    _glue_owner = "transforms"

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    @classmethod
    def describeArgs(cls) -> list[dict[str, Any]]:  # noqa: N802
        arguments = []
        for parameter in list(inspect.signature(cls.__call__).parameters.values())[1:]:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            optional = parameter.default is not inspect.Parameter.empty
            arguments.append(
                {
                    "name": parameter.name,
                    "type": getattr(parameter.annotation, "__name__", str(parameter.annotation)),
                    "description": "",
                    "optional": optional,
                    "defaultValue": repr(parameter.default) if optional else None,
                }
            )
        return arguments

    @classmethod
    def describeReturn(cls) -> dict[str, str]:  # noqa: N802
        returned = inspect.signature(cls.__call__).return_annotation
        return {"type": getattr(returned, "__name__", str(returned)), "description": ""}

    @classmethod
    def describeTransform(cls) -> str:  # noqa: N802
        return inspect.getdoc(cls.__call__) or inspect.getdoc(cls) or ""

    @classmethod
    def describeErrors(cls) -> list[dict[str, str]]:  # noqa: N802
        return []

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "transform": {"name": cls.name(), "description": cls.describeTransform()},
            "args": cls.describeArgs(),
            "returns": cls.describeReturn(),
            "raises": cls.describeErrors(),
        }
