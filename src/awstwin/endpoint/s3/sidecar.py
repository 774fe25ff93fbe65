"""An object's metadata, kept next to (never inside) the object tree, and trusted only while fresh.

The object file is the truth: Spark or DuckDB may rewrite it at any time without telling us. A
sidecar records the file's size and mtime (ns) when it was written; if the file no longer matches,
the sidecar describes an older object and is ignored (the ETag is recomputed from the bytes and the
content type falls back to S3's default).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from awstwin.endpoint.s3.folders import SETTLED_NS

DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 reports when the uploader named none
TMP_PREFIX = ".awstwin-tmp-"


@dataclass
class ObjectMeta:
    size: int
    mtime_ns: int
    etag: str  # without quotes
    content_type: str = DEFAULT_CONTENT_TYPE
    metadata: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* without the prefix
    content_encoding: str | None = None
    content_language: str | None = None
    cache_control: str | None = None
    content_disposition: str | None = None
    expires: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    checksum_algorithm: str | None = None  # CRC32, CRC32C, CRC64NVME, SHA1, SHA256
    checksum_value: str | None = None  # base64; `...-N` for a COMPOSITE multipart checksum
    checksum_type: str | None = None  # FULL_OBJECT or COMPOSITE
    parts_count: int | None = None
    part_sizes: list[int] | None = None  # of a multipart object, for GetObject?partNumber=N
    storage_class: str = "STANDARD"
    server_side_encryption: str | None = None
    # True when the endpoint only hashed a file someone else wrote (no uploader metadata known).
    derived: bool = False

    def fresh_for(self, stat: os.stat_result) -> bool:
        return self.size == stat.st_size and self.mtime_ns == stat.st_mtime_ns

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False and v != {}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ObjectMeta:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write through a temp file in the same folder and `os.replace`, so readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # a torn or foreign file: treat as absent, it will be rewritten
    return data if isinstance(data, dict) else None


def read_meta(path: Path) -> ObjectMeta | None:
    data = read_json(path)
    return _meta_of(data)


def _meta_of(data: dict[str, Any] | None) -> ObjectMeta | None:
    if data is None:
        return None
    try:
        return ObjectMeta.from_json(data)
    except TypeError:
        return None


class MetaCache:
    """Sidecars read before, reused while the file is the same one: a listing page reads a thousand.

    A sidecar is only ever replaced whole (`write_json_atomic`: a new file, so a new inode), and only
    one whose mtime was older than `SETTLED_NS` when it was read is kept, so a later write always
    shows as another inode or mtime. Callers must treat what they get as read-only (it is shared).
    """

    def __init__(self, max_entries: int = 200_000):
        self._max_entries = max_entries
        self._entries: dict[str, tuple[tuple[int, int, int], ObjectMeta]] = {}

    def read(self, path: str) -> ObjectMeta | None:
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        cached = self._entries.get(path)
        if cached is not None and cached[0] == (info.st_ino, info.st_size, info.st_mtime_ns):
            return cached[1]
        read_at = time.time_ns()
        try:
            with open(path, "rb") as handle:
                info = os.fstat(handle.fileno())  # the version of the bytes read, not of the stat above
                data = json.loads(handle.read())
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # a torn or foreign file: treat as absent, it will be rewritten
        meta = _meta_of(data if isinstance(data, dict) else None)
        if meta is not None and read_at - info.st_mtime_ns > SETTLED_NS:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[path] = ((info.st_ino, info.st_size, info.st_mtime_ns), meta)
        return meta
