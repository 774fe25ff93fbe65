"""Glue's transforms: classes whose `apply(frame=..., ...)` returns a new DynamicFrame."""

from __future__ import annotations

from awsglue.transforms.field_transforms import DropFields, RenameField, SelectFields
from awsglue.transforms.transform import GlueTransform
from awsglue.transforms.value_transforms import ApplyMapping, DropNullFields, Filter, Join, ResolveChoice

__all__ = [
    "GlueTransform",
    "ApplyMapping",
    "ResolveChoice",
    "DropNullFields",
    "Filter",
    "Join",
    "SelectFields",
    "DropFields",
    "RenameField",
]
