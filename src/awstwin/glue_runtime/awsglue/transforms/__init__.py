"""Glue's transforms: classes whose `apply(frame=..., ...)` returns a new DynamicFrame (or collection).

Every class of https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms.html
that runs on PySpark alone (FindMatches, FillMissingValues and the other ML transforms live in
`awsglueml` on Glue, and EvaluateDataQuality in `awsgluedq`). Importing a name that is not here raises
GlueNotImplementedError with that page.
"""

from __future__ import annotations

from typing import Any

from awsglue._local.guard import missing_from_module
from awsglue.transforms.field_transforms import (
    DropFields,
    RenameField,
    SelectFields,
    SplitFields,
    Unbox,
    UnnestFrame,
)
from awsglue.transforms.structure_transforms import (
    ErrorsAsDynamicFrame,
    FlatMap,
    MapToCollection,
    Relationalize,
    SelectFromCollection,
    SimplifyDDBJson,
    UnnestDDBJson,
)
from awsglue.transforms.transform import GlueTransform
from awsglue.transforms.value_transforms import (
    ApplyMapping,
    DropNullFields,
    Filter,
    Join,
    Map,
    ResolveChoice,
    Spigot,
    SplitRows,
)

__all__ = [
    "GlueTransform",
    "ApplyMapping",
    "DropFields",
    "DropNullFields",
    "ErrorsAsDynamicFrame",
    "Filter",
    "FlatMap",
    "Join",
    "Map",
    "MapToCollection",
    "Relationalize",
    "RenameField",
    "ResolveChoice",
    "SelectFields",
    "SelectFromCollection",
    "SimplifyDDBJson",
    "Spigot",
    "SplitFields",
    "SplitRows",
    "Unbox",
    "UnnestDDBJson",
    "UnnestFrame",
]


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    raise missing_from_module("transforms", name)
