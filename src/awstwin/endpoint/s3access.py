"""The one S3 staging helper every service (and the Glue job runtime) uses to reach S3 objects.

Two ways to reach the same objects:
- `TreeS3Access`: the endpoint's own S3 keeps every object as a plain file under
  `<root>/<bucket>/<key>`, so engines (DuckDB, Spark) read and write those files directly;
- `ClientS3Access`: any other S3 (LocalStack, AWS) through boto3, staging files in a local cache.
Callers ask for local paths and never care which one they have.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

S3_SCHEMES = ("s3://", "s3a://", "s3n://")
# Files Spark leaves behind while (or after) writing into a folder; S3 never shows them.
SPARK_ARTIFACT_PARTS = ("_temporary", "_spark_metadata")
SPARK_ARTIFACT_PREFIXES = (".spark-staging-", ".awstwin-tmp-")
SPARK_ARTIFACT_SUFFIXES = (".crc",)


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    last_modified: datetime
    etag: str = ""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key`, `s3a://...` or the bare `bucket/key` Glue also accepts -> (bucket, key)."""
    text = uri.strip()
    for scheme in S3_SCHEMES:
        if text.startswith(scheme):
            text = text[len(scheme) :]
            break
    bucket, _, key = text.partition("/")
    if not bucket:
        raise ValueError(f"not an S3 location: {uri!r}")
    return bucket, key


def is_bucket_folder_name(bucket: str) -> bool:
    """A bucket name that is one folder below the S3 root (never `..`, `.x`, `a/b` or `file:`).

    Locations come from the catalog, crawler targets and SQL, not only from CreateBucket: a name
    like `..` must not reach past the S3 tree into the state directory.
    """
    return bool(bucket) and not bucket.startswith(".") and all(c.isalnum() or c in "._-" for c in bucket)


def is_spark_artifact(key: str) -> bool:
    """True for what Spark (or our own atomic writes) leave in a folder while writing."""
    parts = key.split("/")
    if any(part in SPARK_ARTIFACT_PARTS for part in parts[:-1]):
        return True
    if any(part.startswith(SPARK_ARTIFACT_PREFIXES) for part in parts):
        return True
    return parts[-1].endswith(SPARK_ARTIFACT_SUFFIXES)


class S3Access(ABC):
    """What services need from S3: list, read, write, and local files for engines."""

    @abstractmethod
    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]: ...

    @abstractmethod
    def bucket_exists(self, bucket: str) -> bool: ...

    @abstractmethod
    def get_bytes(self, bucket: str, key: str, max_bytes: int | None = None) -> bytes: ...

    @abstractmethod
    def get_range(self, bucket: str, key: str, start: int, end: int) -> bytes:
        """Bytes `start` up to (not including) `end`, as far as the object has them."""

    @abstractmethod
    def get_tail(self, bucket: str, key: str, length: int) -> bytes:
        """The last `length` bytes (the whole object if it is shorter): a Parquet footer, say."""

    @abstractmethod
    def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str | None = None) -> None: ...

    @abstractmethod
    def delete_prefix(self, bucket: str, prefix: str) -> int: ...

    @abstractmethod
    def local_file(self, bucket: str, key: str) -> Path:
        """A readable local file with the object's bytes (the object itself, or a cached copy)."""

    @abstractmethod
    def upload_file(self, path: Path, bucket: str, key: str) -> None: ...

    def local_files(self, bucket: str, prefix: str) -> list[Path]:
        return [self.local_file(o.bucket, o.key) for o in self.list_objects(bucket, prefix)]

    def upload_tree(self, local_dir: Path, bucket: str, prefix: str) -> int:
        """Upload every file under `local_dir` to `prefix`, skipping Spark's leftovers."""
        count = 0
        prefix = prefix.rstrip("/")
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            rel = path.relative_to(local_dir).as_posix()
            if is_spark_artifact(rel) or rel.endswith("_SUCCESS"):
                continue
            self.upload_file(path, bucket, f"{prefix}/{rel}" if prefix else rel)
            count += 1
        return count

    @staticmethod
    def from_env() -> S3Access:
        """`AWSTWIN_S3_ROOT` names the plain-file tree when S3 is ours; otherwise use boto3."""
        root = os.environ.get("AWSTWIN_S3_ROOT")
        if root:
            return TreeS3Access(Path(root))
        return ClientS3Access()


class TreeS3Access(S3Access):
    """S3 objects that are plain files under `<root>/<bucket>/<key>` (the endpoint's own S3)."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, bucket: str, key: str) -> Path:
        if not is_bucket_folder_name(bucket):
            raise ValueError(f"not an S3 bucket name: s3://{bucket}/{key}")
        base = (self.root / bucket).resolve()
        target = (base / key).resolve()
        if not target.is_relative_to(base):
            raise ValueError(f"key escapes its bucket: s3://{bucket}/{key}")
        return target

    def bucket_exists(self, bucket: str) -> bool:
        return is_bucket_folder_name(bucket) and (self.root / bucket).is_dir()

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        base = self.root / bucket
        if not base.is_dir():
            return
        # Walk only below the deepest folder the prefix names.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = base / folder if folder else base
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                key = full.relative_to(base).as_posix()
                if not key.startswith(prefix) or is_spark_artifact(key):
                    continue
                stat = full.stat()
                yield ObjectInfo(bucket, key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def get_bytes(self, bucket: str, key: str, max_bytes: int | None = None) -> bytes:
        with self.path(bucket, key).open("rb") as handle:
            return handle.read() if max_bytes is None else handle.read(max_bytes)

    def get_range(self, bucket: str, key: str, start: int, end: int) -> bytes:
        with self.path(bucket, key).open("rb") as handle:
            handle.seek(start)
            return handle.read(max(0, end - start))

    def get_tail(self, bucket: str, key: str, length: int) -> bytes:
        with self.path(bucket, key).open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - length))
            return handle.read()

    def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str | None = None) -> None:
        target = self.path(bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".awstwin-tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        removed = 0
        for obj in list(self.list_objects(bucket, prefix)):
            self.path(bucket, obj.key).unlink(missing_ok=True)
            removed += 1
        return removed

    def local_file(self, bucket: str, key: str) -> Path:
        return self.path(bucket, key)

    def upload_file(self, path: Path, bucket: str, key: str) -> None:
        target = self.path(bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


class ClientS3Access(S3Access):
    """Any S3 API (LocalStack, AWS) through boto3; downloads are cached by ETag."""

    def __init__(self, client: object | None = None, cache_dir: Path | None = None):
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.client = client
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "awstwin-s3-cache"

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self.client.head_bucket(Bucket=bucket)  # type: ignore[attr-defined]
            return True
        except Exception:
            return False

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if is_spark_artifact(item["Key"]):
                    continue
                yield ObjectInfo(
                    bucket, item["Key"], item["Size"], item["LastModified"], item.get("ETag", "").strip('"')
                )

    def get_bytes(self, bucket: str, key: str, max_bytes: int | None = None) -> bytes:
        kwargs = {"Bucket": bucket, "Key": key}
        if max_bytes is not None:
            kwargs["Range"] = f"bytes=0-{max_bytes - 1}"
        return self.client.get_object(**kwargs)["Body"].read()  # type: ignore[attr-defined]

    def get_range(self, bucket: str, key: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        return self._ranged(bucket, key, f"bytes={start}-{end - 1}")

    def get_tail(self, bucket: str, key: str, length: int) -> bytes:
        return self._ranged(bucket, key, f"bytes=-{length}") if length > 0 else b""

    def _ranged(self, bucket: str, key: str, byte_range: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=bucket, Key=key, Range=byte_range)  # type: ignore[attr-defined]
        except Exception as exc:  # a range past the end of the object: S3 answers 416
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "InvalidRange":
                return b""
            raise
        return response["Body"].read()

    def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=bucket, Key=key, Body=data, **extra)  # type: ignore[attr-defined]

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        keys = [o.key for o in self.list_objects(bucket, prefix)]
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=bucket, Delete={"Objects": chunk})  # type: ignore[attr-defined]
        return len(keys)

    def local_file(self, bucket: str, key: str) -> Path:
        head = self.client.head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
        tag = hashlib.sha1(f"{head.get('ETag', '')}{head.get('ContentLength')}".encode()).hexdigest()[:12]
        target = self.cache_dir / bucket / f"{key}.{tag}" / Path(key).name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            os.close(fd)
            self.client.download_file(bucket, key, tmp)  # type: ignore[attr-defined]
            os.replace(tmp, target)
        return target

    def upload_file(self, path: Path, bucket: str, key: str) -> None:
        self.client.upload_file(str(path), bucket, key)  # type: ignore[attr-defined]
