"""Athena's own view of the Glue catalog: data catalogs, databases and table metadata.

`AwsDataCatalog` is the Glue Data Catalog of the endpoint (`AthenaBackend.glue`); the
metadata calls read it as Athena presents it (TableMetadata.Parameters carries the storage details
Athena folds in: location, input/output formats, SerDe and its parameters).
"""

from __future__ import annotations

import re
from typing import Any

from awstwin.endpoint.athena.dialect import CATALOG_NAME
from awstwin.endpoint.athena.exceptions import InvalidRequestException, MetadataException
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.models import CatalogBackend
from awstwin.endpoint.operations import handler


def table_metadata(table: dict[str, Any]) -> dict[str, Any]:
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    params = dict(table.get("Parameters") or {})
    if table.get("TableType") != "VIRTUAL_VIEW":
        params.update(
            {
                "location": sd.get("Location", ""),
                "inputformat": sd.get("InputFormat", ""),
                "outputformat": sd.get("OutputFormat", ""),
                "serde.serialization.lib": serde.get("SerializationLibrary", ""),
            }
        )
        params.update({f"serde.param.{k}": v for k, v in (serde.get("Parameters") or {}).items()})
    metadata = {
        "Name": table["Name"],
        "CreateTime": table.get("CreateTime"),
        "LastAccessTime": table.get("LastAccessTime"),
        "TableType": table.get("TableType", "EXTERNAL_TABLE"),
        "Columns": [_column(c) for c in sd.get("Columns") or []],
        "PartitionKeys": [_column(c) for c in table.get("PartitionKeys") or []],
        "Parameters": {k: v for k, v in params.items() if v is not None},
    }
    return {k: v for k, v in metadata.items() if v is not None}


def _column(column: dict[str, Any]) -> dict[str, Any]:
    out = {"Name": column["Name"], "Type": column.get("Type", "string")}
    if column.get("Comment"):
        out["Comment"] = column["Comment"]
    return out


class CatalogApi:
    """Mixed into the backend: ListDataCatalogs, GetDataCatalog, databases and table metadata."""

    ctx: Any
    account: str
    glue: CatalogBackend

    def _check_catalog(self, name: str) -> None:
        if name.lower() != CATALOG_NAME.lower():
            raise MetadataException(
                f"Catalog {name} does not exist; the local Athena has one catalog, {CATALOG_NAME} (the Glue "
                "Data Catalog of this endpoint)"
            )

    @handler("ListDataCatalogs", page_size=50)
    def list_data_catalogs(self, WorkGroup: str | None = None) -> dict[str, Any]:
        """Lists the one data catalog, AwsDataCatalog (the endpoint's Glue)."""
        return {"DataCatalogsSummary": [{"CatalogName": CATALOG_NAME, "Type": "GLUE"}]}

    @handler("GetDataCatalog")
    def get_data_catalog(self, Name: str, WorkGroup: str | None = None) -> dict[str, Any]:
        """Describes AwsDataCatalog, the only catalog: the endpoint's Glue Data Catalog."""
        if Name.lower() != CATALOG_NAME.lower():
            raise InvalidRequestException(f"Catalog {Name} was not found; the only catalog is {CATALOG_NAME}")
        return {
            "DataCatalog": {
                "Name": CATALOG_NAME,
                "Description": "AWS Glue Data Catalog of the local endpoint",
                "Type": "GLUE",
                "Parameters": {"catalog-id": self.account},
            }
        }

    @handler("ListDatabases", page_size=50)
    def list_databases(
        self,
        CatalogName: str,
        WorkGroup: str | None = None,
        AttributesToGet: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Lists the Glue databases, paged."""
        self._check_catalog(CatalogName)
        databases: list[dict[str, Any]] = self.glue.get_databases()["DatabaseList"]
        items = [_database(d) for d in sorted(databases, key=lambda d: d["Name"])]
        return {"DatabaseList": items}

    @handler("GetDatabase")
    def get_database(
        self, CatalogName: str, DatabaseName: str, WorkGroup: str | None = None
    ) -> dict[str, Any]:
        """Returns a Glue database as Athena describes it."""
        self._check_catalog(CatalogName)
        try:
            database = self.glue.get_database(Name=DatabaseName)["Database"]
        except AwsError:
            raise MetadataException(
                f"Database {DatabaseName} does not exist in catalog {CatalogName}"
            ) from None
        return {"Database": _database(database)}

    @handler("ListTableMetadata", page_size=50)
    def list_table_metadata(
        self,
        CatalogName: str,
        DatabaseName: str,
        Expression: str | None = None,
        WorkGroup: str | None = None,
        AttributesToGet: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Lists a database's tables as Athena describes them, filtered by a name expression, paged."""
        self._check_catalog(CatalogName)
        try:
            self.glue.get_database(Name=DatabaseName)
        except AwsError:
            raise MetadataException(
                f"Database {DatabaseName} does not exist in catalog {CatalogName}"
            ) from None
        tables: list[dict[str, Any]] = self.glue.get_tables(DatabaseName=DatabaseName)["TableList"]
        if Expression:
            pattern = re.compile(
                Expression.replace("*", ".*") if ".*" not in Expression else Expression, re.I
            )
            tables = [t for t in tables if pattern.fullmatch(t["Name"])]
        items = [table_metadata(t) for t in sorted(tables, key=lambda t: t["Name"])]
        return {"TableMetadataList": items}

    @handler("GetTableMetadata")
    def get_table_metadata(
        self, CatalogName: str, DatabaseName: str, TableName: str, WorkGroup: str | None = None
    ) -> dict[str, Any]:
        """Returns a Glue table as Athena describes it (columns, partition keys, parameters)."""
        self._check_catalog(CatalogName)
        try:
            table = self.glue.get_table(DatabaseName=DatabaseName, Name=TableName)["Table"]
        except AwsError:
            raise MetadataException(
                f"Table {TableName} does not exist in database {DatabaseName} of catalog {CatalogName}"
            ) from None
        return {"TableMetadata": table_metadata(table)}


def _database(database: dict[str, Any]) -> dict[str, Any]:
    out = {"Name": database["Name"], "Parameters": dict(database.get("Parameters") or {})}
    if database.get("Description"):
        out["Description"] = database["Description"]
    return out
