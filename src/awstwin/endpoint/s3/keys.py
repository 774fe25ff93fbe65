"""Which bucket names and keys a file tree can hold, and where each one lives on disk.

Layout (both trees mirror each other's folders, so they can never disagree about what is a folder):
- object `k` of bucket `b`:         `<root>/b/k` (the plain file itself)
- its metadata sidecar:              `<meta>/b/<dir of k>/.awstwin-meta-<name of k>`
- folder marker `d/` (no file):      `<meta>/b/d/.awstwin-folder` (and the folder `<root>/b/d/`)
- bucket settings:                   `<meta>/b/.awstwin-bucket.json`
Path components starting with `.awstwin-` are reserved for those files, so no key may use them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from pathlib import Path

from awstwin.endpoint.s3.exceptions import InvalidArgument, InvalidBucketName, KeyTooLong
from awstwin.endpoint.s3access import SPARK_ARTIFACT_PARTS, SPARK_ARTIFACT_PREFIXES, is_spark_artifact

RESERVED_PREFIX = ".awstwin-"
META_PREFIX = ".awstwin-meta-"
FOLDER_MARKER = ".awstwin-folder"
BUCKET_FILE = ".awstwin-bucket.json"
MAX_KEY_BYTES = 1024
MAX_NAME_BYTES = 255  # the usual file-name limit (ext4, APFS, NTFS)
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_bucket_name(bucket: str) -> None:
    """S3's general-purpose bucket naming rules (they also keep the name a safe folder name)."""
    if not _BUCKET_RE.match(bucket):
        raise InvalidBucketName(
            bucket,
            "3-63 characters of lowercase letters, digits, '.' and '-', starting and ending "
            "with a letter or digit",
        )
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        raise InvalidBucketName(bucket, "no '..', '.-' or '-.'")
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        return
    raise InvalidBucketName(bucket, "must not look like an IP address")


def is_folder_key(key: str) -> bool:
    return key.endswith("/")


def is_hidden(key: str) -> bool:
    """Files Spark (or our own atomic writes) leave in the tree, which S3 clients never see.

    `is_spark_artifact` is the shared definition; a folder anywhere on the path that is one of
    those (`.spark-staging-*/part=1/f.parquet`) hides everything below it too.
    """
    parts = key.rstrip("/").split("/")
    if is_spark_artifact(key.rstrip("/")):
        return True
    return any(
        part in SPARK_ARTIFACT_PARTS
        or part.startswith(SPARK_ARTIFACT_PREFIXES)
        or part.startswith(RESERVED_PREFIX)
        for part in parts
    )


def is_addressable(key: str) -> bool:
    """Whether `key` names one path inside its bucket's folder (no `..`, `.`, empty segment, NUL).

    Keys that fail this can never have been stored, so reads and deletes treat them as absent -
    and never touch a path outside the bucket.
    """
    parts = key[:-1].split("/") if is_folder_key(key) else key.split("/")
    return bool(key) and not any(_bad_component(part) for part in parts)


def check_key(bucket: str, key: str) -> None:
    """Reject keys that cannot be one distinct file (or folder) on the tree, saying why."""
    resource = f"/{bucket}/{key}"
    if not key:
        raise InvalidArgument("An object key must not be empty", resource, "Key", key)
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise KeyTooLong(
            f"Your key is too long: {len(key.encode())} bytes (max {MAX_KEY_BYTES})", resource=resource
        )
    parts = key[:-1].split("/") if is_folder_key(key) else key.split("/")
    for part in parts:
        why = _bad_component(part)
        if why:
            raise InvalidArgument(
                f"The local S3 cannot store key {key!r}: {why}, and every key here is a path of a "
                "plain file under the bucket's folder",
                resource,
                "Key",
                key,
            )
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise KeyTooLong(
                f"The local S3 cannot store key {key!r}: the path component {part[:40]!r}... is over "
                f"{MAX_NAME_BYTES} bytes, the longest file name a file system allows",
                resource=resource,
            )
    if is_hidden(key):
        raise InvalidArgument(
            f"The local S3 cannot store key {key!r}: names like this are Spark's temporary files "
            "(_temporary/, .spark-staging-*, *.crc) or the endpoint's own (.awstwin-*), which "
            "listings hide; choose another name",
            resource,
            "Key",
            key,
        )


def _bad_component(part: str) -> str:
    if part == "":
        return "it has an empty path segment (a leading '/' or '//')"
    if part in (".", ".."):
        return f"it has a '{part}' path segment"
    if "\x00" in part:
        return "it contains a NUL character"
    return ""


class Layout:
    """Maps buckets and keys onto the object tree and the sidecar (metadata) tree."""

    def __init__(self, root: Path, meta_root: Path):
        self.root = root
        self.meta_root = meta_root
        self._meta_text = str(meta_root)

    def bucket_dir(self, bucket: str) -> Path:
        return self.root / bucket

    def bucket_meta_dir(self, bucket: str) -> Path:
        return self.meta_root / bucket

    def bucket_file(self, bucket: str) -> Path:
        return self.meta_root / bucket / BUCKET_FILE

    def object_path(self, bucket: str, key: str) -> Path:
        return self.root / bucket / key.rstrip("/")

    def sidecar_path(self, bucket: str, key: str) -> Path:
        return Path(self.sidecar_file(bucket, key))

    def sidecar_file(self, bucket: str, key: str) -> str:
        """`sidecar_path` as text (a listing needs a thousand of them per page)."""
        folder, _, name = key.rpartition("/")
        side_name = META_PREFIX + name
        if len(side_name.encode("utf-8")) > MAX_NAME_BYTES:
            side_name = META_PREFIX + "h-" + hashlib.sha256(name.encode()).hexdigest()
        return os.path.join(self._meta_text, bucket, folder, side_name)

    def marker_path(self, bucket: str, key: str) -> Path:
        return self.meta_root / bucket / key.rstrip("/") / FOLDER_MARKER

    def uploads_dir(self) -> Path:
        # Bucket names never start with '.', so this cannot clash with a bucket's folder.
        return self.meta_root / ".awstwin-uploads"
