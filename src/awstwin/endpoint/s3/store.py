"""Objects as plain files plus their metadata (content type, user metadata, ETag)."""

from __future__ import annotations

from pathlib import Path


class ObjectStore:
    def __init__(self, root: Path, meta_root: Path):
        self.root = root
        self.meta_root = meta_root
        root.mkdir(parents=True, exist_ok=True)
