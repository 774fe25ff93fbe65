"""The Glue Data Catalog.

- `models.py`            `CatalogBackend`: every catalog operation, on the wire and in-process
- `state.py`             the state (dicts shaped like Glue's output), its lock and state file, paging
- `databases.py`, `tables.py`, `partitions.py`, `connections.py`   one group of operations each
- `partition_filter.py`  GetPartitions' `Expression` (parsed with sqlglot, typed by partition key)
- `formats.py`           how every reader interprets a table's StorageDescriptor
"""
