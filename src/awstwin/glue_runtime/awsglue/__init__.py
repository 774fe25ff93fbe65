"""A clean-room, local `awsglue`: the Glue ETL library's public API on plain PySpark.

Written from AWS's public documentation of the library, not from its code. Only the local job runner
puts this package on a job's PYTHONPATH; it is never installed, so it can never shadow real Glue.

- `utils`         getResolvedOptions
- `context`       GlueContext: readers, writers, logger
- `dynamicframe`  DynamicFrame over a Spark DataFrame
- `job`           Job.init / Job.commit
- `transforms`    ApplyMapping, ResolveChoice, DropNullFields, Filter, Join, Select/Drop/RenameField
- `_local/`       how the local twin does it: catalog tables, S3 paths, JDBC loads, Glue types
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
