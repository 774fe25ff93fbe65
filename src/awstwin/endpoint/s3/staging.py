"""A request body streamed into a hidden temp file beside its destination, hashed on the way.

Objects (store.py) and multipart parts (multipart.py) are both written this way, then renamed into
place; kept apart from both so that neither needs the other to write a body.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from awstwin.endpoint.s3.checksums import b64, new_checksum
from awstwin.endpoint.s3.sidecar import TMP_PREFIX

COPY_BUFFER = 1024 * 1024


@dataclass
class Written:
    """A body streamed into a temp file next to its destination, with its digests."""

    tmp: Path
    size: int
    md5: str
    checksums: dict[str, str] = field(default_factory=dict)


def stream_to_temp(folder: Path, body: BinaryIO, algorithms: tuple[str, ...] = ()) -> Written:
    """Copy `body` into a hidden temp file in `folder`, hashing MD5 and any checksums on the way."""
    for attempt in range(3):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX)
            break
        except FileNotFoundError:  # a concurrent delete pruned the empty folder; make it again
            if attempt == 2:
                raise
    md5 = hashlib.md5()
    sums = {name: new_checksum(name) for name in algorithms}
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = body.read(COPY_BUFFER)
                if not chunk:
                    break
                out.write(chunk)
                md5.update(chunk)
                for checksum in sums.values():
                    checksum.update(chunk)
                size += len(chunk)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Written(Path(tmp), size, md5.hexdigest(), {n: b64(c.digest()) for n, c in sums.items()})
