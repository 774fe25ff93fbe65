"""DynamicFrame: Glue's frame of self-describing records, here a layer over a Spark DataFrame.

Every method of the AWS Glue PySpark reference is here
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html);
anything else raises GlueNotImplementedError naming the member and that page. How the local twin
keeps DynamicFrame semantics that a DataFrame cannot express:
- choice types (a field that is a long in some records and a string in others) are structs marked
  as choices (`_local/choice.py`), settled by `resolveChoice`;
- a record that a `map` or `filter` function fails on becomes an error record of that stage
  (`errorsCount`, `stageErrorsCount`, `errorsAsDynamicFrame`, thresholds), not a failed job;
- casts are Spark 3.5's (a value that does not cast is null), whatever the session's ANSI setting.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from functools import reduce
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from awsglue._local import choice, ddb, records, resolve, schema_text
from awsglue._local import fields as paths
from awsglue._local.guard import Guarded
from awsglue._local.relationalize import relationalize as relationalize_tables
from awsglue._local.types import cast, legacy_casts
from awsglue.collection import DynamicFrameCollection

if TYPE_CHECKING:
    from awsglue.context import GlueContext

COMPARATORS: dict[str, Callable[[Column, Any], Column]] = {
    ">": lambda c, v: c > v,
    "<": lambda c, v: c < v,
    ">=": lambda c, v: c >= v,
    "<=": lambda c, v: c <= v,
    "=": lambda c, v: c == v,
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
}


class ErrorThresholdExceeded(Exception):
    """More records failed in a transform than its stageThreshold / totalThreshold allow."""


def _warn(message: str) -> None:
    print(f"WARN DynamicFrame: {message}", file=sys.stderr)


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class DynamicFrame(Guarded):
    _glue_owner = "DynamicFrame"

    def __init__(
        self,
        jdf: DataFrame,
        glue_ctx: GlueContext | None,
        name: str = "",
        errors: Sequence[DataFrame] = (),
        stage_errors: DataFrame | None = None,
    ):
        self._df = jdf
        self.glue_ctx = glue_ctx
        self.name = name
        self._prior_errors = list(errors)  # error records of the transforms before this one
        self._stage_errors = stage_errors  # error records of the transform that made this frame
        self._thresholds: tuple[int, int] = (0, 0)

    def _with(self, df: DataFrame, name: str = "", stage_errors: DataFrame | None = None) -> DynamicFrame:
        lineage = self._prior_errors + ([self._stage_errors] if self._stage_errors is not None else [])
        return DynamicFrame(df, self.glue_ctx, name or self.name, lineage, stage_errors)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def fromDF(cls, dataframe: DataFrame, glue_ctx: GlueContext | None, name: str = "") -> DynamicFrame:  # noqa: N802
        return cls(dataframe, glue_ctx, name)

    def toDF(self, options: Any = None) -> DataFrame:  # noqa: N802
        """The records as a DataFrame; a choice field comes out as a struct of its members."""
        if options:
            raise NotImplementedError(
                "toDF(options=[ResolveOption(...)]) is not supported locally; call resolveChoice(specs=...) "
                "first, then toDF()"
            )
        return self._df

    # -- information -----------------------------------------------------------------------------
    def count(self) -> int:
        return self._df.count()

    def schema(self) -> StructType:
        return self._df.schema

    def printSchema(self) -> None:  # noqa: N802
        print(schema_text.tree(self._df.schema), end="")

    def show(self, num_rows: int = 20) -> None:
        """The first records as JSON, one a line, as Glue prints a DynamicFrame."""
        for row in self._df.limit(num_rows).collect():
            print(records.to_json(row.asDict(recursive=True)))

    def getNumPartitions(self) -> int:  # noqa: N802
        return self._df.rdd.getNumPartitions()

    def repartition(self, num_partitions: int, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        return self._with(self._df.repartition(num_partitions))

    def coalesce(
        self, num_partitions: int, shuffle: bool = False, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        df = self._df.repartition(num_partitions) if shuffle else self._df.coalesce(num_partitions)
        return self._with(df)

    # -- errors ----------------------------------------------------------------------------------
    def _error_frames(self) -> list[DataFrame]:
        return self._prior_errors + ([self._stage_errors] if self._stage_errors is not None else [])

    def errorsCount(self) -> int:  # noqa: N802
        """Records that failed in any transform that led to this frame."""
        return sum(frame.count() for frame in self._error_frames())

    def stageErrorsCount(self) -> int:  # noqa: N802
        """Records that failed in the transform that made this frame."""
        return self._stage_errors.count() if self._stage_errors is not None else 0

    def errorsAsDynamicFrame(self) -> DynamicFrame:  # noqa: N802
        """The error records (`error.stage`, `error.message`, `error.record` as JSON) as a frame."""
        frames = self._error_frames()
        if not frames:
            return DynamicFrame(
                records.empty_errors(self._df.sparkSession), self.glue_ctx, f"{self.name}_errors"
            )
        return DynamicFrame(reduce(DataFrame.unionByName, frames), self.glue_ctx, f"{self.name}_errors")

    def assertErrorThreshold(self) -> None:  # noqa: N802
        """Raise ErrorThresholdExceeded when the transform's thresholds were passed."""
        self._check_thresholds(*self._thresholds)

    def _check_thresholds(self, stage_threshold: int, total_threshold: int) -> None:
        self._thresholds = (stage_threshold, total_threshold)
        stage = self.stageErrorsCount() if stage_threshold or total_threshold else 0
        if stage_threshold and stage > stage_threshold:
            raise ErrorThresholdExceeded(
                f"{stage} records failed in transform {self.name!r}, more than its stageThreshold "
                f"({stage_threshold}); see errorsAsDynamicFrame() for them"
            )
        if total_threshold and (total := self.errorsCount()) > total_threshold:
            raise ErrorThresholdExceeded(
                f"{total} records failed up to transform {self.name!r}, more than its totalThreshold "
                f"({total_threshold}); see errorsAsDynamicFrame() for them"
            )

    # -- fields ----------------------------------------------------------------------------------
    def apply_mapping(
        self,
        mappings: Sequence[Sequence[str]],
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """Keep only the mapped fields, renamed and cast: (source, source_type, target, target_type)."""
        entries = []
        choices = choice.choice_fields(self._df)
        for mapping in mappings:
            if len(mapping) != 4:
                raise ValueError(
                    f"ApplyMapping: {tuple(mapping)!r} is not (source, source_type, target, target_type)"
                )
            source, _source_type, target, target_type = mapping
            parts = paths.split_path(source)
            found = paths.resolve(self._df, parts, case_sensitive)
            if found is None:
                _warn(f"ApplyMapping: source field {source!r} is not in the frame; {target!r} is left out")
                continue
            top = paths.actual_name(self._df, parts[0], case_sensitive)
            if len(parts) == 1 and top in choices:
                value = choice.resolve_cast(found[0], choices[top], target_type)
            else:
                value = cast(found[0], target_type)
            entries.append((paths.split_path(target), value))
        with legacy_casts(self._df.sparkSession):
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
        self,
        oldName: str,  # noqa: N803 - Glue's parameter names
        newName: str,  # noqa: N803
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        return self._with(paths.rename_path(self._df, paths.split_path(oldName), paths.split_path(newName)))

    def split_fields(
        self, paths_: Sequence[str], name1: str | None = None, name2: str | None = None, **_: Any
    ) -> DynamicFrameCollection:
        """{name1: the fields at `paths_`, name2: the fields that remain}."""
        name1 = name1 or f"{self.name}1"
        name2 = name2 or f"{self.name}2"
        chosen = self.select_fields(paths_)
        rest = self.drop_fields(paths_)
        return DynamicFrameCollection(
            {
                name1: DynamicFrame(chosen._df, self.glue_ctx, name1),
                name2: DynamicFrame(rest._df, self.glue_ctx, name2),
            },
            self.glue_ctx,
        )

    def unnest(self, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Flatten nested structs into top-level fields named `parent.child`."""
        columns: list[Column] = []

        def walk(prefix: list[str], schema: StructType, column: Any) -> None:
            for field in schema.fields:
                child = F.col(f"`{field.name}`") if column is None else column.getField(field.name)
                name = prefix + [field.name]
                if isinstance(field.dataType, StructType) and not choice.is_choice(field):
                    walk(name, field.dataType, child)
                else:
                    columns.append(child.alias(".".join(name)))

        walk([], self._df.schema, None)
        return self._with(self._df.select(*columns))

    # -- choice types ----------------------------------------------------------------------------
    def resolveChoice(  # noqa: N802
        self,
        specs: Sequence[tuple[str, str]] | None = None,
        choice: str = "",  # noqa: F811 - Glue's parameter name
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        catalog_id: str | None = None,
        option: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """Settle choice fields: `specs` per field, or one `choice` for every choice field.

        `cast:T` and `project:T` also type a field that is not a choice (Glue casts it too);
        `match_catalog` casts to the types of `database`.`table_name`.
        """
        from awsglue._local import choice as choices_module

        action_for_all = choice or option
        if specs and action_for_all:
            raise ValueError("resolveChoice takes specs or choice, not both")
        df = self._df
        choice_fields = choices_module.choice_fields(df)
        if action_for_all:
            names = list(df.columns) if action_for_all == "match_catalog" else list(choice_fields)
            actions = [(name, action_for_all) for name in names]
        else:
            actions = list(specs or [])
        catalog_types: dict[str, str] | None = None
        for path, action in actions:
            kind, _, argument = action.partition(":")
            if kind == "match_catalog":
                if catalog_types is None:
                    catalog_types = self._catalog_types(database, table_name, catalog_id)
                kind, argument = "cast", catalog_types.get(paths.split_path(path)[-1].lower(), "")
                if not argument:
                    continue
            if kind not in ("cast", "project", "make_cols", "make_struct"):
                raise ValueError(
                    f"resolveChoice: unknown action {action!r} for {path!r}; use cast:<type>, "
                    "project:<type>, make_cols, make_struct or match_catalog"
                )
            df = resolve.resolve_one(df, path.replace("[]", ""), kind, argument)
        return self._with(df, transformation_ctx)

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

    # -- records ---------------------------------------------------------------------------------
    def filter(
        self,
        f: Callable[[dict[str, Any]], bool],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
        **_: Any,
    ) -> DynamicFrame:
        """Keep the records for which `f(record)` is true; a record `f` raises on is an error record."""
        stage = transformation_ctx or info or "Filter"
        outcome = records.filter_records(self._df, f, stage)
        frame = self._with(outcome.frame, transformation_ctx, outcome.errors)
        frame._check_thresholds(stageThreshold, totalThreshold)
        return frame

    def map(
        self,
        f: Callable[[dict[str, Any]], dict[str, Any]],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
        **_: Any,
    ) -> DynamicFrame:
        """`f(record)` for every record; the frame is typed from the records `f` returns."""
        stage = transformation_ctx or info or "Map"
        outcome = records.map_records(self._df, f, stage)
        frame = self._with(outcome.frame, transformation_ctx, outcome.errors)
        frame._check_thresholds(stageThreshold, totalThreshold)
        return frame

    def split_rows(
        self,
        comparison_dict: dict[str, dict[str, Any]],
        name1: str = "frame1",
        name2: str = "frame2",
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrameCollection:
        """{name1: records meeting every comparison, name2: all the others (nulls included)}.

        `{"age": {">": 10, "<": 20}}` splits off the records whose age is between 10 and 20, exclusive.
        """
        condition: Column | None = None
        for path, comparisons in comparison_dict.items():
            found = paths.resolve(self._df, paths.split_path(path), case_sensitive=False)
            if found is None:
                raise paths.FieldError(
                    f"split_rows: no field {path!r} in the frame ({', '.join(self._df.columns)})"
                )
            for comparator, value in comparisons.items():
                if comparator not in COMPARATORS:
                    raise ValueError(
                        f"split_rows: comparator {comparator!r} is not one of {list(COMPARATORS)}"
                    )
                clause = COMPARATORS[comparator](found[0], F.lit(value))
                condition = clause if condition is None else condition & clause
        matched = F.coalesce(condition, F.lit(False)) if condition is not None else F.lit(True)
        return DynamicFrameCollection(
            {
                name1: DynamicFrame(self._df.filter(matched), self.glue_ctx, name1),
                name2: DynamicFrame(self._df.filter(~matched), self.glue_ctx, name2),
            },
            self.glue_ctx,
        )

    def join(
        self,
        paths1: str | Sequence[str],
        paths2: str | Sequence[str],
        frame2: DynamicFrame,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """Inner equality join on paths1 == paths2. Both frames' fields are kept; a field both have (a
        shared key included) appears once, holding frame2's value where it has one, else this one's."""
        keys1, keys2 = _as_list(paths1), _as_list(paths2)
        if len(keys1) != len(keys2) or not keys1:
            raise ValueError(f"join: keys {keys1} and {keys2} must be non-empty lists of equal length")
        right_df = frame2.toDF()
        left, right = self._df.alias("l"), right_df.alias("r")
        condition = reduce(
            lambda acc, pair: acc & pair,
            [F.col(f"l.`{k1}`") == F.col(f"r.`{k2}`") for k1, k2 in zip(keys1, keys2, strict=True)],
        )
        right_types = {f.name: f.dataType for f in right_df.schema.fields}
        columns = []
        for field in self._df.schema.fields:
            name = field.name
            if name not in right_types:
                columns.append(F.col(f"l.`{name}`"))
            elif right_types[name] == field.dataType:
                columns.append(F.coalesce(F.col(f"r.`{name}`"), F.col(f"l.`{name}`")).alias(name))
            elif resolve.same_shape(right_types[name], field.dataType):
                right_value = records.conform(F.col(f"r.`{name}`"), right_types[name], field.dataType)
                columns.append(F.coalesce(right_value, F.col(f"l.`{name}`")).alias(name))
            else:
                raise ValueError(
                    f"join: both frames have a field {name!r}, as {field.dataType.simpleString()} and "
                    f"{right_types[name].simpleString()}; rename_field or resolveChoice one side first"
                )
        columns += [F.col(f"r.`{c}`") for c in right_df.columns if c not in self._df.columns]
        return self._with(left.join(right, condition, "inner").select(*columns), transformation_ctx)

    def mergeDynamicFrame(  # noqa: N802
        self,
        stage_dynamic_frame: DynamicFrame,
        primary_keys: Sequence[str],
        transformation_ctx: str = "",
        options: dict[str, Any] | None = None,
        **_: Any,
    ) -> DynamicFrame:
        """This frame's records, each replaced by the staging frame's record with the same primary keys.

        Staging records whose keys this frame does not have are not added; duplicates are kept; the
        two frames may differ in schema (a field missing on one side is null there).
        """
        keys = _as_list(primary_keys)
        stage = stage_dynamic_frame.toDF()
        missing = [k for k in keys if k not in self._df.columns or k not in stage.columns]
        if missing:
            raise paths.FieldError(f"mergeDynamicFrame: primary keys {missing} are not fields of both frames")
        kept = self._df.join(stage.select(*keys).distinct(), keys, "left_anti")
        replaced = stage.join(self._df.select(*keys).distinct(), keys, "left_semi")
        merged = kept.unionByName(replaced, allowMissingColumns=True)
        return self._with(merged, transformation_ctx)

    def union(self, other_frame: DynamicFrame, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Every record of both frames; fields are matched by name, a missing one is null."""
        return self._with(
            self._df.unionByName(other_frame.toDF(), allowMissingColumns=True), transformation_ctx
        )

    # -- nesting ---------------------------------------------------------------------------------
    def relationalize(
        self,
        root_table_name: str,
        staging_path: str | None = None,
        options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrameCollection:
        """The root table and one table per array (see `_local/relationalize.py`)."""
        tables = relationalize_tables(self._df, root_table_name)
        return DynamicFrameCollection(
            {name: DynamicFrame(df, self.glue_ctx, name) for name, df in tables.items()}, self.glue_ctx
        )

    def unbox(self, path: str, format: str, transformation_ctx: str = "", **options: Any) -> DynamicFrame:  # noqa: A002
        """Parse the string field at `path` (JSON or CSV text) into a struct in its place."""
        from awsglue._local import unboxing

        for key in ("info", "stageThreshold", "totalThreshold"):
            options.pop(key, None)
        return self._with(unboxing.unbox(self._df, path, format, options), transformation_ctx)

    def unnest_ddb_json(self, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """A DynamoDB export (`{"Item": {"id": {"S": ...}}}`) -> the items' attributes as plain fields."""
        return self._with(
            records.flat_records(self._df, lambda r: [ddb.unnest_record(r)]), transformation_ctx
        )

    def simplify_ddb_json(self, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """DynamoDB type descriptors removed wherever they are; lists of maps or of mixed types keep them."""
        return self._with(
            records.flat_records(self._df, lambda r: [ddb.simplify_record(r)]), transformation_ctx
        )

    # -- output ----------------------------------------------------------------------------------
    def spigot(
        self, path: str, options: dict[str, Any] | None = None, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """Write a sample of the records as JSON to `path` and return this frame unchanged.

        `topk`: the first k records; `prob`: each record with that probability; with neither, the
        first 100 records.
        """
        options = dict(options or {})
        sample = self._df
        if "prob" in options:
            sample = sample.sample(withReplacement=False, fraction=float(options["prob"]))
        if "topk" in options or "prob" not in options:
            sample = sample.limit(int(options.get("topk", 100)))
        self._context().write_dynamic_frame.from_options(
            frame=self._with(sample), connection_type="s3", connection_options={"path": path}, format="json"
        )
        return self

    def write(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,  # noqa: A002
        format_options: dict[str, Any] | None = None,
        accumulator_size: int = 0,
    ) -> DynamicFrame:
        """Write through a DataSink of this frame's GlueContext."""
        sink = self._context().getSink(connection_type, format, **(connection_options or {}))
        if format:
            sink.setFormat(format, **(format_options or {}))
        return sink.writeFrame(self)

    def _context(self) -> GlueContext:
        if self.glue_ctx is None:
            raise ValueError(
                "this DynamicFrame has no GlueContext: "
                "create it with DynamicFrame.fromDF(df, glue_context, name)"
            )
        return self.glue_ctx

    def drop_null_fields(self, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Drop top-level fields that are null in every record (a frame without records keeps its fields)."""
        df = self._df
        if not df.columns:
            return self
        counts = df.agg(*[F.count(F.col(f"`{c}`")).alias(str(i)) for i, c in enumerate(df.columns)]).first()
        if df.isEmpty():
            return self
        keep = [c for i, c in enumerate(df.columns) if counts[str(i)] > 0]
        return self._with(df.select(*[F.col(f"`{c}`") for c in keep]))

    def __repr__(self) -> str:
        return f"DynamicFrame({self.name!r}, {json.dumps(self._df.columns)})"


# Glue keeps its reader and writer in this module too; scripts may import them from here.
from awsglue.frame_io import DynamicFrameReader, DynamicFrameWriter  # noqa: E402

__all__ = ["DynamicFrame", "DynamicFrameReader", "DynamicFrameWriter", "ErrorThresholdExceeded"]
