"""Per-record transforms (map, filter, DynamoDB JSON, unbox): Python functions over records.

Glue hands such functions a DynamicRecord, a self-describing record that reads like a dict; locally
it is a plain dict (nested structs are dicts, arrays lists). A record whose function raises is not
fatal: Glue keeps it as an error record of that stage (`errorsCount`, `errorsAsDynamicFrame`), and the
frame goes on without it. New records are typed by reading them back as JSON (schema on read, like
a DynamicFrame); fields the input had keep the input's type where the values still fit it.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, MapType, StructField, StructType

from awsglue._local.types import legacy_casts


def _error_schema() -> StructType:
    from pyspark.sql.types import StringType

    inner = StructType([StructField(n, StringType()) for n in ("stage", "message", "record")])
    return StructType([StructField("error", inner)])


def to_json(record: Any) -> str:
    return json.dumps(record, default=_json_default, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _failure(stage: str, exc: BaseException, record: dict[str, Any]) -> str:
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return to_json({"stage": stage, "message": message, "record": to_json(record)})


@dataclass
class Outcome:
    """The records a stage produced (a frame) and the ones it failed on (error records)."""

    frame: DataFrame
    errors: DataFrame


def errors_frame(spark: SparkSession, failures: Any) -> DataFrame:
    """An RDD of error JSON texts as error records."""
    rows = failures.map(lambda text: (tuple(json.loads(text)[k] for k in ("stage", "message", "record")),))
    return spark.createDataFrame(rows, _error_schema())


def empty_errors(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([], _error_schema())


def map_records(df: DataFrame, f: Callable[[dict[str, Any]], Any], stage: str) -> Outcome:
    """`f(record)` for every record; its results, as a frame typed from their values."""

    def apply(row: Any) -> tuple[bool, str]:
        record = row.asDict(recursive=True)
        try:
            result = f(record)
        except Exception as exc:  # the record becomes an error record, as in Glue
            return False, _failure(stage, exc, record)
        return True, to_json(result if result is not None else {})

    results = df.rdd.map(apply).persist(StorageLevel.MEMORY_AND_DISK)
    texts = results.filter(lambda r: r[0]).map(lambda r: r[1])
    frame = from_json_texts(df.sparkSession, texts, like=df.schema)
    errors = errors_frame(df.sparkSession, results.filter(lambda r: not r[0]).map(lambda r: r[1]))
    return Outcome(frame, errors)


def filter_records(df: DataFrame, f: Callable[[dict[str, Any]], Any], stage: str) -> Outcome:
    """The records for which `f(record)` is true, in the input's schema."""

    def test(row: Any) -> tuple[int, Any]:
        record = row.asDict(recursive=True)
        try:
            return (1 if f(record) else 0), row
        except Exception as exc:
            return -1, _failure(stage, exc, record)

    results = df.rdd.map(test).persist(StorageLevel.MEMORY_AND_DISK)
    kept = df.sparkSession.createDataFrame(results.filter(lambda r: r[0] == 1).map(lambda r: r[1]), df.schema)
    errors = errors_frame(df.sparkSession, results.filter(lambda r: r[0] == -1).map(lambda r: r[1]))
    return Outcome(kept, errors)


def from_json_texts(spark: SparkSession, texts: Any, like: StructType | None = None) -> DataFrame:
    """Records given as JSON texts -> a frame typed from the values (Spark's JSON inference).

    Spark orders inferred fields by name; fields of `like` come back in `like`'s order and, where the
    values still fit, in `like`'s types (a date written as text is a date again).
    """
    if texts.isEmpty():
        return spark.createDataFrame([], like if like is not None else StructType())
    frame = spark.read.json(texts)
    if like is None:
        return frame
    wanted = {f.name: f.dataType for f in like.fields}
    order = [n for n in like.fieldNames() if n in frame.columns] + [
        c for c in frame.columns if c not in wanted
    ]
    with legacy_casts(spark):
        columns = [
            conform(F.col(f"`{name}`"), frame.schema[name].dataType, wanted.get(name)).alias(name)
            for name in order
        ]
        return frame.select(*columns)


def conform(column: Column, current: DataType, wanted: DataType | None) -> Column:
    """`column` in type `wanted` when that is where it came from; structs and arrays by field name."""
    if wanted is None or current == wanted:
        return column
    if isinstance(wanted, (StructType, ArrayType, MapType)):
        if type(current) is not type(wanted):
            return column
        return F.from_json(F.to_json(column), wanted)
    if isinstance(current, (StructType, ArrayType, MapType)):
        return column
    return column.cast(wanted)


def flat_records(df: DataFrame, f: Callable[[dict[str, Any]], Iterable[dict[str, Any]]]) -> DataFrame:
    """Each record -> any number of records (used by DynamoDB JSON and unbox), typed on read."""
    texts = df.rdd.flatMap(lambda row: [to_json(r) for r in f(row.asDict(recursive=True))])
    return from_json_texts(df.sparkSession, texts)
