"""The one builder of a Glue TableInput for an external table over S3 files.

Athena's CREATE EXTERNAL TABLE, Athena's CTAS and the crawler all register tables; they build the
same shape here (the defaults Glue itself fills in: no buckets, no sort columns, not compressed unless
said), so a table reads the same whoever made it.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


def storage_descriptor(
    *,
    columns: list[Doc],
    location: str,
    input_format: str,
    output_format: str,
    serde: Doc,
    compressed: bool = False,
    parameters: dict[str, str] | None = None,
) -> Doc:
    """A StorageDescriptor as Glue stores it (for a table, or a partition with its own location)."""
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": input_format,
        "OutputFormat": output_format,
        "Compressed": compressed,
        "NumberOfBuckets": -1,
        "SerdeInfo": serde,
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": dict(parameters or {}),
        "StoredAsSubDirectories": False,
    }


def external_table(
    name: str,
    descriptor: Doc,
    *,
    partition_keys: list[Doc],
    parameters: dict[str, str],
    description: str | None = None,
    owner: str | None = None,
) -> Doc:
    """A TableInput for an EXTERNAL_TABLE (its data stays where `descriptor`'s Location says)."""
    table: Doc = {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": partition_keys,
        "Retention": 0,
        "StorageDescriptor": descriptor,
    }
    if owner is not None:
        table["Owner"] = owner
    if description is not None:
        table["Description"] = description
    return table
