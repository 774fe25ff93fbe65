"""What every DDL statement reads from the Glue catalog, through the catalog's own API."""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.athena import dialect
from awstwin.endpoint.athena.ddl.tokens import database_not_found, table_not_found
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.s3access import S3Access

# Glue Table keys that a TableInput (UpdateTable) accepts
TABLE_INPUT_KEYS = (
    "Name",
    "Description",
    "Owner",
    "LastAccessTime",
    "LastAnalyzedTime",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "TargetTable",
)


class CatalogAccess:
    """The catalog backend (the object Glue serves), the S3 files, and the session's database."""

    def __init__(self, catalog: Any, s3: S3Access, context_db: str):
        self.catalog = catalog
        self.s3 = s3
        self.db = context_db or dialect.DEFAULT_DATABASE

    # -- catalog helpers -------------------------------------------------------------------------
    def _database_exists(self, name: str) -> bool:
        try:
            self.catalog.get_database(Name=name)
            return True
        except AwsError:
            return False

    def _table(self, database: str, name: str) -> dict[str, Any]:
        if not self._database_exists(database):
            raise database_not_found(database)
        try:
            return self.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            raise table_not_found(database, name) from None

    def _tables(self, database: str) -> list[dict[str, Any]]:
        if not self._database_exists(database):
            raise database_not_found(database)
        return list(self.catalog.get_tables(DatabaseName=database).get("TableList") or [])

    def _databases(self) -> list[dict[str, Any]]:
        return list(self.catalog.get_databases().get("DatabaseList") or [])

    def _update_table(self, database: str, table: dict[str, Any]) -> None:
        table_input = {k: table[k] for k in TABLE_INPUT_KEYS if table.get(k) is not None}
        self.catalog.update_table(DatabaseName=database, TableInput=table_input)
