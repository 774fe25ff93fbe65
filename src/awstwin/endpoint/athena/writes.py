"""Statements that write table data: CREATE TABLE AS SELECT and INSERT INTO, as Athena does them.

DuckDB writes the files (Parquet, text or JSON lines; partitioned into `key=value/` folders) into a
scratch folder; they are put in S3 through the endpoint's S3 helper and the table and its partitions
are registered in the Glue catalog through its API. A CTAS without `external_location` writes to
`<query result location>/tables/<query id>/`, as Athena does; `<id>-manifest.csv` lists the objects.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from awstwin.endpoint.athena import dialect, locations, sources, translate
from awstwin.endpoint.athena.dialect import hive_type, parse_hive_type, quote_identifier, quote_literal
from awstwin.endpoint.athena.exceptions import QueryFailed
from awstwin.endpoint.athena.query import Compiled, QueryOutcome, QueryRequest, strip_leading_comments
from awstwin.endpoint.athena.results import ResultWriter, result_uri
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.glue.catalog.formats import (
    HIVE_DEFAULT_SEPARATORS,
    HIVE_JSON_SERDE,
    LAZY_SIMPLE_SERDE,
    OPEN_CSV_SERDE,
    PARQUET_INPUT,
    PARQUET_OUTPUT,
    PARQUET_SERDE,
    TEXT_INPUT,
    TEXT_OUTPUT,
    StorageFormat,
    hive_byte,
)
from awstwin.endpoint.glue.catalog.table_input import external_table, storage_descriptor
from awstwin.endpoint.s3access import parse_s3_uri

if TYPE_CHECKING:  # the engine runs these writers: at run time only its objects are handed in
    from awstwin.endpoint.athena.engine import QueryEngine, Session

# CTAS `format` -> (DuckDB COPY format, InputFormat, OutputFormat, SerDe)
CTAS_FORMATS: dict[str, tuple[str, str, str, str]] = {
    "PARQUET": ("parquet", PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE),
    "TEXTFILE": ("csv", TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE_SERDE),
    "JSON": ("json", TEXT_INPUT, TEXT_OUTPUT, HIVE_JSON_SERDE),
}
# CTAS/table compression name -> DuckDB COPY COMPRESSION; Athena's default is GZIP
COMPRESSIONS: dict[str, str] = {
    "GZIP": "gzip",
    "SNAPPY": "snappy",
    "ZSTD": "zstd",
    "NONE": "uncompressed",
    "UNCOMPRESSED": "uncompressed",
}
DEFAULT_COMPRESSION = "GZIP"
ROWS_COLUMN = {
    "CatalogName": "hive",
    "SchemaName": "",
    "TableName": "",
    "Name": "rows",
    "Label": "rows",
    "Type": "bigint",
    "Precision": 19,
    "Scale": 0,
    "Nullable": "UNKNOWN",
    "CaseSensitive": False,
}


UNLOAD = re.compile(
    r"^\s*UNLOAD\s*\((?P<query>.*)\)\s*TO\s*'(?P<location>[^']+)'\s*WITH\s*\((?P<props>.*)\)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class WriteSpec:
    """How CTAS/UNLOAD write files: format, compression, partition columns, text delimiter."""

    format_name: str
    copy_format: str
    compression_name: str
    compression: str
    partitioned_by: list[str]
    delimiter: str


def write_spec(props: dict[str, Any], statement: str, format_name: str) -> WriteSpec:
    fmt = format_name.upper()
    if str(props.get("table_type", "HIVE")).upper() != "HIVE" or fmt not in CTAS_FORMATS:
        raise QueryFailed(
            "NOT_SUPPORTED",
            f"{statement} with format '{fmt}' / table_type '{props.get('table_type', 'HIVE')}' is not "
            "supported locally; use format PARQUET, TEXTFILE or JSON (table_type HIVE)",
            1200,
        )
    name = str(
        props.get("write_compression") or props.get("parquet_compression") or DEFAULT_COMPRESSION
    ).upper()
    if name not in COMPRESSIONS:
        raise QueryFailed("INVALID_TABLE_PROPERTY", f"Unsupported compression '{name}'", 1103)
    return WriteSpec(
        format_name=fmt,
        copy_format=CTAS_FORMATS[fmt][0],
        compression_name=name,
        compression=COMPRESSIONS[name],
        partitioned_by=[str(p).lower() for p in props.get("partitioned_by") or []],
        delimiter=hive_byte(props.get("field_delimiter"), HIVE_DEFAULT_SEPARATORS[0])
        or HIVE_DEFAULT_SEPARATORS[0],
    )


@dataclass
class Written:
    uri: str
    values: tuple[str, ...]
    folder: str  # `k=v/k2=v2` for partitioned writes, "" otherwise


def _value(node: exp.Expression | None) -> Any:
    if node is None:
        return None
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else node.to_py()
    if isinstance(node, exp.Array):
        return [_value(e) for e in node.expressions]
    if isinstance(node, (exp.Var, exp.Identifier, exp.Column)):
        return node.name
    if isinstance(node, exp.Boolean):
        return node.this
    return node.sql()


def ctas_properties(create: exp.Create) -> tuple[dict[str, Any], bool]:
    """`WITH (format='PARQUET', external_location='s3://...', partitioned_by=ARRAY['c'])`, with data?"""
    values: dict[str, Any] = {}
    with_data = True
    properties = create.args.get("properties")
    for prop in properties.expressions if properties else []:
        if isinstance(prop, exp.FileFormatProperty):
            values["format"] = _value(prop.this)
        elif isinstance(prop, exp.PartitionedByProperty):
            values["partitioned_by"] = _value(prop.this)
        elif isinstance(prop, exp.WithDataProperty):
            with_data = not prop.args.get("no")
        elif isinstance(prop, exp.LocationProperty):
            values["location"] = _value(prop.this)
        elif isinstance(prop, exp.Property):
            values[prop.name.lower()] = _value(prop.args.get("value"))
        else:
            key = type(prop).__name__.replace("Property", "").lower()
            values[key] = _value(prop.args.get("this"))
    return values, with_data


class TableWriter:
    def __init__(self, engine: QueryEngine, request: QueryRequest, session: Session, writer: ResultWriter):
        self.engine = engine
        self.request = request
        self.session = session
        self.writer = writer
        self.catalog = engine.catalog
        self.scratch = writer.scratch

    def run(self) -> QueryOutcome:
        if UNLOAD.match(strip_leading_comments(self.request.sql)):
            return self.unload()
        tree = translate.parse(self.request.sql)
        if isinstance(tree, exp.Create):
            return self.ctas(tree)
        if isinstance(tree, exp.Insert):
            return self.insert(tree)
        raise QueryFailed("NOT_SUPPORTED", "Only CREATE TABLE AS SELECT and INSERT INTO write tables", 1202)

    # -- helpers ---------------------------------------------------------------------------------
    def _target(self, node: exp.Expression) -> tuple[str, str, int, int]:
        table = node.this if isinstance(node, exp.Schema) else node
        database = (table.db or self.request.database).lower()
        offset = table.this.meta.get("start", 0) if isinstance(table.this, exp.Identifier) else 0
        if isinstance(table.args.get("db"), exp.Identifier):
            offset = table.args["db"].meta.get("start", offset)
        line, col = translate.position(self.request.sql, offset)
        return database, table.name.lower(), line, col

    def _database_exists(self, database: str) -> bool:
        try:
            self.catalog.get_database(Name=database)
            return True
        except AwsError:
            return False

    def _copy(
        self,
        select: str,
        target: Path,
        fmt: str,
        compression: str,
        partition_by: list[str],
        text: dict[str, str],
    ) -> None:
        options = [f"FORMAT {fmt}"]
        if fmt == "csv":
            options += [
                f"DELIMITER {quote_literal(text.get('delimiter', chr(1)))}",
                f"QUOTE {quote_literal(text.get('quote', ''))}",
                f"NULLSTR {quote_literal(text.get('null', dialect.HIVE_DEFAULT_NULL))}",
                f"HEADER {text.get('header', 'false')}",
            ]
            if text.get("force_quote"):
                options.append("FORCE_QUOTE *")
        options.append(f"COMPRESSION {compression}")
        if partition_by:
            keys = ", ".join(quote_identifier(k) for k in partition_by)
            options += [f"PARTITION_BY ({keys})", f"FILENAME_PATTERN '{self.request.query_id}_{{uuid}}'"]
        self.session.con.execute(f"COPY ({select}) TO {quote_literal(str(target))} ({', '.join(options)})")

    def _publish(self, local_root: Path, location: str, keys: list[str]) -> list[Written]:
        """Put every file under `local_root` below `location`; partition folders keep their names."""
        bucket, prefix = parse_s3_uri(location)
        prefix = prefix.rstrip("/")
        written = []
        for path in sorted(p for p in local_root.rglob("*") if p.is_file()):
            relative = path.relative_to(local_root).as_posix()
            key = f"{prefix}/{relative}" if prefix else relative
            self.engine.s3.upload_file(path, bucket, key)
            values = sources.parse_partition_path(relative, keys) if keys else []
            folder = "/".join(relative.split("/")[: len(keys)]) if keys else ""
            written.append(Written(f"s3://{bucket}/{key}", tuple(values or ()), folder))
        return written

    def _manifest(self, written: list[Written]) -> str:
        uri = result_uri(self.request.output_location, self.request.query_id, "-manifest.csv")
        self.writer.write_manifest(uri, [w.uri for w in written])
        return uri

    @staticmethod
    def _suffix(fmt: str, compression: str) -> str:
        base = {"parquet": ".parquet", "csv": "", "json": ""}[fmt]
        return base + (".gz" if compression == "gzip" and fmt != "parquet" else "")

    def _fix_suffixes(self, root: Path, fmt: str, compression: str) -> None:
        """Text readers find compression by extension: make sure gzip text files end in `.gz`."""
        if fmt == "parquet" or compression != "gzip":
            return
        for path in list(root.rglob("*")):
            if path.is_file() and not path.name.endswith(".gz"):
                path.rename(path.with_name(path.name + ".gz"))

    # -- CTAS ------------------------------------------------------------------------------------
    def ctas(self, create: exp.Create) -> QueryOutcome:
        database, name, line, col = self._target(create.this)
        qualified = f"{dialect.ENGINE_CATALOG}.{database}.{name}"
        if not self._database_exists(database):
            raise QueryFailed(
                "SCHEMA_NOT_FOUND", f"line {line}:{col}: Schema '{database}' does not exist", 1301
            )
        try:
            self.catalog.get_table(DatabaseName=database, Name=name)
            exists = True
        except AwsError:
            exists = False
        if exists:
            if create.args.get("exists"):
                return QueryOutcome("txt", [ROWS_COLUMN], update_count=0)
            raise QueryFailed(
                "TABLE_ALREADY_EXISTS", f"line {line}:{col}: Table '{qualified}' already exists", 1003
            )
        props, with_data = ctas_properties(create)
        query = create.expression
        if query is None:
            raise QueryFailed("SYNTAX_ERROR", "line 1:1: CREATE TABLE AS needs a query after AS", 1006)
        compiled = self.session.compile(query)
        self._check_names(compiled)
        spec = write_spec(props, "CTAS", str(props.get("format") or "PARQUET"))
        self._check_partitions(compiled, spec.partitioned_by)
        if props.get("external_location"):
            locations.require_s3(str(props["external_location"]), "External")
        location = props.get("external_location") or (
            f"{self.request.output_location.rstrip('/')}/tables/{self.request.query_id}/"
        )
        self._check_empty(location, f"table '{database}.{name}'")
        rows, written = self._write_query(compiled, spec, location) if with_data else (0, [])
        copy_format, input_format, output_format, serde = CTAS_FORMATS[spec.format_name]
        compression_name, delimiter, partitioned_by = (
            spec.compression_name,
            spec.delimiter,
            spec.partitioned_by,
        )
        columns, keys = [], []
        for n, t in zip(compiled.names, compiled.types, strict=True):
            (keys if n in partitioned_by else columns).append({"Name": n, "Type": hive_type(t)})
        keys.sort(key=lambda k: partitioned_by.index(k["Name"]))
        serde_params = (
            {"field.delim": delimiter, "serialization.format": delimiter} if copy_format == "csv" else {}
        )
        if copy_format == "parquet":
            serde_params = {"serialization.format": "1"}
        compression_param = "parquet.compression" if copy_format == "parquet" else "write.compression"
        descriptor = storage_descriptor(
            columns=columns,
            location=location,
            input_format=input_format,
            output_format=output_format,
            serde={"SerializationLibrary": serde, "Parameters": serde_params},
        )
        parameters = {"EXTERNAL": "TRUE", "has_encrypted_data": "false", compression_param: compression_name}
        table_input = external_table(name, descriptor, partition_keys=keys, parameters=parameters)
        self.catalog.create_table(DatabaseName=database, TableInput=table_input)
        self._register_partitions(database, name, table_input, location, written, partitioned_by)
        return QueryOutcome(
            "txt",
            [ROWS_COLUMN],
            update_count=rows,
            scanned_bytes=self.session.scanned_bytes,
            manifest_location=self._manifest(written),
        )

    def _write_query(self, compiled: Compiled, spec: WriteSpec, location: str) -> tuple[int, list[Written]]:
        """Write the query's rows as files below `location` (partition folders when asked)."""
        select = self._select(compiled)
        local = self.scratch / "written"
        text = {"delimiter": spec.delimiter}
        if spec.partitioned_by:
            self._copy(select, local, spec.copy_format, spec.compression, spec.partitioned_by, text)
        else:
            local.mkdir(parents=True)
            name = f"{self.request.query_id}_{uuid.uuid4()}{self._suffix(spec.copy_format, spec.compression)}"
            self._copy(select, local / name, spec.copy_format, spec.compression, [], text)
        self._fix_suffixes(local, spec.copy_format, spec.compression)
        rows = self._count(compiled)
        return rows, self._publish(local, location, spec.partitioned_by)

    # -- UNLOAD ----------------------------------------------------------------------------------
    def unload(self) -> QueryOutcome:
        match = UNLOAD.match(strip_leading_comments(self.request.sql))
        if match is None:
            raise QueryFailed(
                "SYNTAX_ERROR", "line 1:1: expecting UNLOAD (query) TO 's3://...' WITH (format = '...')", 1006
            )
        carrier = translate.parse(f"CREATE TABLE unload WITH ({match.group('props')}) AS SELECT 1")
        props, _ = ctas_properties(carrier)  # type: ignore[arg-type]
        if not props.get("format"):
            raise QueryFailed("INVALID_TABLE_PROPERTY", "UNLOAD needs WITH (format = '...')", 1103)
        props.setdefault("write_compression", props.get("compression"))
        spec = write_spec(props, "UNLOAD", str(props["format"]))
        query = match.group("query")
        compiled = self.session.compile(translate.parse(query), query)
        self._check_names(compiled)
        self._check_partitions(compiled, spec.partitioned_by)
        location = match.group("location")
        locations.require_s3(location, "UNLOAD")
        self._check_empty(location, "UNLOAD")
        rows, written = self._write_query(compiled, spec, location)
        return QueryOutcome(
            "csv",
            [ROWS_COLUMN],
            update_count=rows,
            scanned_bytes=self.session.scanned_bytes,
            manifest_location=self._manifest(written),
        )

    def _check_names(self, compiled: Compiled) -> None:
        for index, n in enumerate(compiled.names):
            if n.startswith("_col"):
                raise QueryFailed(
                    "MISSING_COLUMN_NAME",
                    f"line 1:1: Column name not specified at position {index + 1}",
                    1006,
                )
        seen = set()
        for n in compiled.names:
            if n in seen:
                raise QueryFailed(
                    "DUPLICATE_COLUMN_NAME", f"line 1:1: Column name '{n}' specified more than once", 1006
                )
            seen.add(n)

    def _check_partitions(self, compiled: Compiled, partitioned_by: list[str]) -> None:
        if not partitioned_by:
            return
        tail = compiled.names[-len(partitioned_by) :]
        if tail != partitioned_by or len(compiled.names) == len(partitioned_by):
            raise QueryFailed(
                "HIVE_COLUMN_ORDER_MISMATCH",
                "Partition keys must be the last columns in the table and in the same order as the table "
                f"properties: [{', '.join(partitioned_by)}]",
                1006,
            )

    def _check_empty(self, location: str, what: str) -> None:
        bucket, prefix = parse_s3_uri(location)
        if not self.engine.s3.bucket_exists(bucket):
            raise QueryFailed(
                "HIVE_FILESYSTEM_ERROR",
                f"Bucket {bucket} of the table location {location} does not exist; create it first",
                1306,
            )
        folder = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        if next(iter(self.engine.s3.list_objects(bucket, folder)), None) is not None:
            raise QueryFailed(
                "HIVE_PATH_ALREADY_EXISTS",
                f"Target directory for {what} already exists: {location}. You may need to manually clean "
                f"the data at location '{location}' before retrying",
                1003,
            )

    def _select(self, compiled: Compiled, targets: list[str] | None = None) -> str:
        parts = []
        for index, (n, t) in enumerate(zip(compiled.names, compiled.types, strict=True)):
            cast = dialect.WRITE_CASTS.get(dialect.duck_type_id(t))
            expr = f"q.c{index}" if cast is None else f"CAST(q.c{index} AS {cast})"
            parts.append(f"{expr} AS {quote_identifier(targets[index] if targets else n)}")
        return f"SELECT {', '.join(parts)} FROM ({compiled.relation}) AS q"

    def _count(self, compiled: Compiled) -> int:
        # the COPY just wrote exactly these rows; counting them again keeps UpdateCount honest
        return int(self.session.con.execute(f"SELECT count(*) FROM ({compiled.relation})").fetchone()[0])

    def _register_partitions(
        self,
        database: str,
        name: str,
        table: dict[str, Any],
        location: str,
        written: list[Written],
        keys: list[str],
        existing: set[tuple[str, ...]] | None = None,
    ) -> None:
        if not keys:
            return
        folders: dict[tuple[str, ...], str] = {}
        for item in written:
            folders.setdefault(item.values, f"{location.rstrip('/')}/{item.folder}/")
        inputs = []
        for values, folder in sorted(folders.items()):
            if existing is not None and values in existing:
                continue
            sd = {k: v for k, v in table["StorageDescriptor"].items() if k != "Location"}
            sd["Location"] = folder
            inputs.append({"Values": list(values), "StorageDescriptor": sd, "Parameters": {}})
        for start in range(0, len(inputs), 100):
            self.catalog.batch_create_partition(
                DatabaseName=database, TableName=name, PartitionInputList=inputs[start : start + 100]
            )

    # -- INSERT INTO -----------------------------------------------------------------------------
    def insert(self, insert: exp.Insert) -> QueryOutcome:
        target = insert.this
        database, name, line, col = self._target(target)
        qualified = f"{dialect.ENGINE_CATALOG}.{database}.{name}"
        try:
            table = self.catalog.get_table(DatabaseName=database, Name=name)["Table"]
        except AwsError:
            raise QueryFailed(
                "TABLE_NOT_FOUND", f"line {line}:{col}: Table '{qualified}' does not exist", 1301
            ) from None
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise QueryFailed(
                "NOT_SUPPORTED", f"line {line}:{col}: Inserting into views is not supported", 1200
            )
        fmt = StorageFormat.from_table(table)
        data_columns = [(c.name.lower(), parse_hive_type(c.type)) for c in fmt.columns]
        keys = [(c.name.lower(), parse_hive_type(c.type)) for c in fmt.partition_keys]
        all_columns = data_columns + keys
        listed = (
            [i.name.lower() for i in target.expressions]
            if isinstance(target, exp.Schema)
            else [n for n, _ in all_columns]
        )
        unknown = [n for n in listed if n not in dict(all_columns)]
        if unknown:
            raise QueryFailed(
                "COLUMN_NOT_FOUND",
                f"line {line}:{col}: Insert column name does not exist in target table: {unknown[0]}",
                1006,
            )
        compiled = self.session.compile(insert.expression)
        if len(compiled.types) != len(listed):
            table_types = ", ".join(dict(all_columns)[n].presto() for n in listed)
            query_types = ", ".join(dialect.presto_type(t) for t in compiled.types)
            raise QueryFailed(
                "TYPE_MISMATCH",
                f"line {line}:{col}: Insert query has mismatched column types: Table: [{table_types}], "
                f"Query: [{query_types}]",
                1006,
            )
        position = {n: i for i, n in enumerate(listed)}
        parts = []
        for n, hive in all_columns:
            if n in position:
                parts.append(f"CAST(q.c{position[n]} AS {hive.duckdb()}) AS {quote_identifier(n)}")
            else:
                parts.append(f"CAST(NULL AS {hive.duckdb()}) AS {quote_identifier(n)}")
        select = f"SELECT {', '.join(parts)} FROM ({compiled.relation}) AS q"
        copy_format, text, compression = self._insert_format(table, fmt)
        local = self.scratch / "insert"
        key_names = [k for k, _ in keys]
        if key_names:
            self._copy(select, local, copy_format, compression, key_names, text)
        else:
            local.mkdir(parents=True)
            file = local / f"{self.request.query_id}_{uuid.uuid4()}{self._suffix(copy_format, compression)}"
            self._copy(select, file, copy_format, compression, [], text)
        self._fix_suffixes(local, copy_format, compression)
        rows = self._count(compiled)
        written = self._publish_insert(database, name, table, fmt, local, key_names)
        return QueryOutcome(
            "csv",
            [ROWS_COLUMN],
            update_count=rows,
            scanned_bytes=self.session.scanned_bytes,
            manifest_location=self._manifest(written),
        )

    def _insert_format(self, table: dict[str, Any], fmt: StorageFormat) -> tuple[str, dict[str, str], str]:
        params = table.get("Parameters") or {}
        if fmt.kind == "parquet":
            name = str(
                params.get("parquet.compression") or params.get("write.compression") or DEFAULT_COMPRESSION
            )
            return "parquet", {}, COMPRESSIONS.get(name.upper(), "gzip")
        name = str(params.get("write.compression") or DEFAULT_COMPRESSION).upper()
        compression = COMPRESSIONS.get(name, "gzip")
        if compression not in ("gzip", "uncompressed", "zstd"):
            compression = "gzip"
        if fmt.kind == "json":
            return "json", {}, compression
        if fmt.kind != "csv":
            raise QueryFailed(
                "NOT_SUPPORTED", f"Inserting into {fmt.kind} tables is not supported locally", 1200
            )
        if fmt.skip_header_lines > 1:
            raise QueryFailed(
                "NOT_SUPPORTED",
                "Inserting into Hive table with value of skip.header.line.count property greater than 1 is "
                "not supported",
                1200,
            )
        header = "true" if fmt.skip_header_lines == 1 else "false"
        if fmt.serde == OPEN_CSV_SERDE:
            text = {
                "delimiter": fmt.delimiter,
                "quote": fmt.quote_char or '"',
                "null": "",
                "force_quote": "1",
                "header": header,
            }
        else:
            text = {
                "delimiter": fmt.delimiter,
                "null": fmt.null_format if fmt.null_format is not None else dialect.HIVE_DEFAULT_NULL,
                "header": header,
            }
        return "csv", text, compression

    def _publish_insert(
        self,
        database: str,
        name: str,
        table: dict[str, Any],
        fmt: StorageFormat,
        local: Path,
        keys: list[str],
    ) -> list[Written]:
        """Files go to their partition's own location when it exists, else `<table>/k=v/` (registered)."""
        if not keys:
            return self._publish(local, fmt.location, [])
        existing = {tuple(p["Values"]): p for p in sources.all_partitions(self.catalog, database, name)}
        written: list[Written] = []
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            relative = path.relative_to(local).as_posix()
            values = tuple(sources.parse_partition_path(relative, keys) or ())
            folder = "/".join(relative.split("/")[: len(keys)])
            known = (existing.get(values) or {}).get("StorageDescriptor") or {}
            base = known.get("Location") or f"{fmt.location.rstrip('/')}/{folder}/"
            bucket, prefix = parse_s3_uri(base)
            key = f"{prefix.rstrip('/')}/{path.name}" if prefix.strip("/") else path.name
            self.engine.s3.upload_file(path, bucket, key)
            written.append(Written(f"s3://{bucket}/{key}", values, folder))
        self._register_partitions(database, name, table, fmt.location, written, keys, existing=set(existing))
        return written
