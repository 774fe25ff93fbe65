"""CreateDatabase / GetDatabase(s) / UpdateDatabase / DeleteDatabase."""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.glue.catalog.state import CatalogState, Doc, clone, key_of, now
from awstwin.endpoint.glue.exceptions import AlreadyExistsException
from awstwin.endpoint.operations import handler


class DatabaseApi:
    state: CatalogState

    def _tag(self, arn: str, tags: dict[str, str] | None) -> None:
        raise NotImplementedError

    def _untag_all(self, arn: str) -> None:
        raise NotImplementedError

    def _database_out(self, db: Doc) -> Doc:
        return clone(db)

    @handler("CreateDatabase")
    def create_database(
        self, DatabaseInput: Doc, CatalogId: str | None = None, Tags: dict[str, str] | None = None
    ) -> Doc:
        """Creates a Data Catalog database (names are lower-cased, as Glue does)."""
        name = DatabaseInput["Name"]
        with self.state.lock:
            if key_of(name) in self.state.databases:
                raise AlreadyExistsException(f"Database {name} already exists.")
            db = {k: v for k, v in clone(DatabaseInput).items() if v is not None}
            db.update(Name=key_of(name), CreateTime=now(), CatalogId=self.state.catalog_id)
            db.setdefault("Parameters", {})
            db.setdefault(
                "CreateTableDefaultPermissions",
                [
                    {
                        "Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
                        "Permissions": ["ALL"],
                    }
                ],
            )
            self.state.databases[key_of(name)] = db
            self.state.save()
        self._tag(self.state.arn("database", key_of(name)), Tags)
        return {}

    @handler("GetDatabase")
    def get_database(self, Name: str, CatalogId: str | None = None) -> Doc:
        """Returns a catalog database."""
        with self.state.lock:
            return {"Database": self._database_out(self.state.database(Name))}

    @handler("GetDatabases", page_size=100)
    def get_databases(
        self,
        CatalogId: str | None = None,
        ResourceShareType: str | None = None,
        AttributesToGet: list[Any] | None = None,
    ) -> Doc:
        """Lists the catalog's databases, paged."""
        with self.state.lock:
            items = [self._database_out(self.state.databases[k]) for k in sorted(self.state.databases)]
        return {"DatabaseList": items}

    @handler("UpdateDatabase")
    def update_database(self, Name: str, DatabaseInput: Doc, CatalogId: str | None = None) -> Doc:
        """Replaces a database's description, location and parameters."""
        with self.state.lock:
            old = self.state.database(Name)
            db = {k: v for k, v in clone(DatabaseInput).items() if v is not None}
            db.update(Name=old["Name"], CreateTime=old["CreateTime"], CatalogId=old["CatalogId"])
            db.setdefault("Parameters", {})
            if "CreateTableDefaultPermissions" in old:
                db.setdefault("CreateTableDefaultPermissions", old["CreateTableDefaultPermissions"])
            self.state.databases[old["Name"]] = db
            self.state.save()
        return {}

    @handler("DeleteDatabase")
    def delete_database(self, Name: str, CatalogId: str | None = None) -> Doc:
        """Deletes a database with its tables, their versions and partitions, as Glue does."""
        with self.state.lock:
            db = self.state.database(Name)
            name = db["Name"]
            tables = list(self.state.tables.pop(name, {}))
            self.state.versions.pop(name, None)
            self.state.partitions.pop(name, None)
            del self.state.databases[name]
            self.state.save()
        self._untag_all(self.state.arn("database", name))
        for table in tables:
            self._untag_all(self.state.arn("table", name, table))
        return {}
