"""Output files named the way Glue names a DynamicFrame's files in S3, not the way Spark does.

A Glue DynamicFrame write leaves `run-<epoch ms>-part-r-<5-digit part>` for text formats (CSV, JSON),
e.g. `run-1603724177164-part-r-00000`, as users of Glue report
(https://github.com/awslabs/fhir-works-on-aws-deployment/pull/128), and
`run-<epoch ms>-part-block-0-r-<part>-snappy.parquet` for Parquet (visible in the public AWS RODA
bucket `s3://aws-roda-hcls-datalake/gnomad/chrm/`). Plain Spark writes (`df.write.parquet`) keep
Spark's `part-00000-<uuid>-c000...` names: they do not come through here.

Spark writes into a hidden folder beside the target first; the files are then moved into place
under their Glue names, so a reader never sees half a write.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SPARK_PART = re.compile(r"^part-(\d+)-[0-9a-f-]+(?:-c(\d+))?(\..*)?$")
STAGING_PREFIX = ".awstwin-tmp-glue-"  # hidden from S3 listings (see s3access.is_spark_artifact)


def glue_name(spark_name: str, stamp_ms: int, fmt: str) -> str | None:
    """The Glue name for one of Spark's part files, or None for what is not a data file."""
    match = SPARK_PART.match(spark_name)
    if match is None:
        return None
    part, chunk, suffix = int(match.group(1)), int(match.group(2) or 0), match.group(3) or ""
    extra = f"-c{chunk:03d}" if chunk else ""
    if fmt in ("parquet", "glueparquet"):
        codec = suffix[: -len(".parquet")].lstrip(".") if suffix.endswith(".parquet") else ""
        return f"run-{stamp_ms}-part-block-0-r-{part:05d}{extra}" + (
            f"-{codec}.parquet" if codec else ".parquet"
        )
    compression = (
        suffix.rsplit(".", 1)[-1] if suffix.endswith((".gz", ".bz2", ".snappy", ".lz4", ".zst")) else ""
    )
    if fmt == "orc":
        return f"run-{stamp_ms}-part-r-{part:05d}{extra}.orc"
    return f"run-{stamp_ms}-part-r-{part:05d}{extra}" + (f".{compression}" if compression else "")


@contextmanager
def glue_named_output(target: Path, fmt: str) -> Iterator[Path]:
    """A folder for Spark to write into; its files land in `target` under Glue's names."""
    target.mkdir(parents=True, exist_ok=True)
    staging = target / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    try:
        yield staging
        stamp = int(time.time() * 1000)
        for path in sorted(staging.rglob("*")):
            if not path.is_file():
                continue
            name = glue_name(path.name, stamp, fmt)
            if name is None:
                continue  # _SUCCESS, .crc and the like
            destination = target / path.parent.relative_to(staging) / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            path.replace(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
