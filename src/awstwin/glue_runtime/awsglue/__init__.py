"""A clean-room, local `awsglue`: the Glue ETL library's public API on plain PySpark.

Written from AWS's public documentation of the library, not from its code. Only the local job runner
puts this package on a job's PYTHONPATH; it is never installed, so it can never shadow real Glue.

- `utils`         getResolvedOptions
- `context`       GlueContext: readers, writers, getSource / getSink, purge_*, logger
- `dynamicframe`  DynamicFrame over a Spark DataFrame (every method of the PySpark reference)
- `collection`    DynamicFrameCollection
- `data_source`, `data_sink`  DataSource / DataSink (setFormat, setCatalogInfo, writeFrame)
- `job`           Job.init / Job.commit (job bookmarks)
- `transforms`    every PySpark transform class (Relationalize, Map, SplitRows, Spigot, Unbox, ...)
- `_local/`       how the local twin does it: catalog tables, choice types, records and error records,
                  relationalize, DynamoDB JSON, S3 paths and Glue file names, JDBC reads and loads
A member the reference documents but this runtime lacks raises GlueNotImplementedError naming it
and the reference page (`_local/guard.py`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DynamicFrame"]


def __getattr__(name: str) -> Any:
    # Lazy, so `from awsglue.utils import getResolvedOptions` works in Python shell jobs without Spark.
    if name == "DynamicFrame":
        from awsglue.dynamicframe import DynamicFrame

        return DynamicFrame
    raise AttributeError(f"module 'awsglue' has no attribute {name!r}")
