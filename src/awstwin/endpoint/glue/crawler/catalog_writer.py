"""Writes what a crawl found into the Data Catalog, as the AWS crawler writes it.

`table_input` builds the StorageDescriptor and parameters the real crawler writes (FORMATS for
input/output formats and SerDe, crawler statistics as parameters). `CatalogWriter` applies the
crawler's SchemaChangePolicy, RecrawlPolicy and `Configuration` "CrawlerOutput" settings
(`OutputPolicy`) to tables and partitions and counts what changed.

A partition gets its own StorageDescriptor from its own files (columns, types, SerDe), as the AWS
crawler writes it, so a table whose partitions disagree on a type reads on Athena with
HIVE_PARTITION_SCHEMA_MISMATCH, as on AWS; `"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}`
makes every partition take the table's instead
(https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from awstwin.endpoint.glue.catalog.formats import FORMATS
from awstwin.endpoint.glue.catalog.table_input import external_table
from awstwin.endpoint.glue.catalog.table_input import storage_descriptor as catalog_storage_descriptor
from awstwin.endpoint.glue.crawler.classifiers import FileSchema, merge_fields
from awstwin.endpoint.glue.crawler.layout import ClassifiedFile, TablePlan, unique_name
from awstwin.endpoint.glue.exceptions import EntityNotFoundException

Doc = dict[str, Any]
# Statistics the crawler refreshes on every crawl; a change in them alone is no schema change.
STAT_PARAMETERS = ("recordCount", "averageRecordSize", "sizeKey", "objectCount")
DEPRECATED = "DEPRECATED_BY_CRAWLER"
UPDATED_BY = "UPDATED_BY_CRAWLER"
BATCH = 100


def _statistics(files: list[ClassifiedFile]) -> dict[str, str]:
    size = sum(f.obj.size for f in files)
    records = sum(f.schema.record_count for f in files)
    return {
        "recordCount": str(records),
        "averageRecordSize": str(size // records if records else 0),
        "sizeKey": str(size),
        "objectCount": str(len(files)),
    }


@dataclass(frozen=True)
class OutputPolicy:
    """The crawler `Configuration`'s "CrawlerOutput" settings."""

    partitions_inherit: bool = False  # Partitions.AddOrUpdateBehavior = InheritFromTable
    merge_new_columns: bool = False  # Tables.AddOrUpdateBehavior = MergeNewColumns

    @classmethod
    def from_configuration(cls, configuration: str | None) -> OutputPolicy:
        try:
            output = (json.loads(configuration) if configuration else {}).get("CrawlerOutput") or {}
        except (ValueError, AttributeError):
            return cls()
        partitions = output.get("Partitions") or {}
        tables = output.get("Tables") or {}
        return cls(
            partitions_inherit=partitions.get("AddOrUpdateBehavior") == "InheritFromTable",
            merge_new_columns=tables.get("AddOrUpdateBehavior") == "MergeNewColumns",
        )


def crawl_parameters(first: FileSchema, files: list[ClassifiedFile], crawler: str) -> dict[str, str]:
    params = {
        "classification": first.classification,
        "compressionType": first.compression,
        "typeOfData": "file",
        "CrawlerSchemaDeserializerVersion": "1.0",
        "CrawlerSchemaSerializerVersion": "1.0",
        UPDATED_BY: crawler,
        **_statistics(files),
    }
    if first.classification == "csv":
        params.update(
            delimiter=first.delimiter or ",",
            areColumnsQuoted=str(first.quoted).lower(),
            columnsOrdered="true",
        )
        if first.header:
            params["skip.header.line.count"] = "1"
    return params


def _serde(first: FileSchema, files: list[ClassifiedFile]) -> tuple[str, Doc]:
    """(FORMATS key, SerdeInfo) for files read with `first`'s settings."""
    if first.classification == "csv" and first.quoted:
        spec = FORMATS["csv-quoted"]
        return "csv-quoted", {
            "SerializationLibrary": spec.serde,
            "Parameters": {"separatorChar": first.delimiter or ",", "quoteChar": first.quote_char},
        }
    if first.classification == "csv":
        return "csv", {
            "SerializationLibrary": FORMATS["csv"].serde,
            "Parameters": {"field.delim": first.delimiter},
        }
    if first.classification == "json":
        paths = sorted({name for f in files for name in f.schema.json_paths})
        return "json", {
            "SerializationLibrary": FORMATS["json"].serde,
            "Parameters": {"paths": ",".join(paths)},
        }
    return "parquet", {
        "SerializationLibrary": FORMATS["parquet"].serde,
        "Parameters": {"serialization.format": "1"},
    }


def storage_descriptor(
    first: FileSchema, files: list[ClassifiedFile], columns: list[Doc], location: str, params: dict[str, str]
) -> Doc:
    key, serde = _serde(first, files)
    spec = FORMATS[key]
    return catalog_storage_descriptor(
        columns=columns,
        location=location,
        input_format=spec.input_format,
        output_format=spec.output_format,
        serde=serde,
        compressed=first.compression != "none",
        parameters=params,
    )


def column_docs(columns: list[tuple[str, str]]) -> list[Doc]:
    return [{"Name": n, "Type": t} for n, t in columns]


def table_input(plan: TablePlan, name: str, crawler: str, columns: list[Doc] | None = None) -> Doc:
    params = crawl_parameters(plan.schema, plan.files, crawler)
    columns = columns if columns is not None else column_docs(plan.columns)
    return external_table(
        name,
        storage_descriptor(plan.schema, plan.files, columns, plan.location, params),
        partition_keys=[{"Name": k, "Type": "string"} for k in plan.partition_keys],
        parameters=params,
        owner="owner",
    )


def partition_input(
    plan: TablePlan, index: int, table_columns: list[Doc], crawler: str, inherit: bool
) -> Doc:
    """A partition's own location and statistics, with its own schema and SerDe from its own files
    (what the AWS crawler writes), or the table's (`inherit`: InheritFromTable)."""
    partition = plan.partitions[index]
    params = crawl_parameters(partition.schema, partition.files, crawler)
    if inherit:
        first, files, columns = plan.schema, plan.files, table_columns
    else:
        first, files, columns = partition.schema, partition.files, column_docs(partition.columns)
    return {
        "Values": partition.values,
        "StorageDescriptor": storage_descriptor(first, files, columns, partition.location, params),
        "Parameters": params,
    }


@dataclass
class CrawlCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    partitions_added: int = 0


class CatalogWriter:
    """Applies one crawl's table plans to the catalog under the crawler's policies."""

    def __init__(
        self, catalog: Any, crawler: Doc, log: Callable[[str], None], counts: CrawlCounts | None = None
    ):
        self.catalog = catalog
        self.crawler = crawler
        self.name = crawler["Name"]
        self.database = crawler["DatabaseName"]
        self.prefix = crawler.get("TablePrefix") or ""
        policy = crawler.get("SchemaChangePolicy") or {}
        self.update_behavior = policy.get("UpdateBehavior") or "UPDATE_IN_DATABASE"
        self.delete_behavior = policy.get("DeleteBehavior") or "DEPRECATE_IN_DATABASE"
        recrawl = (crawler.get("RecrawlPolicy") or {}).get("RecrawlBehavior") or "CRAWL_EVERYTHING"
        self.new_folders_only = recrawl == "CRAWL_NEW_FOLDERS_ONLY"
        self.output = OutputPolicy.from_configuration(crawler.get("Configuration"))
        self.log = log
        self.counts = counts if counts is not None else CrawlCounts()
        self.written: set[str] = set()

    def ensure_database(self) -> None:
        try:
            self.catalog.get_database(Name=self.database)
        except EntityNotFoundException:
            self.catalog.create_database(DatabaseInput={"Name": self.database})
            self.log(f"INFO : Created database {self.database}")

    def _existing(self, name: str) -> Doc | None:
        try:
            return self.catalog.get_table(DatabaseName=self.database, Name=name)["Table"]
        except EntityNotFoundException:
            return None

    def _name_for(self, plan: TablePlan) -> tuple[str, Doc | None]:
        """The catalog name for a plan: a same-named table elsewhere keeps its name, we get a suffix."""
        name = unique_name(self.prefix + plan.name, plan.location, self.written)
        existing = self._existing(name)
        if existing is not None and existing.get("StorageDescriptor", {}).get("Location") != plan.location:
            name = unique_name(name, plan.location, {name})
            existing = self._existing(name)
        return name, existing

    def write(self, plan: TablePlan) -> None:
        name, existing = self._name_for(plan)
        self.written.add(name)
        if existing is None:
            table = table_input(plan, name, self.name)
            self.catalog.create_table(DatabaseName=self.database, TableInput=table)
            self.counts.created += 1
            columns = table["StorageDescriptor"]["Columns"]
            self.log(
                f"INFO : Created table {name} in database {self.database} with {len(columns)} columns "
                f"({plan.schema.classification}, {len(plan.files)} files, "
                f"{len(plan.partition_keys)} partition keys)"
            )
        else:
            columns = self._update(plan, name, existing)
        self._partitions(plan, name, columns)

    def _update(self, plan: TablePlan, name: str, existing: Doc) -> list[Doc]:
        old_columns = existing.get("StorageDescriptor", {}).get("Columns") or []
        old = [(c["Name"], c["Type"]) for c in old_columns]
        if self.output.merge_new_columns:  # MergeNewColumns: new columns only, types kept
            known = {n for n, _ in old}
            merged = old + [(n, t) for n, t in plan.columns if n not in known]
        else:
            merged = merge_fields(old, plan.columns)
        new_columns = column_docs(merged)
        schema_changed = new_columns != [{"Name": c["Name"], "Type": c["Type"]} for c in old_columns]
        deprecated = DEPRECATED in (existing.get("Parameters") or {})
        if self.new_folders_only:
            return old_columns
        if self.update_behavior == "LOG":
            if schema_changed:
                added = [c["Name"] for c in new_columns[len(old_columns) :]]
                self.log(
                    f"WARN : Schema change of table {name} not applied "
                    "(SchemaChangePolicy UpdateBehavior=LOG): "
                    f"columns now {[(c['Name'], c['Type']) for c in new_columns]}, new columns {added}"
                )
            return old_columns
        table = table_input(plan, name, self.name, columns=new_columns)
        keys_changed = table["PartitionKeys"] != existing.get("PartitionKeys", [])
        old_sd = existing.get("StorageDescriptor", {})
        format_changed = any(
            table["StorageDescriptor"].get(k) != old_sd.get(k)
            for k in ("InputFormat", "SerdeInfo", "Location")
        )
        stats_changed = table["Parameters"] != existing.get("Parameters")
        if schema_changed or keys_changed or format_changed or deprecated or stats_changed:
            self.catalog.update_table(DatabaseName=self.database, TableInput=table)
        if schema_changed or keys_changed or format_changed or deprecated:
            self.counts.updated += 1
            self.log(
                f"INFO : Updated table {name} in database {self.database}: {len(new_columns)} columns"
                + (
                    f", added {[c['Name'] for c in new_columns[len(old_columns) :]]}"
                    if schema_changed
                    else ""
                )
            )
        return new_columns

    def _partitions(self, plan: TablePlan, name: str, columns: list[Doc]) -> None:
        if not plan.partitions:
            return
        existing = self._all_partitions(name)
        known = {tuple(p["Values"]) for p in existing}
        wanted = {tuple(p.values) for p in plan.partitions}
        inherit = self.output.partitions_inherit
        new = [
            partition_input(plan, i, columns, self.name, inherit)
            for i, p in enumerate(plan.partitions)
            if tuple(p.values) not in known
        ]
        for start in range(0, len(new), BATCH):
            chunk = new[start : start + BATCH]
            self.catalog.batch_create_partition(
                DatabaseName=self.database, TableName=name, PartitionInputList=chunk
            )
        if new:
            self.counts.partitions_added += len(new)
            shown = [p["Values"] for p in new[:10]]
            more = f" and {len(new) - 10} more" if len(new) > 10 else ""
            self.log(
                f"INFO : Created partitions with values {shown}{more} for table {name} "
                f"in database {self.database}"
            )
        stale = [p for p in existing if tuple(p["Values"]) not in wanted]
        self._retire_partitions(name, stale)
        self._refresh_partitions(plan, name, existing, columns)

    def _refresh_partitions(
        self, plan: TablePlan, name: str, existing: list[Doc], columns: list[Doc]
    ) -> None:
        """Existing partitions get what this crawl found in them (UPDATE_IN_DATABASE): their own schema
        and SerDe, or the table's under InheritFromTable."""
        if self.update_behavior == "LOG" or self.new_folders_only:
            return
        index = {tuple(p.values): i for i, p in enumerate(plan.partitions)}
        compared = ("Columns", "InputFormat", "SerdeInfo")
        entries = []
        for partition in existing:
            position = index.get(tuple(partition["Values"]))
            if position is None:
                continue
            wanted = partition_input(plan, position, columns, self.name, self.output.partitions_inherit)
            sd = partition.get("StorageDescriptor") or {}
            if any(sd.get(k) != wanted["StorageDescriptor"].get(k) for k in compared):
                updated = {k: v for k, v in partition.items() if k in ("Values", "Parameters")}
                updated["StorageDescriptor"] = {
                    **sd,
                    **{
                        k: wanted["StorageDescriptor"][k]
                        for k in compared
                        if k in wanted["StorageDescriptor"]
                    },
                }
                entries.append({"PartitionValueList": partition["Values"], "PartitionInput": updated})
        for start in range(0, len(entries), BATCH):
            self.catalog.batch_update_partition(
                DatabaseName=self.database, TableName=name, Entries=entries[start : start + BATCH]
            )

    def _all_partitions(self, name: str) -> list[Doc]:
        # In-process, a paged operation's handler returns the whole list (paging is the wire's).
        return self.catalog.get_partitions(DatabaseName=self.database, TableName=name)["Partitions"]

    def _retire_partitions(self, name: str, stale: list[Doc]) -> None:
        if not stale:
            return
        values = [p["Values"] for p in stale]
        if self.delete_behavior == "DELETE_FROM_DATABASE":
            for start in range(0, len(values), 25):
                chunk = [{"Values": v} for v in values[start : start + 25]]
                self.catalog.batch_delete_partition(
                    DatabaseName=self.database, TableName=name, PartitionsToDelete=chunk
                )
            self.log(f"INFO : Deleted partitions {values} of table {name}: their folders are gone")
        else:
            self.log(
                f"INFO : Partitions {values} of table {name} no longer have data "
                f"(DeleteBehavior={self.delete_behavior})"
            )

    def write_table(self, table: Doc) -> None:
        """A table found whole (a JDBC target's): created, or replaced when its schema changed."""
        name = self.prefix + table["Name"]
        table = {**table, "Name": name}
        self.written.add(name)
        existing = self._existing(name)
        if existing is None:
            self.catalog.create_table(DatabaseName=self.database, TableInput=table)
            self.counts.created += 1
            count, kind = len(table["StorageDescriptor"]["Columns"]), table["Parameters"]["classification"]
            self.log(f"INFO : Created table {name} in database {self.database} with {count} columns ({kind})")
            return
        old_sd, new_sd = existing.get("StorageDescriptor") or {}, table["StorageDescriptor"]
        changed = old_sd.get("Columns") != new_sd["Columns"] or existing.get("Description") != table.get(
            "Description"
        )
        deprecated = DEPRECATED in (existing.get("Parameters") or {})
        if self.update_behavior == "LOG" or self.new_folders_only:
            if changed:
                self.log(f"WARN : Schema change of table {name} not applied (UpdateBehavior=LOG)")
            return
        if changed or deprecated or existing.get("Parameters") != table["Parameters"]:
            self.catalog.update_table(DatabaseName=self.database, TableInput=table)
        if changed or deprecated:
            self.counts.updated += 1
            self.log(f"INFO : Updated table {name} in database {self.database}")

    def retire_tables(self, covers: Callable[[str], bool]) -> None:
        """Tables this crawler made under its targets (`covers` their location) that the crawl no longer
        found."""
        tables: list[Doc] = self.catalog.get_tables(DatabaseName=self.database)["TableList"]
        for table in tables:
            params = table.get("Parameters") or {}
            location = (table.get("StorageDescriptor") or {}).get("Location", "")
            if table["Name"] in self.written or params.get(UPDATED_BY) != self.name:
                continue
            if not covers(location):
                continue
            self._retire_table(table)

    def _retire_table(self, table: Doc) -> None:
        name = table["Name"]
        if self.delete_behavior == "DELETE_FROM_DATABASE":
            self.catalog.delete_table(DatabaseName=self.database, Name=name)
            self.counts.deleted += 1
            self.log(f"INFO : Deleted table {name} from database {self.database}: its data is gone")
        elif self.delete_behavior == "DEPRECATE_IN_DATABASE":
            if DEPRECATED in (table.get("Parameters") or {}):
                return
            keep = (
                "Name",
                "Description",
                "Owner",
                "Retention",
                "StorageDescriptor",
                "PartitionKeys",
                "TableType",
                "Parameters",
            )
            updated = {k: v for k, v in table.items() if k in keep}
            updated["Parameters"] = {**(table.get("Parameters") or {}), DEPRECATED: self.name}
            self.catalog.update_table(DatabaseName=self.database, TableInput=updated)
            self.counts.deleted += 1
            self.log(
                f"INFO : Marked table {name} in database {self.database} as deprecated: its data is gone"
            )
        else:
            self.log(
                f"INFO : Table {name} in database {self.database} has no data any more (DeleteBehavior=LOG)"
            )


def summary(counts: CrawlCounts) -> str:
    """ListCrawls' `Summary`: a JSON document of what changed, like AWS's."""
    return json.dumps(
        {
            "TABLE": {
                "ADD": {"Count": counts.created},
                "UPDATE": {"Count": counts.updated},
                "DELETE": {"Count": counts.deleted},
            },
            "PARTITION": {"ADD": {"Count": counts.partitions_added}},
        }
    )
