"""Athena DDL that changes the Glue catalog: CREATE/DROP DATABASE, TABLE, VIEW, ALTER TABLE, MSCK."""

from __future__ import annotations

import re
from typing import Any

from sqlglot.tokens import TokenType

from awstwin.endpoint.athena import dialect, sources
from awstwin.endpoint.athena.ddl.catalog_access import CatalogAccess
from awstwin.endpoint.athena.ddl.tokens import (
    DdlResult,
    Tokens,
    database_not_found,
    ddl_task,
    semantic,
)
from awstwin.endpoint.athena.dialect import HiveTypeError, parse_hive_type
from awstwin.endpoint.athena.exceptions import QueryFailed
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.formats import (
    HIVE_JSON_SERDE,
    LAZY_SIMPLE_SERDE,
    PARQUET_INPUT,
    PARQUET_OUTPUT,
    PARQUET_SERDE,
    TEXT_INPUT,
    TEXT_OUTPUT,
)
from awstwin.endpoint.glue.catalog.table_input import external_table, storage_descriptor
from awstwin.endpoint.s3access import parse_s3_uri

# STORED AS <name> -> (InputFormat, OutputFormat, default SerDe), as Hive defines them
STORED_AS: dict[str, tuple[str, str, str]] = {
    "TEXTFILE": (TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE_SERDE),
    "PARQUET": (PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE),
    "JSONFILE": (TEXT_INPUT, TEXT_OUTPUT, HIVE_JSON_SERDE),
    "JSON": (TEXT_INPUT, TEXT_OUTPUT, HIVE_JSON_SERDE),
    "ORC": (
        "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    ),
    "AVRO": (
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
    ),
    "SEQUENCEFILE": (
        "org.apache.hadoop.mapred.SequenceFileInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
        LAZY_SIMPLE_SERDE,
    ),
}
# ROW FORMAT DELIMITED clauses -> LazySimpleSerDe parameters
DELIMITED_CLAUSES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("FIELDS", "TERMINATED", "BY"): ("field.delim", "serialization.format"),
    ("ESCAPED", "BY"): ("escape.delim",),
    ("COLLECTION", "ITEMS", "TERMINATED", "BY"): ("collection.delim",),
    ("MAP", "KEYS", "TERMINATED", "BY"): ("mapkey.delim",),
    ("LINES", "TERMINATED", "BY"): ("line.delim",),
    ("NULL", "DEFINED", "AS"): ("serialization.null.format",),
}


class CatalogChanges(CatalogAccess):
    """Statements that create, drop or alter databases, tables, views and partitions."""

    # -- databases -------------------------------------------------------------------------------
    def create_database(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_not_exists = t.accept("IF", "NOT", "EXISTS")
        name = t.name().lower()
        database: dict[str, Any] = {"Name": name, "Parameters": {}}
        while not t.done():
            if t.accept("COMMENT"):
                database["Description"] = t.string()
            elif t.accept("LOCATION"):
                database["LocationUri"] = t.string()
            elif t.accept("WITH", "DBPROPERTIES"):
                database["Parameters"] = t.properties()
            else:
                raise t.error("extraneous input")
        if self._database_exists(name):
            if if_not_exists:
                return DdlResult()
            raise ddl_task(f"Database {name} already exists")
        self.catalog.create_database(DatabaseInput=database)
        return DdlResult()

    def drop_database(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_exists = t.accept("IF", "EXISTS")
        name = t.name().lower()
        cascade = t.accept("CASCADE")
        t.accept("RESTRICT")
        t.end()
        if not self._database_exists(name):
            if if_exists:
                return DdlResult()
            raise database_not_found(name)
        if not cascade and self._tables(name):
            raise ddl_task(
                f"InvalidOperationException(message:Database {name} is not empty. One or more tables exist.)"
            )
        self.catalog.delete_database(Name=name)
        return DdlResult()

    # -- tables ----------------------------------------------------------------------------------
    def _columns(self, t: Tokens) -> list[dict[str, Any]]:
        t.expect("(")
        columns = []
        while True:
            name = t.name().strip("`").lower()
            raw = t.raw_until({"COMMENT"})
            try:
                column_type = parse_hive_type(raw).hive()
            except HiveTypeError as exc:
                raise QueryFailed("", f"FAILED: ParseException {exc}", 1006) from None
            column: dict[str, Any] = {"Name": name, "Type": column_type}
            if t.accept("COMMENT"):
                column["Comment"] = t.string()
            columns.append(column)
            if t.accept(")"):
                return columns
            t.expect(",")

    def create_table(self, t: Tokens) -> DdlResult:
        t.expect("CREATE")
        external = t.accept("EXTERNAL")
        t.expect("TABLE")
        if_not_exists = t.accept("IF", "NOT", "EXISTS")
        database, name = t.qualified(self.db)
        columns = self._columns(t) if t.at("(") else []
        params: dict[str, str] = {}
        serde = {"SerializationLibrary": None, "Parameters": {}}
        stored: tuple[str, str, str] | None = None
        partition_keys: list[dict[str, Any]] = []
        location = None
        comment = None
        while not t.done():
            if t.accept("COMMENT"):
                comment = t.string()
            elif t.accept("PARTITIONED", "BY"):
                partition_keys = self._columns(t)
            elif t.accept("CLUSTERED", "BY"):
                t.raw_until({"INTO"})
                t.expect("INTO")
                t.pos += 1
                t.expect("BUCKETS")
            elif t.accept("ROW", "FORMAT", "DELIMITED"):
                serde["SerializationLibrary"] = LAZY_SIMPLE_SERDE
                serde["Parameters"].update(self._delimited(t))
            elif t.accept("ROW", "FORMAT", "SERDE"):
                serde["SerializationLibrary"] = t.string()
                if t.accept("WITH", "SERDEPROPERTIES"):
                    serde["Parameters"].update(t.properties())
            elif t.accept("STORED", "AS", "INPUTFORMAT"):
                input_format = t.string()
                t.expect("OUTPUTFORMAT")
                stored = (input_format, t.string(), "")
            elif t.accept("STORED", "AS"):
                kind = t.name().upper()
                if kind not in STORED_AS:
                    raise t.error(f"unknown file format {kind}")
                stored = STORED_AS[kind]
            elif t.accept("LOCATION"):
                location = t.string()
            elif t.accept("TBLPROPERTIES"):
                params.update(t.properties())
            else:
                raise t.error("extraneous input")
        if not external:
            raise semantic(
                "Only EXTERNAL tables are supported: use CREATE EXTERNAL TABLE ... LOCATION 's3://...' "
                "(or CREATE TABLE ... AS SELECT to write a new table)",
                1200,
            )
        if not columns:
            raise t.error("a table needs at least one column")
        if not self._database_exists(database):
            raise database_not_found(database)
        try:
            self.catalog.get_table(DatabaseName=database, Name=name)
            exists = True
        except AwsError:
            exists = False
        if exists:
            if if_not_exists:
                return DdlResult()
            raise ddl_task(f"AlreadyExistsException(message:Table {name} already exists.)")
        input_format, output_format, default_serde = stored or STORED_AS["TEXTFILE"]
        if serde["SerializationLibrary"] is None:
            serde["SerializationLibrary"] = default_serde or LAZY_SIMPLE_SERDE
            if serde["SerializationLibrary"] == LAZY_SIMPLE_SERDE and not serde["Parameters"]:
                serde["Parameters"] = {"serialization.format": "1"}
        if location is None:
            raise semantic(f"Table {database}.{name} needs a LOCATION 's3://bucket/folder/' for its data")
        table_params = {"EXTERNAL": "TRUE", **params}
        if comment is not None:
            table_params["comment"] = comment
        descriptor = storage_descriptor(
            columns=columns,
            location=location,
            input_format=input_format,
            output_format=output_format,
            serde=serde,
        )
        table_input = external_table(
            name, descriptor, partition_keys=partition_keys, parameters=table_params, description=comment
        )
        self.catalog.create_table(DatabaseName=database, TableInput=table_input)
        return DdlResult()

    def _delimited(self, t: Tokens) -> dict[str, str]:
        values: dict[str, str] = {}
        while True:
            for words, keys in DELIMITED_CLAUSES.items():
                if t.accept(*words):
                    value = t.string()
                    for key in keys:
                        values[key] = value
                    break
            else:
                return values

    def drop_table(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_exists = t.accept("IF", "EXISTS")
        database, name = t.qualified(self.db)
        t.accept("PURGE")
        t.end()
        try:
            table = self._table(database, name)
        except QueryFailed:
            if if_exists:
                return DdlResult()
            raise
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise semantic("Cannot drop a view with DROP TABLE; use DROP VIEW", 1003, 10131)
        self.catalog.delete_table(DatabaseName=database, Name=name)
        return DdlResult()

    def drop_view(self, t: Tokens) -> DdlResult:
        t.pos += 2
        if_exists = t.accept("IF", "EXISTS")
        database, name = t.qualified(self.db)
        t.end()
        try:
            table = self.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            table = None
        if table is None or table.get("TableType") != "VIRTUAL_VIEW":
            if if_exists:
                return DdlResult()
            raise QueryFailed(
                "TABLE_NOT_FOUND",
                f"line 1:1: View '{dialect.ENGINE_CATALOG}.{database}.{name}' does not exist",
                1301,
            )
        self.catalog.delete_table(DatabaseName=database, Name=name)
        return DdlResult()

    # -- ALTER TABLE -----------------------------------------------------------------------------
    def alter_table(self, t: Tokens) -> DdlResult:
        t.pos += 2
        database, name = t.qualified(self.db)
        table = self._table(database, name)
        if t.accept("ADD"):
            if t.accept("COLUMNS"):
                return self._add_columns(t, database, table, replace=False)
            return self._add_partitions(t, database, table)
        if t.accept("REPLACE", "COLUMNS"):
            return self._add_columns(t, database, table, replace=True)
        if t.accept("DROP"):
            return self._drop_partitions(t, database, table)
        if t.accept("SET", "TBLPROPERTIES"):
            table.setdefault("Parameters", {}).update(t.properties())
            t.end()
            self._update_table(database, table)
            return DdlResult()
        if t.accept("SET", "LOCATION"):
            table["StorageDescriptor"]["Location"] = t.string()
            t.end()
            self._update_table(database, table)
            return DdlResult()
        if t.at("PARTITION"):
            return self._partition_set_location(t, database, table)
        raise semantic(
            "This ALTER TABLE form is not supported locally; supported: ADD/DROP PARTITION, ADD/REPLACE "
            "COLUMNS, SET LOCATION, SET TBLPROPERTIES",
            1200,
        )

    def _add_columns(self, t: Tokens, database: str, table: dict[str, Any], replace: bool) -> DdlResult:
        columns = self._columns(t)
        t.end()
        sd = table["StorageDescriptor"]
        existing = [] if replace else list(sd.get("Columns") or [])
        names = {c["Name"] for c in existing} | {k["Name"] for k in table.get("PartitionKeys") or []}
        for column in columns:
            if column["Name"] in names:
                raise semantic(f"Duplicate column name: {column['Name']}", 1003, 10036)
            existing.append(column)
        sd["Columns"] = existing
        self._update_table(database, table)
        return DdlResult()

    def _partition_spec(
        self, t: Tokens, table: dict[str, Any], operators: bool = False
    ) -> list[tuple[str, str, str]]:
        """`PARTITION (k='v', k2=3)` -> [(key, op, value)] in the order written."""
        t.expect("PARTITION")
        t.expect("(")
        spec = []
        keys = {k["Name"].lower() for k in table.get("PartitionKeys") or []}
        while True:
            key = t.name().strip("`").lower()
            if key not in keys:
                raise semantic(
                    f"Partition spec is invalid; field {key} does not exist or is empty", 1003, 10006
                )
            op = t.word()
            if op not in ("=", "<", ">", "<=", ">=", "<>", "!=") or (op != "=" and not operators):
                raise t.error("expecting =")
            t.pos += 1
            token = t.peek()
            value = t.string() if token is not None and token.token_type == TokenType.STRING else t.name()
            spec.append((key, op, value))
            if t.accept(")"):
                return spec
            t.expect(",")

    def _ordered_values(self, spec: list[tuple[str, str, str]], table: dict[str, Any]) -> list[str]:
        given = {k: v for k, _, v in spec}
        keys = [k["Name"].lower() for k in table.get("PartitionKeys") or []]
        missing = [k for k in keys if k not in given]
        if missing:
            shown = ", ".join(f"{k}={v}" for k, v in given.items())
            raise QueryFailed(
                "",
                f"FAILED: ValidationFailureSemanticException partition spec {{{shown}}} doesn't contain all "
                f"({len(keys)}) partition columns",
                1003,
            )
        return [given[k] for k in keys]

    def _add_partitions(self, t: Tokens, database: str, table: dict[str, Any]) -> DdlResult:
        if not table.get("PartitionKeys"):
            raise semantic(f"Table {table['Name']} is not a partitioned table", 1003, 10241)
        if_not_exists = t.accept("IF", "NOT", "EXISTS")
        keys = [k["Name"] for k in table["PartitionKeys"]]
        inputs = []
        while t.at("PARTITION"):
            values = self._ordered_values(self._partition_spec(t, table), table)
            location = t.string() if t.accept("LOCATION") else None
            location = location or sources.partition_location(
                table["StorageDescriptor"]["Location"], keys, values
            )
            inputs.append(self._partition_input(table, values, location))
        t.end()
        if not inputs:
            raise t.error("expecting PARTITION")
        existing = {tuple(p["Values"]) for p in sources.all_partitions(self.catalog, database, table["Name"])}
        fresh = [p for p in inputs if tuple(p["Values"]) not in existing]
        if len(fresh) != len(inputs) and not if_not_exists:
            dup = next(p for p in inputs if tuple(p["Values"]) in existing)
            raise ddl_task(
                f"AlreadyExistsException(message:Partition already exists: {table['Name']} {dup['Values']})"
            )
        if fresh:
            self.catalog.batch_create_partition(
                DatabaseName=database, TableName=table["Name"], PartitionInputList=fresh
            )
        return DdlResult()

    @staticmethod
    def _partition_input(table: dict[str, Any], values: list[str], location: str) -> dict[str, Any]:
        sd = {k: v for k, v in table["StorageDescriptor"].items() if k != "Location"}
        sd["Location"] = location
        return {"Values": values, "StorageDescriptor": sd, "Parameters": {}}

    def _drop_partitions(self, t: Tokens, database: str, table: dict[str, Any]) -> DdlResult:
        if_exists = t.accept("IF", "EXISTS")
        specs = [self._partition_spec(t, table, operators=True)]
        while t.accept(","):
            specs.append(self._partition_spec(t, table, operators=True))
        t.accept("PURGE")
        t.end()
        keys = [k["Name"].lower() for k in table.get("PartitionKeys") or []]
        key_types = {k["Name"].lower(): k.get("Type", "string") for k in table.get("PartitionKeys") or []}
        partitions = sources.all_partitions(self.catalog, database, table["Name"])
        doomed = []
        for spec in specs:
            matched = [p for p in partitions if _matches(p["Values"], spec, keys, key_types)]
            if not matched and not if_exists:
                shown = ", ".join(f"{k}{op}{v}" for k, op, v in spec)
                raise semantic(f"No partition is dropped: no partition matches {{{shown}}}", 1301, 10006)
            doomed.extend(m for m in matched if m not in doomed)
        if doomed:
            self.catalog.batch_delete_partition(
                DatabaseName=database,
                TableName=table["Name"],
                PartitionsToDelete=[{"Values": p["Values"]} for p in doomed],
            )
        return DdlResult()

    def _partition_set_location(self, t: Tokens, database: str, table: dict[str, Any]) -> DdlResult:
        values = self._ordered_values(self._partition_spec(t, table), table)
        t.expect("SET", "LOCATION")
        location = t.string()
        t.end()
        try:
            partition = self.catalog.get_partition(
                DatabaseName=database, TableName=table["Name"], PartitionValues=values
            )["Partition"]
        except AwsError:
            raise semantic(f"Partition not found {values}", 1301, 10006) from None
        partition["StorageDescriptor"]["Location"] = location
        self.catalog.update_partition(
            DatabaseName=database,
            TableName=table["Name"],
            PartitionValueList=values,
            PartitionInput={
                k: partition[k] for k in ("Values", "StorageDescriptor", "Parameters") if k in partition
            },
        )
        return DdlResult()

    # -- MSCK REPAIR TABLE -----------------------------------------------------------------------
    def msck_repair(self, t: Tokens) -> DdlResult:
        t.pos += 3
        database, name = t.qualified(self.db)
        t.end()
        table = self._table(database, name)
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        if not keys:
            return DdlResult(["msck_result"], [])
        location = table["StorageDescriptor"]["Location"]
        bucket, prefix = parse_s3_uri(location)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        found: dict[tuple[str, ...], str] = {}
        if self.s3.bucket_exists(bucket):
            for obj in self.s3.list_objects(bucket, prefix):
                relative = obj.key[len(prefix) :]
                values = sources.parse_partition_path(relative, keys)
                if values is None or sources._is_hidden(relative.split("/")[-1]):
                    continue
                folder = "/".join(relative.split("/")[: len(keys)])
                found.setdefault(tuple(values), f"{location.rstrip('/')}/{folder}/")
        existing = {tuple(p["Values"]) for p in sources.all_partitions(self.catalog, database, name)}
        missing = sorted(v for v in found if v not in existing)
        if not missing:
            return DdlResult(["msck_result"], [])
        spec = ["/".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)) for values in missing]
        self.catalog.batch_create_partition(
            DatabaseName=database,
            TableName=name,
            PartitionInputList=[self._partition_input(table, list(v), found[v]) for v in missing],
        )
        lines = ["Partitions not in metastore:\t" + "\t".join(f"{name}:{s}" for s in spec)]
        lines += [f"Repair: Added partition to metastore {name}:{s}" for s in spec]
        return DdlResult(["msck_result"], lines)


def _matches(
    values: list[str], spec: list[tuple[str, str, str]], keys: list[str], types: dict[str, str]
) -> bool:
    compare = {
        "=": lambda a, b: a == b,
        "<>": lambda a, b: a != b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }
    for key, op, wanted in spec:
        value = values[keys.index(key)]
        if re.match(r"^(tinyint|smallint|int|integer|bigint)$", types.get(key, "")):
            try:
                left, right = int(value), int(wanted)
            except ValueError:
                left, right = value, wanted  # type: ignore[assignment]
        else:
            left, right = value, wanted  # type: ignore[assignment]
        if not compare[op](left, right):
            return False
    return True
