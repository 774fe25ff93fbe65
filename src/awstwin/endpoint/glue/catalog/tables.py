"""CreateTable / GetTable(s) / UpdateTable (with versions) / DeleteTable / SearchTables."""

from __future__ import annotations

import re
from typing import Any

from awstwin.endpoint.glue.catalog.state import CatalogState, Doc, clone, key_of, now
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.operations import handler


def name_pattern(expression: str) -> re.Pattern[str]:
    """GetTables/GetDatabases `Expression`: a regex over names where a bare `*` is a wildcard too.

    AWS accepts both `student.*` and `*perf*` (awswrangler sends the latter), and `a|b` alternatives;
    names are matched whole and case-insensitively.
    """
    text = re.sub(r"(?<![.\\\])])\*", ".*", expression)
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise InvalidInputException(f"Expression {expression!r} is not a valid name pattern: {exc}") from None


class TableApi:
    state: CatalogState

    def _tag(self, arn: str, tags: dict[str, str] | None) -> None:
        raise NotImplementedError

    def _untag_all(self, arn: str) -> None:
        raise NotImplementedError

    @staticmethod
    def _table_input(table_input: Doc) -> Doc:
        return {k: v for k, v in clone(table_input).items() if v is not None}

    @handler("CreateTable")
    def create_table(
        self,
        DatabaseName: str,
        TableInput: Doc,
        CatalogId: str | None = None,
        Name: str | None = None,
        PartitionIndexes: list[Any] | None = None,
        TransactionId: str | None = None,
        OpenTableFormatInput: dict[str, Any] | None = None,
    ) -> Doc:
        """Creates a catalog table (columns, partition keys, location, SerDe); Athena and jobs read it."""
        name = TableInput["Name"]
        with self.state.lock:
            db = self.state.database(DatabaseName)["Name"]
            tables = self.state.tables.setdefault(db, {})
            if key_of(name) in tables:
                raise AlreadyExistsException(f"Table {name} already exists in database {DatabaseName}.")
            stamp = now()
            table = self._table_input(TableInput)
            table.update(
                Name=key_of(name),
                DatabaseName=db,
                CatalogId=self.state.catalog_id,
                CreateTime=stamp,
                UpdateTime=stamp,
                IsRegisteredWithLakeFormation=False,
                VersionId="0",
            )
            table.setdefault("PartitionKeys", [])
            table.setdefault("Retention", 0)
            tables[key_of(name)] = table
            self.state.save()
        return {}

    @handler("GetTable")
    def get_table(
        self,
        DatabaseName: str,
        Name: str,
        CatalogId: str | None = None,
        TransactionId: str | None = None,
        QueryAsOfTime: Any | None = None,
        AuditContext: dict[str, Any] | None = None,
        IncludeStatusDetails: bool | None = None,
        AttributesToGet: list[Any] | None = None,
    ) -> Doc:
        """Returns a catalog table (what crawlers, Athena DDL and CreateTable wrote)."""
        with self.state.lock:
            return {"Table": clone(self.state.table(DatabaseName, Name))}

    @handler("GetTables", page_size=100)
    def get_tables(
        self,
        DatabaseName: str,
        Expression: str | None = None,
        CatalogId: str | None = None,
        TransactionId: str | None = None,
        QueryAsOfTime: Any | None = None,
        AuditContext: dict[str, Any] | None = None,
        ResourceShareType: str | None = None,
        IncludeStatusDetails: bool | None = None,
        AttributesToGet: list[Any] | None = None,
    ) -> Doc:
        """Lists a database's tables, filtered by a name Expression, paged."""
        pattern = name_pattern(Expression) if Expression else None
        with self.state.lock:
            db = self.state.database(DatabaseName)["Name"]
            tables = self.state.tables.get(db, {})
            items = [
                clone(tables[k])
                for k in sorted(tables)
                if pattern is None or pattern.fullmatch(tables[k]["Name"])
            ]
        return {"TableList": items}

    @handler("UpdateTable")
    def update_table(
        self,
        DatabaseName: str,
        TableInput: Doc,
        SkipArchive: bool = False,
        VersionId: str | None = None,
        CatalogId: str | None = None,
        Name: str | None = None,
        TransactionId: str | None = None,
        ViewUpdateAction: str | None = None,
        Force: bool | None = None,
        UpdateOpenTableFormatInput: dict[str, Any] | None = None,
    ) -> Doc:
        """Replaces a table's definition; the previous one is kept as a version unless SkipArchive."""
        with self.state.lock:
            old = self.state.table(DatabaseName, TableInput["Name"])
            if VersionId is not None and VersionId != old["VersionId"]:
                raise InvalidInputException(
                    f"VersionId {VersionId} of table {old['Name']} is not the current one "
                    f"({old['VersionId']}); get the table again and retry"
                )
            table = self._table_input(TableInput)
            table.update(
                Name=old["Name"],
                DatabaseName=old["DatabaseName"],
                CatalogId=old["CatalogId"],
                CreateTime=old["CreateTime"],
                UpdateTime=now(),
                IsRegisteredWithLakeFormation=False,
                VersionId=str(int(old["VersionId"]) + 1),
            )
            # An input without PartitionKeys keeps the table's: dropping them would orphan its partitions.
            table.setdefault("PartitionKeys", old.get("PartitionKeys", []))
            table.setdefault("Retention", 0)
            if not SkipArchive:
                self.state.versions.setdefault(old["DatabaseName"], {}).setdefault(old["Name"], []).append(
                    old
                )
            self.state.tables[old["DatabaseName"]][old["Name"]] = table
            self.state.save()
        return {}

    def _drop_table(self, db: str, name: str) -> None:
        del self.state.tables[db][name]
        self.state.versions.get(db, {}).pop(name, None)
        self.state.partitions.get(db, {}).pop(name, None)

    @handler("DeleteTable")
    def delete_table(
        self, DatabaseName: str, Name: str, CatalogId: str | None = None, TransactionId: str | None = None
    ) -> Doc:
        """Deletes a table with its versions and partitions (its files stay in S3, as on AWS)."""
        with self.state.lock:
            table = self.state.table(DatabaseName, Name)
            self._drop_table(table["DatabaseName"], table["Name"])
            self.state.save()
        self._untag_all(self.state.arn("table", table["DatabaseName"], table["Name"]))
        return {}

    @handler("BatchDeleteTable")
    def batch_delete_table(
        self,
        DatabaseName: str,
        TablesToDelete: list[str],
        CatalogId: str | None = None,
        TransactionId: str | None = None,
    ) -> Doc:
        """Deletes tables of a database with their versions and partitions; missing ones go to Errors."""
        errors = []
        for name in TablesToDelete:
            try:
                self.delete_table(DatabaseName=DatabaseName, Name=name)
            except EntityNotFoundException as exc:
                errors.append(
                    {"TableName": name, "ErrorDetail": {"ErrorCode": exc.code, "ErrorMessage": exc.message}}
                )
        return {"Errors": errors}

    # -- versions -------------------------------------------------------------------------------
    def _all_versions(self, DatabaseName: str, TableName: str) -> list[Doc]:
        current = self.state.table(DatabaseName, TableName)
        archived = self.state.versions.get(current["DatabaseName"], {}).get(current["Name"], [])
        return [current, *reversed(archived)]

    @handler("GetTableVersions", page_size=100)
    def get_table_versions(
        self,
        DatabaseName: str,
        TableName: str,
        CatalogId: str | None = None,
        AuditContext: dict[str, Any] | None = None,
    ) -> Doc:
        """Lists every version of a table, newest first, the current definition included."""
        with self.state.lock:
            items = [
                {"Table": clone(t), "VersionId": t["VersionId"]}
                for t in self._all_versions(DatabaseName, TableName)
            ]
        return {"TableVersions": items}

    @handler("GetTableVersion")
    def get_table_version(
        self,
        DatabaseName: str,
        TableName: str,
        VersionId: str | None = None,
        CatalogId: str | None = None,
        AuditContext: dict[str, Any] | None = None,
    ) -> Doc:
        """Returns one version of a table (the current one when no VersionId is given)."""
        with self.state.lock:
            versions = self._all_versions(DatabaseName, TableName)
            if VersionId is None:
                found = versions[0]
            else:
                found = next((t for t in versions if t["VersionId"] == VersionId), None)
                if found is None:
                    raise EntityNotFoundException(
                        f"Version {VersionId} of table {TableName} not found in database {DatabaseName}."
                    )
            return {"TableVersion": {"Table": clone(found), "VersionId": found["VersionId"]}}

    @handler("DeleteTableVersion")
    def delete_table_version(
        self, DatabaseName: str, TableName: str, VersionId: str, CatalogId: str | None = None
    ) -> Doc:
        """Deletes an archived version of a table (never the current one)."""
        with self.state.lock:
            current = self.state.table(DatabaseName, TableName)
            archived = self.state.versions.get(current["DatabaseName"], {}).get(current["Name"], [])
            kept = [t for t in archived if t["VersionId"] != VersionId]
            if len(kept) == len(archived):
                raise EntityNotFoundException(
                    f"Version {VersionId} of table {TableName} is not an archived version "
                    f"(the current version {current['VersionId']} cannot be deleted)."
                )
            archived[:] = kept
            self.state.save()
        return {}

    # -- search ---------------------------------------------------------------------------------
    @handler("SearchTables", page_size=100)
    def search_tables(
        self,
        SearchText: str | None = None,
        Filters: list[Doc] | None = None,
        CatalogId: str | None = None,
        SortCriteria: list[Any] | None = None,
        ResourceShareType: str | None = None,
        IncludeStatusDetails: bool | None = None,
    ) -> Doc:
        """Searches tables by text (names, descriptions, columns, parameters) and by Filters."""
        with self.state.lock:
            everything = [
                clone(t) for db in sorted(self.state.tables) for _, t in sorted(self.state.tables[db].items())
            ]
        found = [t for t in everything if _matches_text(t, SearchText) and _matches_filters(t, Filters or [])]
        return {"TableList": found}


def _searchable(table: Doc) -> str:
    sd = table.get("StorageDescriptor") or {}
    words = [table["Name"], table["DatabaseName"], table.get("Description", "")]
    words += [c["Name"] for c in sd.get("Columns", []) + table.get("PartitionKeys", [])]
    words += [f"{k} {v}" for k, v in (table.get("Parameters") or {}).items()]
    return " ".join(words).lower()


def _matches_text(table: Doc, text: str | None) -> bool:
    return not text or text.lower() in _searchable(table)


def _matches_filters(table: Doc, filters: list[Doc]) -> bool:
    for item in filters:
        key, value = item.get("Key", ""), item.get("Value", "")
        actual = table.get(key, (table.get("Parameters") or {}).get(key))
        comparator = item.get("Comparator", "EQUALS")
        if actual is None:
            return False
        actual = str(actual)
        ok = {
            "EQUALS": actual == value,
            "GREATER_THAN": actual > value,
            "LESS_THAN": actual < value,
            "GREATER_THAN_EQUALS": actual >= value,
            "LESS_THAN_EQUALS": actual <= value,
        }.get(comparator, False)
        if not ok:
            return False
    return True
