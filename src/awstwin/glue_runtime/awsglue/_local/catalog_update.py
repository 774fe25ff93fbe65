"""A sink that updates the Data Catalog: create the table, update its schema, add its partitions.

What `getSink(..., enableUpdateCatalog=True, updateBehavior=..., partitionKeys=[...])` with
`setCatalogInfo` does on Glue
(https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html): after the files are written, the
table is created when it does not exist (columns from the frame, partition keys, the sink's format
and path); with `UPDATE_IN_DATABASE` (the default) new columns are added to an existing table, with
`LOG` its schema is left alone; new partitions are added in both cases. All through the Glue API.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame

from awsglue._local import clients
from awstwin.endpoint.glue.catalog.formats import FORMATS

UPDATE_BEHAVIORS = ("UPDATE_IN_DATABASE", "LOG")
SINK_FORMATS = {"csv": "csv", "json": "json", "parquet": "parquet", "glueparquet": "parquet"}


class CatalogUpdateError(Exception):
    """The sink cannot update the catalog as asked (unknown behaviour, unsupported format)."""


def hive_type(data_type: Any) -> str:
    """A Spark type as the Hive type name a catalog column gets (`bigint`, `struct<a:string>`)."""
    return data_type.simpleString()


def storage_descriptor(
    fmt: str, path: str, columns: list[dict[str, str]], with_header: bool
) -> dict[str, Any]:
    kind = SINK_FORMATS.get(fmt)
    if kind is None:
        raise CatalogUpdateError(
            f"enableUpdateCatalog with format {fmt!r}: "
            f"the catalog can be updated for {', '.join(SINK_FORMATS)}"
        )
    spec = FORMATS[kind]
    serde_params = {"field.delim": ","} if kind == "csv" else {}
    return {
        "Columns": columns,
        "Location": path.rstrip("/") + "/",
        "InputFormat": spec.input_format,
        "OutputFormat": spec.output_format,
        "SerdeInfo": {"SerializationLibrary": spec.serde, "Parameters": serde_params},
        "Parameters": {"classification": spec.classification},
    }


def update(
    frame: DataFrame,
    database: str,
    table_name: str,
    path: str,
    fmt: str,
    partition_keys: list[str],
    update_behavior: str = "UPDATE_IN_DATABASE",
    catalog_id: str | None = None,
    with_header: bool = True,
) -> None:
    if update_behavior not in UPDATE_BEHAVIORS:
        raise CatalogUpdateError(f"updateBehavior {update_behavior!r} is not one of {UPDATE_BEHAVIORS}")
    glue = clients.client("glue")
    ids = {"CatalogId": catalog_id} if catalog_id else {}
    columns = [
        {"Name": f.name, "Type": hive_type(f.dataType)}
        for f in frame.schema.fields
        if f.name not in partition_keys
    ]
    keys = [{"Name": k, "Type": hive_type(frame.schema[k].dataType)} for k in partition_keys]
    try:
        table = glue.get_table(DatabaseName=database, Name=table_name, **ids)["Table"]
    except glue.exceptions.EntityNotFoundException:
        table = None
    if table is None:
        sd = storage_descriptor(fmt, path, columns, with_header)
        params = {"classification": sd["Parameters"]["classification"]}
        if SINK_FORMATS[fmt] == "csv" and with_header:
            params["skip.header.line.count"] = "1"
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": table_name,
                "TableType": "EXTERNAL_TABLE",
                "StorageDescriptor": sd,
                "PartitionKeys": keys,
                "Parameters": params,
            },
            **ids,
        )
        table = glue.get_table(DatabaseName=database, Name=table_name, **ids)["Table"]
    elif update_behavior == "UPDATE_IN_DATABASE":
        _add_new_columns(glue, table, columns, ids)
    if partition_keys:
        _add_partitions(glue, table, frame, partition_keys, ids)


def _table_input(table: dict[str, Any]) -> dict[str, Any]:
    allowed = (
        "Name",
        "Description",
        "Owner",
        "Retention",
        "StorageDescriptor",
        "PartitionKeys",
        "ViewOriginalText",
        "ViewExpandedText",
        "TableType",
        "Parameters",
    )
    return {k: v for k, v in table.items() if k in allowed}


def add_frame_columns(frame: DataFrame, table: dict[str, Any], catalog_id: str | None = None) -> bool:
    """Add the frame's fields the table lacks as columns; True when the table changed."""
    keys = {k["Name"].lower() for k in table.get("PartitionKeys") or []}
    columns = [
        {"Name": f.name, "Type": hive_type(f.dataType)}
        for f in frame.schema.fields
        if f.name.lower() not in keys
    ]
    before = len((table.get("StorageDescriptor") or {}).get("Columns") or [])
    ids = {"CatalogId": catalog_id} if catalog_id else {}
    return _add_new_columns(clients.client("glue"), table, columns, ids) > before


def _add_new_columns(
    glue: Any, table: dict[str, Any], columns: list[dict[str, str]], ids: dict[str, str]
) -> int:
    sd = table.get("StorageDescriptor") or {}
    existing = {c["Name"].lower() for c in sd.get("Columns") or []}
    existing |= {c["Name"].lower() for c in table.get("PartitionKeys") or []}
    added = [c for c in columns if c["Name"].lower() not in existing]
    if not added:
        return len(sd.get("Columns") or [])
    table_input = _table_input(table)
    table_input["StorageDescriptor"] = {**sd, "Columns": [*(sd.get("Columns") or []), *added]}
    glue.update_table(DatabaseName=table["DatabaseName"], TableInput=table_input, **ids)
    return len(table_input["StorageDescriptor"]["Columns"])


def _add_partitions(
    glue: Any, table: dict[str, Any], frame: DataFrame, keys: list[str], ids: dict[str, str]
) -> None:
    database, name = table["DatabaseName"], table["Name"]
    existing = {
        tuple(p["Values"]) for p in clients.get_partitions(database, name, catalog_id=ids.get("CatalogId"))
    }
    values = sorted(
        {tuple("" if v is None else str(v) for v in row) for row in frame.select(*keys).distinct().collect()}
    )
    sd = table.get("StorageDescriptor") or {}
    location = (sd.get("Location") or "").rstrip("/")
    inputs = [
        {
            "Values": list(row),
            "StorageDescriptor": {
                **sd,
                "Location": location
                + "/"
                + "/".join(f"{k}={v}" for k, v in zip(keys, row, strict=True))
                + "/",
            },
        }
        for row in values
        if row not in existing
    ]
    for start in range(0, len(inputs), 100):
        glue.batch_create_partition(
            DatabaseName=database, TableName=name, PartitionInputList=inputs[start : start + 100], **ids
        )
