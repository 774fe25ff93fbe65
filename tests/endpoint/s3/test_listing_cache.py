"""Listings reuse folders and sidecars read before (`folders.py`, `sidecar.MetaCache`) only while they
are unchanged: every change, through S3 or straight into the tree, shows in the next listing.

The caches keep only what is older than `SETTLED_NS`, so these tests age the folders and sidecars
(their mtime set seconds into the past) before the first listing, as a real bucket's would be.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from awstwin.endpoint.s3.folders import SETTLED_NS


def _age(*roots: Path) -> None:
    """Set every folder and sidecar below `roots` (not object files: their mtime is in the sidecar)
    to an mtime well past SETTLED_NS."""
    past = time.time_ns() - 10 * SETTLED_NS
    for root in roots:
        for folder, _, files in os.walk(root):
            for name in files:
                if name.startswith(".awstwin-meta-"):
                    os.utime(Path(folder) / name, ns=(past, past))
            os.utime(folder, ns=(past, past))


def _listing(s3, bucket: str, **kwargs) -> list[tuple[str, int, str]]:
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 2}, **kwargs
    )
    return [(c["Key"], c["Size"], c["ETag"]) for page in pages for c in page.get("Contents", [])]


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def test_keys_put_deleted_or_written_into_the_tree_show_after_a_cached_listing(s3, bucket, tree, endpoint):
    for key in ("d/a", "d/b", "d/c", "top"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    _age(tree / bucket, endpoint.endpoint.context.state_dir / "s3meta" / bucket)
    first = _listing(s3, bucket)
    assert first == _listing(s3, bucket)  # the second one from the caches
    assert [k for k, _, _ in first] == ["d/a", "d/b", "d/c", "top"]

    s3.put_object(Bucket=bucket, Key="d/bb", Body=b"new")
    s3.delete_object(Bucket=bucket, Key="d/a")
    (tree / bucket / "d" / "e").write_bytes(b"written by spark")
    assert _listing(s3, bucket) == [
        ("d/b", 3, _etag(b"d/b")),
        ("d/bb", 3, _etag(b"new")),
        ("d/c", 3, _etag(b"d/c")),
        ("d/e", 16, _etag(b"written by spark")),
        ("top", 3, _etag(b"top")),
    ]
    assert _listing(s3, bucket, StartAfter="d/bb") == [
        ("d/c", 3, _etag(b"d/c")),
        ("d/e", 16, _etag(b"written by spark")),
        ("top", 3, _etag(b"top")),
    ]


def test_an_object_rewritten_after_a_cached_listing_lists_its_new_size_and_etag(s3, bucket, tree, endpoint):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", StorageClass="STANDARD_IA")
    s3.put_object(Bucket=bucket, Key="other", Body=b"x")
    _age(tree / bucket, endpoint.endpoint.context.state_dir / "s3meta" / bucket)
    before = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(c["Key"], c["ETag"], c["StorageClass"]) for c in before] == [
        ("k", _etag(b"first"), "STANDARD_IA"),
        ("other", _etag(b"x"), "STANDARD"),
    ]

    s3.put_object(Bucket=bucket, Key="k", Body=b"second!")  # a new sidecar: STANDARD again
    (tree / bucket / "other").write_bytes(b"rewritten in place")  # no sidecar change at all
    after = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(c["Key"], c["Size"], c["ETag"], c["StorageClass"]) for c in after] == [
        ("k", 7, _etag(b"second!"), "STANDARD"),
        ("other", 18, _etag(b"rewritten in place"), "STANDARD"),
    ]


def test_a_fresh_folder_is_read_again_each_time(tmp_path):
    from awstwin.endpoint.s3.folders import FolderCache

    cache = FolderCache()
    (tmp_path / "a").write_bytes(b"")
    assert [name for name, _, _ in cache.entries(str(tmp_path))] == ["a"]
    (tmp_path / "b").mkdir()
    assert [name for name, _, _ in cache.entries(str(tmp_path))] == ["a", "b/"]
    assert cache.entries(str(tmp_path / "missing")) == []


def test_a_storage_class_changed_in_place_lists_after_a_cached_listing(s3, bucket, tree, endpoint):
    s3.put_object(Bucket=bucket, Key="k", Body=b"body")
    _age(tree / bucket, endpoint.endpoint.context.state_dir / "s3meta" / bucket)
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["StorageClass"] == "STANDARD"
    s3.copy_object(
        Bucket=bucket,
        Key="k",
        CopySource={"Bucket": bucket, "Key": "k"},
        StorageClass="GLACIER",
        MetadataDirective="REPLACE",
    )
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["StorageClass"] == "GLACIER"
