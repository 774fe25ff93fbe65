"""DynamicFrame: Glue's frame of records, here a thin layer over a Spark DataFrame.

Glue's DynamicFrame is schema-on-read with "choice" types for fields whose values disagree. Locally
every field has one type (catalog reads cast to the catalog's types, a value that does not cast is
null, as Glue's casts do), so `resolveChoice` casts, and `make_cols` / `make_struct` leave fields
that are not choices as they are — exactly what Glue does for such fields.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from awsglue._local import fields as paths
from awsglue._local.types import cast, legacy_casts

if TYPE_CHECKING:
    from awsglue.context import GlueContext


def _warn(message: str) -> None:
    print(f"WARN DynamicFrame: {message}", file=sys.stderr)


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class DynamicFrame:
    def __init__(self, df: DataFrame, glue_ctx: GlueContext | None, name: str = ""):
        self._df = df
        self.glue_ctx = glue_ctx
        self.name = name

    def _with(self, df: DataFrame, name: str = "") -> DynamicFrame:
        return DynamicFrame(df, self.glue_ctx, name or self.name)

    # -- conversion and inspection -----------------------------------------------------------
    @classmethod
    def fromDF(cls, dataframe: DataFrame, glue_ctx: GlueContext | None, name: str = "") -> DynamicFrame:  # noqa: N802
        return cls(dataframe, glue_ctx, name)

    def toDF(self, options: Any = None) -> DataFrame:  # noqa: N802
        return self._df

    def count(self) -> int:
        return self._df.count()

    def schema(self) -> StructType:
        return self._df.schema

    def printSchema(self) -> None:  # noqa: N802
        self._df.printSchema()

    def show(self, num_rows: int = 20) -> None:
        self._df.show(num_rows, truncate=False)

    def errorsCount(self) -> int:  # noqa: N802
        """Records that failed to parse or transform; locally a bad value becomes null, never an error."""
        return 0

    def stageErrorsCount(self) -> int:  # noqa: N802
        return 0

    def getNumPartitions(self) -> int:  # noqa: N802
        return self._df.rdd.getNumPartitions()

    def repartition(self, num_partitions: int, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        return self._with(self._df.repartition(num_partitions))

    def coalesce(
        self, num_partitions: int, shuffle: bool = False, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        df = self._df.repartition(num_partitions) if shuffle else self._df.coalesce(num_partitions)
        return self._with(df)

    # -- transforms ------------------------------------------------------------------------------
    def apply_mapping(
        self,
        mappings: Sequence[Sequence[str]],
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """Keep only the mapped fields, renamed and cast: (source, source_type, target, target_type)."""
        entries = []
        for mapping in mappings:
            if len(mapping) != 4:
                raise ValueError(
                    f"ApplyMapping: {tuple(mapping)!r} is not (source, source_type, target, target_type)"
                )
            source, _source_type, target, target_type = mapping
            found = paths.resolve(self._df, paths.split_path(source), case_sensitive)
            if found is None:
                _warn(f"ApplyMapping: source field {source!r} is not in the frame; {target!r} is left out")
                continue
            entries.append((paths.split_path(target), cast(found[0], target_type)))
        spark = self._df.sparkSession
        with legacy_casts(spark):
            df = self._df.select(*paths.build_columns(entries)) if entries else self._df.select()
        return self._with(df, transformation_ctx)

    def select_fields(self, paths_: Sequence[str], transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        entries = []
        for path in _as_list(paths_):
            parts = paths.split_path(path)
            found = paths.resolve(self._df, parts, case_sensitive=False)
            if found is not None:
                entries.append((parts, found[0]))
        return self._with(self._df.select(*paths.build_columns(entries)) if entries else self._df.select())

    def drop_fields(self, paths_: Sequence[str], transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        df = self._df
        for path in _as_list(paths_):
            df = paths.drop_path(df, paths.split_path(path))
        return self._with(df)

    def rename_field(
        self, oldName: str, newName: str, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:  # noqa: N803
        return self._with(paths.rename_path(self._df, paths.split_path(oldName), paths.split_path(newName)))

    def resolveChoice(  # noqa: N802
        self,
        specs: Sequence[tuple[str, str]] | None = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        catalog_id: str | None = None,
        **_: Any,
    ) -> DynamicFrame:
        if specs and choice:
            raise ValueError("resolveChoice takes specs or choice, not both")
        actions = list(specs or [])
        if choice:
            actions = [(name, choice) for name in self._df.columns]
        df = self._df
        catalog_types = None
        for path, action in actions:
            kind, _, argument = action.partition(":")
            parts = paths.split_path(path)
            found = paths.resolve(df, parts)
            if found is None:
                continue
            if kind in ("cast", "project"):
                target_type = argument
            elif kind == "match_catalog":
                if catalog_types is None:
                    catalog_types = self._catalog_types(database, table_name, catalog_id)
                target_type = catalog_types.get(parts[-1].lower())
                if target_type is None:
                    continue
            elif kind in ("make_cols", "make_struct"):
                continue  # only choice fields split or nest; locally no field is a choice
            else:
                raise ValueError(
                    f"resolveChoice: unknown action {action!r} (cast:, project:, make_cols, ...)"
                )
            if len(parts) != 1:
                raise ValueError(f"resolveChoice: nested field {path!r} is not supported locally")
            with legacy_casts(df.sparkSession):
                df = df.withColumn(paths.actual_name(df, parts[0]) or parts[0], cast(found[0], target_type))
        return self._with(df)

    def _catalog_types(
        self, database: str | None, table_name: str | None, catalog_id: str | None
    ) -> dict[str, str]:
        if not database or not table_name:
            raise ValueError("resolveChoice match_catalog needs database and table_name")
        from awsglue._local import clients

        table = clients.get_table(database, table_name, catalog_id)
        columns = (table.get("StorageDescriptor") or {}).get("Columns", []) + (
            table.get("PartitionKeys") or []
        )
        return {c["Name"].lower(): c.get("Type", "string") for c in columns}

    def filter(
        self, f: Callable[[dict[str, Any]], bool], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """Keep the records for which `f(record)` is true; a record is a dict, nested structs too."""
        schema = self._df.schema
        kept = self._df.rdd.filter(lambda row: bool(f(row.asDict(recursive=True))))
        return self._with(self._df.sparkSession.createDataFrame(kept, schema))

    def join(
        self,
        paths1: str | Sequence[str],
        paths2: str | Sequence[str],
        frame2: DynamicFrame,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """Inner equality join on paths1 == paths2; a key with the same name on both sides appears once."""
        keys1, keys2 = _as_list(paths1), _as_list(paths2)
        if len(keys1) != len(keys2) or not keys1:
            raise ValueError(f"join: keys {keys1} and {keys2} must be non-empty lists of equal length")
        left, right = self._df.alias("l"), frame2.toDF().alias("r")
        condition = None
        for k1, k2 in zip(keys1, keys2, strict=True):
            clause = F.col(f"l.`{k1}`") == F.col(f"r.`{k2}`")
            condition = clause if condition is None else condition & clause
        shared_keys = {k1 for k1, k2 in zip(keys1, keys2, strict=True) if k1 == k2}
        clashes = (set(self._df.columns) & set(frame2.toDF().columns)) - shared_keys
        if clashes:
            raise ValueError(f"join: both frames have fields {sorted(clashes)}; rename_field one side first")
        columns = [F.col(f"l.`{c}`") for c in self._df.columns]
        columns += [F.col(f"r.`{c}`") for c in frame2.toDF().columns if c not in shared_keys]
        return self._with(left.join(right, condition, "inner").select(*columns))

    def drop_null_fields(self, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Drop top-level fields that are null in every record (a frame without records keeps its fields)."""
        df = self._df
        if not df.columns:
            return self
        counts = df.agg(*[F.count(F.col(f"`{c}`")).alias(str(i)) for i, c in enumerate(df.columns)]).first()
        total = df.count()
        if total == 0:
            return self
        keep = [c for i, c in enumerate(df.columns) if counts[str(i)] > 0]
        return self._with(df.select(*[F.col(f"`{c}`") for c in keep]))

    def unnest(self, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Flatten nested structs into top-level fields named `parent.child`."""
        columns = []

        def walk(prefix: list[str], schema: StructType, column: Any) -> None:
            for field in schema.fields:
                child = F.col(f"`{field.name}`") if column is None else column.getField(field.name)
                name = prefix + [field.name]
                if isinstance(field.dataType, StructType):
                    walk(name, field.dataType, child)
                else:
                    columns.append(child.alias(".".join(name)))

        walk([], self._df.schema, None)
        return self._with(self._df.select(*columns))


class DynamicFrameReader:
    """`glue_context.create_dynamic_frame`: from_catalog, from_options."""

    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        name_space: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        df = self._glue_context._read_catalog(
            database or name_space, table_name, push_down_predicate, additional_options or {}, catalog_id
        )
        return DynamicFrame(df, self._glue_context, transformation_ctx or table_name or "")

    def from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,  # noqa: A002 - Glue's parameter name
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **kwargs: Any,
    ) -> DynamicFrame:
        df = self._glue_context._read_options(
            connection_type, connection_options or {}, format, format_options or {}
        )
        return DynamicFrame(df, self._glue_context, transformation_ctx)


class DynamicFrameWriter:
    """`glue_context.write_dynamic_frame`: from_options, from_catalog, from_jdbc_conf."""

    def __init__(self, glue_context: GlueContext):
        self._glue_context = glue_context

    def from_options(
        self,
        frame: DynamicFrame,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,  # noqa: A002
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **kwargs: Any,
    ) -> DynamicFrame:
        self._glue_context._write_options(
            frame.toDF(), connection_type, connection_options or {}, format, format_options or {}
        )
        return frame

    def from_catalog(
        self,
        frame: DynamicFrame,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        name_space: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        self._glue_context._write_catalog(
            frame.toDF(), database or name_space, table_name, additional_options or {}, catalog_id
        )
        return frame

    def from_jdbc_conf(
        self,
        frame: DynamicFrame,
        catalog_connection: str,
        connection_options: dict[str, Any] | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        self._glue_context._write_jdbc_conf(
            frame.toDF(), catalog_connection, connection_options or {}, redshift_tmp_dir, catalog_id
        )
        return frame
