"""`UNLOAD ('select ...') TO 's3://prefix'`: the query runs in the client's session, the front writes files.

The front sends the query itself and reads its rows (text format, typed by the row description),
then writes them as Redshift names its files (one slice here, so `0000_part_00`; `000` with
PARALLEL OFF; a new part past MAXFILESIZE; `.parquet`, `.gz`, `.bz2`, `.zst` and EXTENSION added),
with PARTITION BY folders (`col=value/`) and a MANIFEST. The client gets UNLOAD and an INFO notice.
UNLOAD reference: https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html
File names: https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD_command_examples.html
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from awstwin.redshift import s3io, wire
from awstwin.redshift.context import SessionState
from awstwin.redshift.errors import FrontError
from awstwin.redshift.options import read_options
from awstwin.redshift.plan import Action, Plan, Step
from awstwin.redshift.translate import Statement, split
from awstwin.redshift.wire import Column

NOT_EMPTY = (
    "Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, manually "
    "removing the target files in S3, or using the ALLOWOVERWRITE option."
)
EXTENSIONS = {"GZIP": ".gz", "BZIP2": ".bz2", "ZSTD": ".zst"}
DEFAULT_MAXFILESIZE = int(6.2 * 1024**3)

# Postgres type OID -> (Arrow type, text -> Python value)
TYPES: dict[int, tuple[pa.DataType, Callable[[str], object]]] = {
    16: (pa.bool_(), lambda text: text == "t"),
    20: (pa.int64(), int),
    21: (pa.int16(), int),
    23: (pa.int32(), int),
    700: (pa.float32(), float),
    701: (pa.float64(), float),
    1082: (pa.date32(), date.fromisoformat),
    1114: (pa.timestamp("us"), datetime.fromisoformat),
    1184: (pa.timestamp("us", tz="UTC"), datetime.fromisoformat),
}


def plan_unload(statement: Statement, state: SessionState, translate) -> Plan:  # noqa: ANN001
    """UNLOAD ('query') TO 's3://...' [options]."""
    if statement.word(1) != "(" or statement.word(3) != ")" or statement.word(4) != "TO":
        raise FrontError("syntax error at or near \"UNLOAD\": UNLOAD ('select ...') TO 's3://...' expected")
    query = split(statement.tokens[2].text)
    if len(query) != 1:
        raise FrontError("UNLOAD takes one SELECT statement")
    sql, pre = translate(query[0])
    options = read_options(statement, 6)
    target = s3io.S3Url.parse(statement.tokens[5].text)
    action = UnloadAction(target, options, state)
    action.check_destination()
    return Plan([*pre, Step(sql, action=action, tag="UNLOAD", no_data=True)])


@dataclass
class UnloadAction(Action):
    target: s3io.S3Url
    options: dict[str, object]
    state: SessionState
    captures_rows = True
    columns: list[Column] = field(default_factory=list)
    rows: list[list[bytes | None]] = field(default_factory=list)

    @property
    def is_parquet(self) -> bool:
        return "PARQUET" in self.options

    def _s3(self):  # noqa: ANN202
        region = self.options.get("REGION")
        return self.state.front.s3(str(region) if isinstance(region, str) else None)

    def check_destination(self) -> None:
        if "ALLOWOVERWRITE" in self.options or "CLEANPATH" in self.options:
            return
        if s3io.list_keys(self._s3(), self.target):
            raise FrontError(NOT_EMPTY)

    def on_columns(self, columns: list[Column]) -> None:
        self.columns = columns

    def on_row(self, values: list[bytes | None]) -> None:
        self.rows.append(values)

    def on_complete(self, tag: str) -> tuple[str, list[bytes]]:
        s3 = self._s3()
        if "CLEANPATH" in self.options:
            s3io.delete_prefix(s3, self.target)
        written = self._write(s3)
        if "MANIFEST" in self.options:
            self._manifest(s3, written)
        self.state.last_unload_count = len(self.rows)
        notice = wire.error_response(
            f"UNLOAD completed, {len(self.rows)} record(s) unloaded successfully.", "00000", "INFO"
        )
        return "UNLOAD", [notice]

    # ---- files ----------------------------------------------------------------------------------

    def _groups(self) -> dict[str, list[list[bytes | None]]]:
        """Rows by partition folder ('' without PARTITION BY)."""
        keys = self.options.get("PARTITION BY")
        if not keys:
            return {"": self.rows}
        names = [column.name for column in self.columns]
        positions = [names.index(key) for key in keys]  # type: ignore[union-attr]
        groups: dict[str, list[list[bytes | None]]] = {}
        for row in self.rows:
            folder = "".join(
                f"{names[p]}={(row[p] or b'__HIVE_DEFAULT_PARTITION__').decode()}/" for p in positions
            )
            groups.setdefault(folder, []).append(row)
        return groups

    def _write(self, s3) -> list[tuple[s3io.S3Url, int, int]]:
        written = []
        prefix = self.target.key
        partitioned = bool(self.options.get("PARTITION BY"))
        if partitioned and prefix and not prefix.endswith("/"):
            prefix += "/"
        keep = self._kept_positions()
        limit = _size(self.options.get("MAXFILESIZE"))
        for folder, rows in self._groups().items():
            for part, (data, count) in enumerate(self._files(rows, keep, limit)):
                key = prefix + folder + self._name(part)
                s3io.write(s3, s3io.S3Url(self.target.bucket, key), data)
                written.append((s3io.S3Url(self.target.bucket, key), len(data), count))
        return written

    def _kept_positions(self) -> list[int]:
        keys = self.options.get("PARTITION BY") or []
        if not keys or "PARTITION INCLUDE" in self.options:
            return list(range(len(self.columns)))
        return [i for i, column in enumerate(self.columns) if column.name not in keys]

    def _name(self, part: int) -> str:
        parallel = str(self.options.get("PARALLEL", "ON")).upper() not in ("OFF", "FALSE")
        name = f"0000_part_{part:02d}" if parallel else f"{part:03d}"
        if self.is_parquet:
            name += ".parquet"
        else:
            if isinstance(self.options.get("EXTENSION"), str):
                name += "." + str(self.options["EXTENSION"]).lstrip(".")
            name += next((ext for option, ext in EXTENSIONS.items() if option in self.options), "")
        return name

    def _files(self, rows: list[list[bytes | None]], keep: list[int], limit: int):  # noqa: ANN202
        """(bytes, rows) per file; a new file starts when the size limit would be passed."""
        if self.is_parquet:
            yield from self._parquet(rows, keep, limit)
            return
        batch: list[list[bytes | None]] = []
        size = 0
        for row in rows:
            line = self._text_line(row, keep)
            if batch and size + len(line) > limit:
                yield self._compress(self._text(batch, keep)), len(batch)
                batch, size = [], 0
            batch.append(row)
            size += len(line)
        if batch or not rows:
            yield self._compress(self._text(batch, keep)), len(batch)

    def _text(self, rows: list[list[bytes | None]], keep: list[int]) -> bytes:
        out = io.StringIO()
        if "HEADER" in self.options:
            out.write(self._join([self.columns[i].name for i in keep]))
        for row in rows:
            out.write(self._text_line(row, keep))
        return out.getvalue().encode()

    def _text_line(self, row: list[bytes | None], keep: list[int]) -> str:
        null = str(self.options.get("NULL", ""))
        return self._join([null if row[i] is None else row[i].decode() for i in keep])  # type: ignore[union-attr]

    def _join(self, values: list[str]) -> str:
        is_csv = "CSV" in self.options
        delimiter = str(self.options.get("DELIMITER", "," if is_csv else "|"))
        if is_csv:
            out = io.StringIO()
            csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(values)
            return out.getvalue()
        if "ADDQUOTES" in self.options:
            values = ['"' + value.replace('"', '""') + '"' for value in values]
        return delimiter.join(values) + "\n"

    def _compress(self, data: bytes) -> bytes:
        option = next((option for option in EXTENSIONS if option in self.options), None)
        if option is None:
            return data
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, s3io.COMPRESSIONS[option]) as stream:
            stream.write(data)
        return sink.getvalue().to_pybytes()

    def _parquet(self, rows: list[list[bytes | None]], keep: list[int], limit: int):  # noqa: ANN202
        table = self._arrow(rows, keep)
        out = io.BytesIO()
        pq.write_table(table, out, compression="snappy")
        data = out.getvalue()
        if len(data) <= limit or table.num_rows <= 1:
            yield data, table.num_rows
            return
        parts = -(-len(data) // limit)
        step = -(-table.num_rows // parts)
        for start in range(0, table.num_rows, step):
            out = io.BytesIO()
            pq.write_table(table.slice(start, step), out, compression="snappy")
            yield out.getvalue(), min(step, table.num_rows - start)

    def _arrow(self, rows: list[list[bytes | None]], keep: list[int]) -> pa.Table:
        arrays, names = [], []
        for i in keep:
            column = self.columns[i]
            kind, convert = _arrow_type(column)
            texts = pa.array([row[i] for row in rows], pa.binary()).cast(pa.string())
            try:  # Arrow parses the column's text at once; 't'/'f' booleans and odd shapes go value by value
                if kind == pa.bool_():
                    raise pa.ArrowInvalid("booleans are t/f")
                arrays.append(texts.cast(kind))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                values = [None if text is None else convert(text) for text in texts.to_pylist()]
                arrays.append(pa.array(values, type=kind))
            names.append(column.name)
        return pa.Table.from_arrays(arrays, names=names)

    def _manifest(self, s3, written: list[tuple[s3io.S3Url, int, int]]) -> None:
        verbose = (
            self.options.get("MANIFEST") == "VERBOSE"
            or str(self.options.get("MANIFEST")).upper() == "VERBOSE"
        )
        entries = []
        for url, size, count in written:
            entry: dict[str, object] = {"url": str(url)}
            if verbose:
                entry["meta"] = {"content_length": size, "record_count": count}
            entries.append(entry)
        manifest: dict[str, object] = {"entries": entries}
        if verbose:
            manifest["schema"] = {"elements": [{"name": c.name} for c in self.columns]}
            manifest["meta"] = {
                "content_length": sum(s for _, s, _ in written),
                "record_count": sum(n for _, _, n in written),
            }
        key = self.target.key + "manifest"
        s3io.write(s3, s3io.S3Url(self.target.bucket, key), json.dumps(manifest, indent=2).encode())


def _arrow_type(column: Column) -> tuple[pa.DataType, Callable[[str], object]]:
    if column.type_oid == 1700:
        modifier = column.type_modifier - 4
        if modifier >= 0:
            precision, scale = modifier >> 16, modifier & 0xFFFF
            return pa.decimal128(max(precision, 1), scale), Decimal
        return pa.float64(), float
    return TYPES.get(column.type_oid, (pa.string(), str))


def _size(value: object) -> int:
    """MAXFILESIZE [AS] n [MB|GB]: megabytes by default."""
    if not isinstance(value, str):
        return DEFAULT_MAXFILESIZE
    number, _, unit = value.partition(" ")
    factor = 1024**3 if unit.upper() == "GB" else 1024**2
    return int(float(number) * factor)
