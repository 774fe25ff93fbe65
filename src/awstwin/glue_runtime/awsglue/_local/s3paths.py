"""S3 URIs as files Spark can read and write.

When the endpoint serves S3 itself, objects are plain files under `AWSTWIN_S3_ROOT` and Spark reads
and writes them in place. Otherwise (LocalStack, AWS) inputs are downloaded to a cache and outputs
are written to a temporary folder, then uploaded. `awstwin.endpoint.s3access` does the S3 side.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from awstwin.endpoint.s3access import (
    S3_SCHEMES,
    ObjectInfo,
    S3Access,
    TreeS3Access,
    is_spark_artifact,
    parse_s3_uri,
)


class S3PathError(Exception):
    """An S3 location that cannot be read or written (no such bucket, nothing there)."""


def is_s3(uri: str) -> bool:
    return uri.strip().startswith(S3_SCHEMES)


_chosen: S3Access | None = None


def use(store: S3Access | None) -> None:
    """Reach S3 through `store` rather than what the environment says (tests; None resets)."""
    global _chosen
    _chosen = store
    _from_env.cache_clear()


def access() -> S3Access:
    return _chosen if _chosen is not None else _from_env()


@lru_cache(maxsize=1)
def _from_env() -> S3Access:
    return S3Access.from_env()


def _local(uri: str) -> Path:
    text = uri.strip()
    return Path(text[len("file://") :] if text.startswith("file://") else text)


@dataclass(frozen=True)
class DataObject:
    """One data file an input location holds: what a job bookmark decides on."""

    uri: str  # s3://bucket/key (or the local path)
    modified_ms: int
    bucket: str = ""
    key: str = ""


# Picks the files to read from those found (a job bookmark keeps the new and changed ones).
FileSelect = Callable[[list[DataObject]], list[DataObject]]


@dataclass(frozen=True)
class ReadTarget:
    """What to hand Spark for one input location."""

    paths: list[str]
    recursive: bool  # paths are folders whose files at any depth are data


def read_target(uris: list[str], recurse: bool, select: FileSelect | None = None) -> ReadTarget:
    """The files (or folders) holding the data under `uris`; empty `paths` when there is none.

    With `select`, every data file is listed with its modification time and only those `select`
    keeps are read (a job bookmark's new and changed files).
    """
    if select is not None:
        return _selected(uris, recurse, select)
    store = access()
    paths: list[str] = []
    whole_folders = True
    for uri in uris:
        if not is_s3(uri):
            local = _local(uri)
            if local.exists():
                paths.append(str(local))
            continue
        bucket, key = parse_s3_uri(uri)
        if not store.bucket_exists(bucket):
            raise S3PathError(f"cannot read {uri}: bucket {bucket!r} does not exist (NoSuchBucket)")
        if isinstance(store, TreeS3Access) and recurse:
            folder = store.path(bucket, key)
            if folder.is_dir() or folder.is_file():
                paths.append(str(folder))
                continue
        whole_folders = False
        paths.extend(str(store.local_file(bucket, k)) for k in _object_keys(store, bucket, key, recurse))
    return ReadTarget(paths, recursive=recurse and whole_folders)


def _object_keys(store: S3Access, bucket: str, key: str, recurse: bool) -> list[str]:
    """The object `key` itself, else the data objects in the folder `key/` (Spark's hidden names skipped)."""
    return [o.key for o in _data_objects(store, bucket, key, recurse)]


def _data_objects(store: S3Access, bucket: str, key: str, recurse: bool) -> list[ObjectInfo]:
    objects = list(store.list_objects(bucket, key))
    exact = [o for o in objects if o.key == key]
    if exact:
        return exact
    folder = key.rstrip("/") + "/" if key else ""
    chosen = []
    for info in objects:
        rest = info.key[len(folder) :] if info.key.startswith(folder) else None
        if not rest or (not recurse and "/" in rest):
            continue
        if any(part.startswith(("_", ".")) for part in rest.split("/")):
            continue
        chosen.append(info)
    return chosen


def _selected(uris: list[str], recurse: bool, select: FileSelect) -> ReadTarget:
    """Every data file under `uris` with its modification time; read those `select` keeps."""
    store = access()
    found: list[DataObject] = []
    for uri in uris:
        if not is_s3(uri):
            local = _local(uri)
            files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
            found += [
                DataObject(str(p), int(p.stat().st_mtime * 1000))
                for p in files
                if not p.name.startswith((".", "_"))
            ]
            continue
        bucket, key = parse_s3_uri(uri)
        if not store.bucket_exists(bucket):
            raise S3PathError(f"cannot read {uri}: bucket {bucket!r} does not exist (NoSuchBucket)")
        for info in _data_objects(store, bucket, key, recurse):
            modified = int(info.last_modified.timestamp() * 1000)
            found.append(DataObject(info.uri, modified, info.bucket, info.key))
    chosen = select(found)
    paths = [str(store.local_file(o.bucket, o.key)) if o.bucket else o.uri for o in chosen]
    return ReadTarget(paths, recursive=False)


@contextmanager
def write_folder(uri: str) -> Iterator[Path]:
    """A local folder to write into; what lands there becomes the objects under `uri`."""
    if not is_s3(uri):
        target = _local(uri)
        target.mkdir(parents=True, exist_ok=True)
        yield target
        return
    store = access()
    bucket, key = parse_s3_uri(uri)
    if not store.bucket_exists(bucket):
        raise S3PathError(f"cannot write {uri}: bucket {bucket!r} does not exist (NoSuchBucket)")
    if isinstance(store, TreeS3Access):
        yield store.path(bucket, key.rstrip("/"))
        return
    staging = Path(tempfile.mkdtemp(prefix="awstwin-glue-write-"))
    try:
        yield staging / "out"
        if (staging / "out").exists():
            store.upload_tree(staging / "out", bucket, key.rstrip("/"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def delete_older_than(uri: str, cutoff_epoch: float) -> int:
    """Delete the objects under `uri` last modified before `cutoff_epoch`; return how many."""
    store = access()
    bucket, prefix = parse_s3_uri(uri)
    doomed = [o.key for o in store.list_objects(bucket, prefix) if o.last_modified.timestamp() < cutoff_epoch]
    for key in doomed:
        if isinstance(store, TreeS3Access):
            store.path(bucket, key).unlink(missing_ok=True)
        else:
            store.client.delete_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
    return len(doomed)


def has_objects(uri: str) -> bool:
    """True when any data object is left under `uri` (Spark's hidden files do not count)."""
    store = access()
    bucket, prefix = parse_s3_uri(uri)
    return any(True for _ in _data_keys(store, bucket, prefix))


def _data_keys(store: S3Access, bucket: str, prefix: str) -> Iterator[str]:
    for info in store.list_objects(bucket, prefix):
        if not is_spark_artifact(info.key):
            yield info.key
