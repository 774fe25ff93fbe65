"""Partitions: create, get (with the `Expression` filter and paging), update, delete, and batches."""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.partition_filter import PartitionFilter
from awstwin.endpoint.glue.catalog.state import CatalogState, Doc, clone, now, partition_key
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.operations import handler


def _describe(values: list[str]) -> str:
    return "(" + ", ".join(values) + ")"


class PartitionApi:
    state: CatalogState

    def _check_values(self, table: Doc, values: list[str]) -> None:
        keys = table.get("PartitionKeys") or []
        if len(values) != len(keys):
            names = ", ".join(k["Name"] for k in keys) or "none"
            raise InvalidInputException(
                f"Partition values {_describe(values)} do not match the partition keys of table "
                f"{table['Name']} ({names}): give one value per key"
            )

    def _find(self, DatabaseName: str, TableName: str, values: list[str]) -> Doc:
        found = self.state.table_partitions(DatabaseName, TableName).get(partition_key(values))
        if found is None:
            raise EntityNotFoundException(
                f"Partition {_describe(values)} not found in table {TableName} of database {DatabaseName}."
            )
        return found

    def _new_partition(self, table: Doc, partition_input: Doc) -> Doc:
        values = list(partition_input.get("Values") or [])
        self._check_values(table, values)
        partition = {k: v for k, v in clone(partition_input).items() if v is not None}
        partition.update(
            Values=values,
            DatabaseName=table["DatabaseName"],
            TableName=table["Name"],
            CatalogId=self.state.catalog_id,
            CreationTime=now(),
        )
        partition.setdefault("Parameters", {})
        return partition

    @handler("CreatePartition")
    def create_partition(
        self, DatabaseName: str, TableName: str, PartitionInput: Doc, CatalogId: str | None = None
    ) -> Doc:
        """Adds one partition (values, location, format) to a catalog table."""
        with self.state.lock:
            self._add(DatabaseName, TableName, PartitionInput)
            self.state.save()
        return {}

    def _add(self, DatabaseName: str, TableName: str, partition_input: Doc) -> None:
        table = self.state.table(DatabaseName, TableName)
        partitions = self.state.table_partitions(DatabaseName, TableName)
        partition = self._new_partition(table, partition_input)
        key = partition_key(partition["Values"])
        if key in partitions:
            raise AlreadyExistsException(
                f"Partition {_describe(partition['Values'])} already exists in table {TableName} "
                f"of database {DatabaseName}."
            )
        partitions[key] = partition

    @handler("BatchCreatePartition")
    def batch_create_partition(
        self,
        DatabaseName: str,
        TableName: str,
        PartitionInputList: list[Doc],
        CatalogId: str | None = None,
    ) -> Doc:
        """Adds partitions to a catalog table; each one that fails is reported in Errors."""
        errors = []
        with self.state.lock:
            self.state.table(DatabaseName, TableName)
            for item in PartitionInputList:
                try:
                    self._add(DatabaseName, TableName, item)
                except AwsError as exc:
                    errors.append(_error(item.get("Values") or [], exc))
            self.state.save()
        return {"Errors": errors}

    @handler("GetPartition")
    def get_partition(
        self,
        DatabaseName: str,
        TableName: str,
        PartitionValues: list[str],
        CatalogId: str | None = None,
        AuditContext: dict[str, Any] | None = None,
    ) -> Doc:
        """Returns one partition of a table by its values."""
        with self.state.lock:
            return {"Partition": clone(self._find(DatabaseName, TableName, PartitionValues))}

    @handler("GetPartitions", page_size=1000)
    def get_partitions(
        self,
        DatabaseName: str,
        TableName: str,
        Expression: str | None = None,
        Segment: Doc | None = None,
        ExcludeColumnSchema: bool = False,
        CatalogId: str | None = None,
        TransactionId: str | None = None,
        QueryAsOfTime: Any | None = None,
        AuditContext: dict[str, Any] | None = None,
    ) -> Doc:
        """Lists a table's partitions, filtered by an Expression over the partition keys (as sensors send),
        paged."""
        with self.state.lock:
            table = self.state.table(DatabaseName, TableName)
            everything = list(self.state.table_partitions(DatabaseName, TableName).values())
            selected = [clone(p) for p in everything]
        if Expression and Expression.strip():
            condition = PartitionFilter(Expression, table.get("PartitionKeys") or [])
            selected = [p for p in selected if condition.matches(p["Values"])]
        if Segment:
            number, total = Segment["SegmentNumber"], Segment["TotalSegments"]
            if not 0 <= number < total:
                raise InvalidInputException(f"SegmentNumber {number} is outside 0..{total - 1}")
            selected = selected[number::total]
        if ExcludeColumnSchema:
            for partition in selected:
                (partition.get("StorageDescriptor") or {}).pop("Columns", None)
        return {"Partitions": selected}

    @handler("BatchGetPartition")
    def batch_get_partition(
        self,
        DatabaseName: str,
        TableName: str,
        PartitionsToGet: list[Doc],
        CatalogId: str | None = None,
        AuditContext: dict[str, Any] | None = None,
        QuerySessionContext: dict[str, Any] | None = None,
    ) -> Doc:
        """Returns the partitions that exist; missing ones are simply absent, as on AWS."""
        with self.state.lock:
            partitions = self.state.table_partitions(DatabaseName, TableName)
            found = [partitions.get(partition_key(item["Values"])) for item in PartitionsToGet]
            return {"Partitions": [clone(p) for p in found if p is not None], "UnprocessedKeys": []}

    @handler("UpdatePartition")
    def update_partition(
        self,
        DatabaseName: str,
        TableName: str,
        PartitionValueList: list[str],
        PartitionInput: Doc,
        CatalogId: str | None = None,
    ) -> Doc:
        """Replaces one partition's definition (its values may change)."""
        with self.state.lock:
            self._replace(DatabaseName, TableName, PartitionValueList, PartitionInput)
            self.state.save()
        return {}

    def _replace(self, DatabaseName: str, TableName: str, values: list[str], partition_input: Doc) -> None:
        old = self._find(DatabaseName, TableName, values)
        table = self.state.table(DatabaseName, TableName)
        merged = {"Values": old["Values"], **partition_input}
        partition = self._new_partition(table, merged)
        partition["CreationTime"] = old["CreationTime"]
        partitions = self.state.table_partitions(DatabaseName, TableName)
        del partitions[partition_key(old["Values"])]
        new_key = partition_key(partition["Values"])
        if new_key in partitions:
            partitions[partition_key(old["Values"])] = old
            raise AlreadyExistsException(f"Partition {_describe(partition['Values'])} already exists.")
        partitions[new_key] = partition

    @handler("BatchUpdatePartition")
    def batch_update_partition(
        self, DatabaseName: str, TableName: str, Entries: list[Doc], CatalogId: str | None = None
    ) -> Doc:
        """Replaces the definitions of several partitions; each failure is reported in Errors."""
        errors = []
        with self.state.lock:
            for entry in Entries:
                try:
                    self._replace(
                        DatabaseName, TableName, entry["PartitionValueList"], entry["PartitionInput"]
                    )
                except AwsError as exc:
                    # BatchUpdatePartitionFailureEntry names the values PartitionValueList
                    failure = _error(entry["PartitionValueList"], exc)
                    errors.append({"PartitionValueList": failure.pop("PartitionValues"), **failure})
            self.state.save()
        return {"Errors": errors}

    @handler("DeletePartition")
    def delete_partition(
        self,
        DatabaseName: str,
        TableName: str,
        PartitionValues: list[str],
        CatalogId: str | None = None,
    ) -> Doc:
        """Deletes one partition of a table (its files stay in S3, as on AWS)."""
        with self.state.lock:
            self._find(DatabaseName, TableName, PartitionValues)
            del self.state.table_partitions(DatabaseName, TableName)[partition_key(PartitionValues)]
            self.state.save()
        return {}

    @handler("BatchDeletePartition")
    def batch_delete_partition(
        self,
        DatabaseName: str,
        TableName: str,
        PartitionsToDelete: list[Doc],
        CatalogId: str | None = None,
    ) -> Doc:
        """Deletes partitions of a table by their values; missing ones are reported in Errors."""
        errors = []
        with self.state.lock:
            partitions = self.state.table_partitions(DatabaseName, TableName)
            for item in PartitionsToDelete:
                try:
                    self._find(DatabaseName, TableName, item["Values"])
                    del partitions[partition_key(item["Values"])]
                except AwsError as exc:
                    errors.append(_error(item["Values"], exc))
            self.state.save()
        return {"Errors": errors}


def _error(values: list[str], exc: AwsError) -> Doc:
    return {
        "PartitionValues": list(values),
        "ErrorDetail": {"ErrorCode": exc.code, "ErrorMessage": exc.message},
    }
