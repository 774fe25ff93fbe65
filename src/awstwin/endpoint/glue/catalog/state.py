"""The Data Catalog's state: plain dicts shaped like Glue's own output, one lock, one state file.

Every catalog API mixin (databases, tables, partitions, connections) works on a `CatalogState`.
Names are stored lower-case, as Glue stores database and table names, and looked up the same way.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from typing import Any

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.exceptions import EntityNotFoundException
from awstwin.endpoint.persistence import StateFile

Doc = dict[str, Any]


def now() -> float:
    return time.time()


def clone(value: Any) -> Any:
    """A deep copy, so callers (in-process engines too) can never mutate the catalog by accident."""
    return copy.deepcopy(value)


def key_of(name: str) -> str:
    return name.lower()


def partition_key(values: list[str]) -> str:
    return json.dumps(list(values))


# An account's Data Catalog has a `default` database, the one Athena's query editor and Spark use when
# none is named (https://docs.aws.amazon.com/athena/latest/ug/understanding-tables-databases-and-the-
# data-catalog.html: "the awsdatacatalog data source, the default database"). A new state starts with
# it; it can be deleted like any other database.
DEFAULT_DATABASE = "default"


def default_database(catalog_id: str) -> Doc:
    return {
        "Name": DEFAULT_DATABASE,
        "Description": "Default Hive database",
        "Parameters": {},
        "CreateTime": now(),
        "CatalogId": catalog_id,
        "CreateTableDefaultPermissions": [
            {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}
        ],
    }


class CatalogState:
    """Databases, tables (with versions), partitions and connections, persisted as one JSON file."""

    def __init__(self, ctx: EndpointContext):
        self.lock = threading.RLock()
        self.file = StateFile.under(ctx.state_dir, "glue", "catalog.json")
        self.catalog_id = ctx.settings.account_id
        self.region = ctx.settings.region
        saved = self.file.load() or {}
        self.databases: dict[str, Doc] = saved.get("databases", {})
        self.tables: dict[str, dict[str, Doc]] = saved.get("tables", {})
        self.versions: dict[str, dict[str, list[Doc]]] = saved.get("versions", {})
        self.partitions: dict[str, dict[str, dict[str, Doc]]] = saved.get("partitions", {})
        self.connections: dict[str, Doc] = saved.get("connections", {})
        if not saved:
            self.databases[DEFAULT_DATABASE] = default_database(self.catalog_id)

    def save(self) -> None:
        with self.lock:
            self.file.save(
                {
                    "databases": self.databases,
                    "tables": self.tables,
                    "versions": self.versions,
                    "partitions": self.partitions,
                    "connections": self.connections,
                }
            )

    # -- lookups that raise what AWS raises ---------------------------------------------------
    def database(self, name: str) -> Doc:
        db = self.databases.get(key_of(name))
        if db is None:
            raise EntityNotFoundException(f"Database {name} not found.")
        return db

    def table(self, database: str, name: str) -> Doc:
        self.database(database)
        table = self.tables.get(key_of(database), {}).get(key_of(name))
        if table is None:
            raise EntityNotFoundException(f"Table {name} not found in database {database}.")
        return table

    def table_partitions(self, database: str, table: str) -> dict[str, Doc]:
        self.table(database, table)
        return self.partitions.setdefault(key_of(database), {}).setdefault(key_of(table), {})

    def arn(self, kind: str, *names: str) -> str:
        return f"arn:aws:glue:{self.region}:{self.catalog_id}:{kind}/{'/'.join(names)}"
