"""S3 objects as plain files: `<root>/<bucket>/<key>` is the object, byte for byte.

Why plain files: Spark, DuckDB and any other process read *and write* that tree directly, and it
survives a restart for free. So the tree is the truth and this store only adds what a file system
cannot hold, in a sidecar tree (`keys.Layout` shows where each thing lives):
- metadata (Content-Type, x-amz-meta-*, ETag, tags, Content-Encoding/-Disposition, Cache-Control,
  checksums), trusted only while the file's size and mtime still match (`sidecar.py`); a file with
  no sidecar or a stale one gets an MD5 ETag computed once (then cached) and S3's default type;
- folder markers (`a/b/`, which the console and many tools create) - no file, just a marker;
- bucket settings (tags, encryption, policy, versioning, public access block).

What a file tree cannot do, and the answer you get instead of silent damage:
- A key cannot be both a file and a folder. If `a/b` exists, `PUT a` is fine but `PUT a/b/c`
  (needs `a/b` to be a folder) is refused, and so is `PUT a` while `a/...` keys exist: HTTP 409
  `KeyConflictsWithFolder` naming both keys. Nothing is overwritten or removed to make room.
- Keys with empty, `.` or `..` path segments (`a//b`, `/a`, `a/../b`), NUL, or a segment longer than
  255 bytes cannot be file paths: 400 `InvalidArgument` / `KeyTooLongError` naming the key.
- Names Spark uses for temporary output (`_temporary/`, `.spark-staging-*`, `*.crc`) and our own
  `.awstwin-*` files are hidden from listings and GETs, so they cannot be written through S3 either.
- A key ending in `/` is a folder marker and holds no bytes: a non-empty body is refused.
- Versioning settings are stored and reported, but only the latest version of an object exists.

Every write goes to a temp file (`.awstwin-tmp-*`, hidden) in the target folder, then `os.replace`,
so readers of the tree never see half an object.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from awstwin.endpoint.s3 import exceptions as err
from awstwin.endpoint.s3.checksums import b64, new_checksum
from awstwin.endpoint.s3.folders import FolderCache
from awstwin.endpoint.s3.keys import (
    Layout,
    check_bucket_name,
    check_key,
    is_addressable,
    is_folder_key,
    is_hidden,
)
from awstwin.endpoint.s3.listing import Listed, TreeLister
from awstwin.endpoint.s3.multipart import Uploads
from awstwin.endpoint.s3.sidecar import MetaCache, ObjectMeta, read_json, read_meta, write_json_atomic
from awstwin.endpoint.s3.staging import COPY_BUFFER, Written, stream_to_temp

EMPTY_MD5 = hashlib.md5(b"").hexdigest()


@dataclass
class StoredObject:
    """What a read needs: the file (None for a folder marker), its stat and its metadata."""

    bucket: str
    key: str
    path: Path | None
    meta: ObjectMeta
    last_modified: datetime

    @property
    def size(self) -> int:
        return self.meta.size


@dataclass
class ListResult:
    objects: list[StoredObject]
    prefixes: list[str]
    truncated: bool
    last: str  # the last key or prefix returned: where the next page starts


def _mtime(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC)


def _with_checksum(meta: ObjectMeta, written: Written) -> ObjectMeta:
    """Record the checksum of the algorithm the uploader chose (`meta.checksum_algorithm`)."""
    value = written.checksums.get(meta.checksum_algorithm or "")
    if value is None:
        return replace(meta, checksum_algorithm=None, checksum_value=None, checksum_type=None)
    return replace(meta, checksum_value=value, checksum_type="FULL_OBJECT")


class ObjectStore:
    """Buckets and objects over a plain-file tree (`root`) and a sidecar tree (`meta_root`)."""

    def __init__(self, root: Path, meta_root: Path):
        self.root = root
        self.meta_root = meta_root
        self.layout = Layout(root, meta_root)
        root.mkdir(parents=True, exist_ok=True)
        meta_root.mkdir(parents=True, exist_ok=True)
        # Guards changes to the namespace (which path is a file, which a folder); bodies stream outside.
        self.lock = threading.RLock()
        self.uploads = Uploads(self)
        self.folders = FolderCache()  # for listings: see folders.py and MetaCache
        self.listed_meta = MetaCache()

    # ---- buckets -------------------------------------------------------------------------
    def bucket_exists(self, bucket: str) -> bool:
        return bool(bucket) and not bucket.startswith(".") and self.layout.bucket_dir(bucket).is_dir()

    def require_bucket(self, bucket: str) -> None:
        if not self.bucket_exists(bucket):
            raise err.NoSuchBucket(bucket)

    def bucket_config(self, bucket: str) -> dict[str, Any]:
        """The bucket's stored settings; a folder made by another tool gets defaults on first sight."""
        self.require_bucket(bucket)
        config = read_json(self.layout.bucket_file(bucket))
        if config is None:
            stat = self.layout.bucket_dir(bucket).stat()
            config = {"created": stat.st_mtime, "region": "us-east-1"}
        return config

    def update_bucket_config(self, bucket: str, **changes: Any) -> None:
        """Set (or, with value None, remove) bucket settings."""
        with self.lock:
            config = self.bucket_config(bucket)
            for name, value in changes.items():
                if value is None:
                    config.pop(name, None)
                else:
                    config[name] = value
            write_json_atomic(self.layout.bucket_file(bucket), config)

    def list_buckets(self) -> list[tuple[str, dict[str, Any]]]:
        names = sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        return [(name, self.bucket_config(name)) for name in names]

    def create_bucket(self, bucket: str, region: str) -> None:
        check_bucket_name(bucket)
        with self.lock:
            if self.bucket_exists(bucket):
                raise err.BucketAlreadyOwnedByYou(bucket)
            self.layout.bucket_dir(bucket).mkdir(parents=True)
            write_json_atomic(self.layout.bucket_file(bucket), {"created": time.time(), "region": region})

    def delete_bucket(self, bucket: str) -> None:
        with self.lock:
            self.require_bucket(bucket)
            for item in TreeLister(self.layout.bucket_dir(bucket), self.layout.bucket_meta_dir(bucket)):
                raise err.BucketNotEmpty(bucket, item.key)
            for upload in self.uploads.list_uploads(bucket):
                self.uploads.abort(bucket, upload["key"], upload["upload_id"])
            # Only hidden leftovers (Spark temp files, empty folders) remain.
            shutil.rmtree(self.layout.bucket_dir(bucket))
            shutil.rmtree(self.layout.bucket_meta_dir(bucket), ignore_errors=True)

    # ---- reading -------------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> StoredObject:
        """The object's file and fresh metadata, or NoSuchKey (also for Spark's hidden files)."""
        self.require_bucket(bucket)
        if not is_addressable(key) or is_hidden(key):
            raise err.NoSuchKey(bucket, key)
        if is_folder_key(key):
            return self._marker(bucket, key)
        path = self.layout.object_path(bucket, key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise err.NoSuchKey(bucket, key) from None
        if not path.is_file():
            raise err.NoSuchKey(bucket, key)
        return StoredObject(bucket, key, path, self._fresh_meta(bucket, key, path, stat), _mtime(stat))

    def _marker(self, bucket: str, key: str) -> StoredObject:
        marker = self.layout.marker_path(bucket, key)
        data = read_json(marker)
        if data is None or not self.layout.object_path(bucket, key).is_dir():
            raise err.NoSuchKey(bucket, key)
        meta = ObjectMeta.from_json(data)
        return StoredObject(bucket, key, None, meta, datetime.fromtimestamp(meta.mtime_ns / 1e9, UTC))

    def _fresh_meta(
        self, bucket: str, key: str, path: Path, stat: os.stat_result, read: ObjectMeta | None = None
    ) -> ObjectMeta:
        """The object's metadata, its sidecar (`read`, when the caller has just read it) if it still
        describes the file, else derived from the file and cached in a new sidecar."""
        sidecar = self.layout.sidecar_path(bucket, key)
        meta = read if read is not None else read_meta(sidecar)
        if meta is not None and meta.fresh_for(stat):
            return meta
        # Written by someone else (or rewritten since): hash it once and cache the ETag.
        md5 = hashlib.md5()
        with path.open("rb") as handle:
            while chunk := handle.read(COPY_BUFFER):
                md5.update(chunk)
        meta = ObjectMeta(size=stat.st_size, mtime_ns=stat.st_mtime_ns, etag=md5.hexdigest(), derived=True)
        with self.lock:  # a concurrent upload commits file + sidecar under this lock: never undo it
            try:
                current = read_meta(sidecar)
                now = path.stat()
                if current is not None and current.fresh_for(now):
                    return current
                if now.st_mtime_ns == stat.st_mtime_ns and now.st_size == stat.st_size:
                    write_json_atomic(sidecar, meta.to_json())
            except OSError:
                pass  # the cache is an optimisation; a read-only or vanishing tree still answers
        return meta

    def list(
        self, bucket: str, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
    ) -> ListResult:
        self.require_bucket(bucket)
        lister = TreeLister(
            self.layout.bucket_dir(bucket),
            self.layout.bucket_meta_dir(bucket),
            prefix,
            delimiter,
            marker,
            self.folders,
        )
        objects: list[StoredObject] = []
        prefixes: list[str] = []
        last = ""
        items: Iterator[Listed] = iter(lister)
        for item in items:
            if len(objects) + len(prefixes) >= max_keys:
                return ListResult(objects, prefixes, True, last)
            last = item.key
            if item.is_prefix:
                prefixes.append(item.key)
            elif item.path is None:
                try:
                    objects.append(self._marker(bucket, item.key))
                except err.NoSuchKey:
                    continue
            else:
                assert item.stat is not None
                listed = self.listed_meta.read(self.layout.sidecar_file(bucket, item.key))
                meta = self._fresh_meta(bucket, item.key, item.path, item.stat, listed)
                objects.append(StoredObject(bucket, item.key, item.path, meta, _mtime(item.stat)))
        return ListResult(objects, prefixes, False, last)

    # ---- writing -------------------------------------------------------------------------
    def check_writable(self, bucket: str, key: str) -> None:
        """Refuse early (before any body is read) a key the tree cannot hold next to the others."""
        self.require_bucket(bucket)
        check_key(bucket, key)
        self._check_clash(bucket, key)

    def _check_clash(self, bucket: str, key: str) -> None:
        base = self.layout.bucket_dir(bucket)
        parts = key.rstrip("/").split("/")
        for depth in range(1, len(parts)):
            ancestor = "/".join(parts[:depth])
            path = base / ancestor
            if path.exists() and not path.is_dir():
                raise err.KeyFolderConflict(
                    bucket, key, f"the object {ancestor!r} exists, and {key!r} would need it to be a folder"
                )
        target = base / key.rstrip("/")
        if is_folder_key(key):
            if target.exists() and not target.is_dir():
                raise err.KeyFolderConflict(
                    bucket, key, f"the object {key.rstrip('/')!r} exists, so {key!r} cannot be a folder"
                )
            return
        if target.is_dir():
            example = self._first_key_under(bucket, key + "/")
            if example is not None:
                raise err.KeyFolderConflict(
                    bucket, key, f"{example!r} exists, so {key!r} is a folder and cannot also be an object"
                )
            if any(target.iterdir()):
                raise err.KeyFolderConflict(
                    bucket, key, f"the folder {key + '/'!r} holds files another process is writing (hidden)"
                )

    def _first_key_under(self, bucket: str, prefix: str) -> str | None:
        lister = TreeLister(self.layout.bucket_dir(bucket), self.layout.bucket_meta_dir(bucket), prefix)
        for item in lister:
            return item.key
        return None

    def put(
        self,
        bucket: str,
        key: str,
        body: BinaryIO,
        template: ObjectMeta,
        algorithms: tuple[str, ...] = (),
        verify: Callable[[Written], None] | None = None,
    ) -> ObjectMeta:
        """Store a body under `key`; `template` carries the uploader's metadata, `verify` may veto."""
        self.check_writable(bucket, key)
        if is_folder_key(key):
            return self._put_marker(bucket, key, body, template, algorithms, verify)
        target = self.layout.object_path(bucket, key)
        written = self.temp_beside(bucket, key, body, algorithms)
        try:
            if verify is not None:
                verify(written)
            meta = _with_checksum(replace(template, etag=written.md5), written)
            return self.commit(bucket, key, written, meta)
        except BaseException:
            written.tmp.unlink(missing_ok=True)
            with self.lock:
                self._prune(bucket, target.parent)  # folders made only for this failed upload
            raise

    def temp_beside(self, bucket: str, key: str, body: BinaryIO, algorithms: tuple[str, ...] = ()) -> Written:
        """Stream a body into a temp file in the key's folder (made if needed) for `commit`."""
        try:
            return stream_to_temp(self.layout.object_path(bucket, key).parent, body, algorithms)
        except (FileExistsError, NotADirectoryError):
            # Another upload made a file where this key needs a folder, after our first check.
            self._check_clash(bucket, key)
            raise err.KeyFolderConflict(bucket, key, "another key took one of its folder names") from None

    def commit(self, bucket: str, key: str, written: Written, meta: ObjectMeta) -> ObjectMeta:
        """Move a finished temp file into place and record its metadata, under the namespace lock."""
        target = self.layout.object_path(bucket, key)
        with self.lock:
            self.require_bucket(bucket)
            self._check_clash(bucket, key)
            if target.is_dir():
                try:
                    target.rmdir()  # empty and unmarked: a folder left over from deleted keys
                except OSError:
                    raise err.KeyFolderConflict(
                        bucket, key, f"another upload is writing into {key + '/'!r}"
                    ) from None
            try:
                os.replace(written.tmp, target)
            except (IsADirectoryError, NotADirectoryError) as exc:
                raise err.KeyFolderConflict(bucket, key, f"the tree changed while writing ({exc})") from None
            stat = target.stat()
            meta = replace(meta, size=stat.st_size, mtime_ns=stat.st_mtime_ns, derived=False)
            write_json_atomic(self.layout.sidecar_path(bucket, key), meta.to_json())
        return meta

    def _put_marker(
        self,
        bucket: str,
        key: str,
        body: BinaryIO,
        template: ObjectMeta,
        algorithms: tuple[str, ...],
        verify: Callable[[Written], None] | None,
    ) -> ObjectMeta:
        data = body.read(1)
        if data:
            raise err.InvalidArgument(
                f"The local S3 keeps {key!r} as a folder marker (the key ends in '/'), which cannot hold "
                "bytes; upload the data under a key without the trailing '/'",
                f"/{bucket}/{key}",
                "Key",
                key,
            )
        sums = {name: b64(new_checksum(name).digest()) for name in algorithms}
        if verify is not None:
            verify(Written(Path(os.devnull), 0, EMPTY_MD5, sums))
        meta = replace(template, size=0, mtime_ns=time.time_ns(), etag=EMPTY_MD5, derived=False)
        meta = _with_checksum(meta, Written(Path(os.devnull), 0, EMPTY_MD5, sums))
        with self.lock:
            self._check_clash(bucket, key)
            self.layout.object_path(bucket, key).mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.layout.marker_path(bucket, key), meta.to_json())
        return meta

    def update_meta(self, bucket: str, key: str, **changes: Any) -> ObjectMeta:
        """Change stored metadata (tags) of an existing object without touching its bytes."""
        with self.lock:
            obj = self.head(bucket, key)
            meta = replace(obj.meta, **changes)
            if obj.path is None:
                write_json_atomic(self.layout.marker_path(bucket, key), meta.to_json())
            else:
                write_json_atomic(self.layout.sidecar_path(bucket, key), meta.to_json())
            return meta

    def copy(self, src: StoredObject, bucket: str, key: str, meta: ObjectMeta) -> ObjectMeta:
        """Copy an object's bytes to `bucket/key` with `meta` (already merged per the directive)."""
        self.check_writable(bucket, key)
        if is_folder_key(key):
            with open(os.devnull, "rb") as empty:
                return self._put_marker(bucket, key, empty, meta, (), None)
        if src.path is None:
            raise err.InvalidRequest(
                f"s3://{src.bucket}/{src.key} is a folder marker; only a key ending in '/' can be its copy",
                resource=f"/{bucket}/{key}",
            )
        algorithms = (meta.checksum_algorithm,) if meta.checksum_algorithm else ()
        with src.path.open("rb") as handle:
            written = self.temp_beside(bucket, key, handle, algorithms)
        try:
            if written.size != src.size:
                raise err.InvalidRequest(
                    f"s3://{src.bucket}/{src.key} changed while it was being copied; retry",
                    resource=f"/{bucket}/{key}",
                )
            etag = meta.etag or written.md5
            if algorithms:
                meta = replace(
                    meta, checksum_value=written.checksums[algorithms[0]], checksum_type="FULL_OBJECT"
                )
            return self.commit(bucket, key, written, replace(meta, etag=etag))
        finally:
            written.tmp.unlink(missing_ok=True)

    # ---- deleting ------------------------------------------------------------------------
    def delete(self, bucket: str, key: str) -> None:
        """Delete a key; deleting a key that does not exist is not an error, as in S3."""
        self.require_bucket(bucket)
        if not is_addressable(key) or is_hidden(key):
            return
        with self.lock:
            path = self.layout.object_path(bucket, key)
            if is_folder_key(key):
                self.layout.marker_path(bucket, key).unlink(missing_ok=True)
                self._prune(bucket, path)
                return
            if path.is_file():
                path.unlink(missing_ok=True)
            elif path.exists():
                return  # a folder: not an object, nothing to delete
            self.layout.sidecar_path(bucket, key).unlink(missing_ok=True)
            self._prune(bucket, path.parent)

    def _prune(self, bucket: str, folder: Path) -> None:
        """Remove folders left empty (and unmarked) up to the bucket, as S3 has no empty folders."""
        base = self.layout.bucket_dir(bucket)
        while folder != base and base in folder.parents:
            rel = folder.relative_to(base).as_posix()
            if self.layout.marker_path(bucket, rel + "/").exists():
                return
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                return  # not empty
            shutil.rmtree(self.layout.bucket_meta_dir(bucket) / rel, ignore_errors=True)
            folder = folder.parent
