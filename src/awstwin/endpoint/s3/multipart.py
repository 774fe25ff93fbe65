"""Multipart uploads: parts wait in the sidecar tree, then become one plain file on completion.

`<meta>/.awstwin-uploads/<upload id>/` holds `upload.json` (bucket, key, the metadata the object
will get) and each part as `<n>.part` + `<n>.json`. Completion concatenates the named parts into a
temp file next to the destination and renames it into place, so the object appears whole or not
at all; the ETag is S3's `md5(concat(part md5s))-N`.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from awstwin.endpoint.s3 import exceptions as err
from awstwin.endpoint.s3.checksums import FULL_OBJECT_CAPABLE, composite, multipart_etag
from awstwin.endpoint.s3.sidecar import ObjectMeta, read_json, write_json_atomic
from awstwin.endpoint.s3.staging import Written, stream_to_temp

if TYPE_CHECKING:
    from awstwin.endpoint.s3.store import ObjectStore, StoredObject

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000
COPY_BUFFER = 1024 * 1024


class Uploads:
    """The multipart uploads of one store."""

    def __init__(self, store: ObjectStore):
        self.store = store
        self.root = store.layout.uploads_dir()

    def _dir(self, bucket: str, key: str, upload_id: str) -> Path:
        folder = self.root / upload_id
        info = read_json(folder / "upload.json") if upload_id and "/" not in upload_id else None
        if info is None or info["bucket"] != bucket or info["key"] != key:
            raise err.NoSuchUpload(bucket, key, upload_id)
        return folder

    def info(self, bucket: str, key: str, upload_id: str) -> dict[str, Any]:
        info = read_json(self._dir(bucket, key, upload_id) / "upload.json")
        if info is None:
            raise err.NoSuchUpload(bucket, key, upload_id)
        return info

    def create(
        self, bucket: str, key: str, template: ObjectMeta, algorithm: str | None, checksum_type: str | None
    ) -> str:
        self.store.check_writable(bucket, key)
        if algorithm and not checksum_type:
            checksum_type = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
        if checksum_type == "FULL_OBJECT" and algorithm not in FULL_OBJECT_CAPABLE:
            raise err.InvalidRequest(
                f"The FULL_OBJECT checksum type cannot be used with the {algorithm} checksum algorithm",
                resource=f"/{bucket}/{key}",
            )
        upload_id = uuid.uuid4().hex + uuid.uuid4().hex
        meta = replace(
            template, checksum_algorithm=algorithm, checksum_type=checksum_type if algorithm else None
        )
        write_json_atomic(
            self.root / upload_id / "upload.json",
            {
                "bucket": bucket,
                "key": key,
                "upload_id": upload_id,
                "initiated": time.time(),
                "meta": meta.to_json(),
            },
        )
        return upload_id

    def _check_part_number(self, bucket: str, key: str, number: int) -> None:
        if not 1 <= number <= MAX_PART_NUMBER:
            raise err.InvalidArgument(
                f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive (got {number})",
                f"/{bucket}/{key}",
                "partNumber",
                str(number),
            )

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        body: BinaryIO,
        algorithms: tuple[str, ...] = (),
        verify: Callable[[Written], None] | None = None,
    ) -> dict[str, Any]:
        folder = self._dir(bucket, key, upload_id)
        self._check_part_number(bucket, key, number)
        info = self.info(bucket, key, upload_id)
        algorithm = info["meta"].get("checksum_algorithm")
        wanted = tuple(dict.fromkeys((*algorithms, *([algorithm] if algorithm else []))))
        written = stream_to_temp(folder, body, wanted)
        try:
            if verify is not None:
                verify(written)
            return self._save_part(folder, number, written, algorithm)
        finally:
            written.tmp.unlink(missing_ok=True)

    def upload_part_copy(
        self, bucket: str, key: str, upload_id: str, number: int, src: StoredObject, start: int, end: int
    ) -> dict[str, Any]:
        folder = self._dir(bucket, key, upload_id)
        self._check_part_number(bucket, key, number)
        algorithm = self.info(bucket, key, upload_id)["meta"].get("checksum_algorithm")
        assert src.path is not None
        with src.path.open("rb") as handle:
            handle.seek(start)
            written = stream_to_temp(
                folder, _Slice(handle, end - start + 1), (algorithm,) if algorithm else ()
            )
        try:
            return self._save_part(folder, number, written, algorithm)
        finally:
            written.tmp.unlink(missing_ok=True)

    def _save_part(
        self, folder: Path, number: int, written: Written, algorithm: str | None
    ) -> dict[str, Any]:
        part = {
            "number": number,
            "etag": written.md5,
            "size": written.size,
            "last_modified": time.time(),
            "checksum": written.checksums.get(algorithm) if algorithm else None,
        }
        with self.store.lock:
            written.tmp.replace(folder / f"{number:05d}.part")
            write_json_atomic(folder / f"{number:05d}.json", part)
        return part

    def parts(self, bucket: str, key: str, upload_id: str) -> list[dict[str, Any]]:
        folder = self._dir(bucket, key, upload_id)
        parts = [read_json(p) for p in sorted(folder.glob("*.json")) if p.name != "upload.json"]
        return [p for p in parts if p is not None]

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        folder = self._dir(bucket, key, upload_id)
        with self.store.lock:
            shutil.rmtree(folder, ignore_errors=True)

    def list_uploads(self, bucket: str) -> list[dict[str, Any]]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in self.root.iterdir():
            info = read_json(folder / "upload.json")
            if info is not None and info["bucket"] == bucket:
                found.append(info)
        return sorted(found, key=lambda u: (u["key"], u["initiated"]))

    def complete(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        requested: list[dict[str, Any]],
        full_checksum: str | None,
    ) -> ObjectMeta:
        """Join the requested parts (PartNumber + ETag, ascending) into the object."""
        folder = self._dir(bucket, key, upload_id)
        info = self.info(bucket, key, upload_id)
        resource = f"/{bucket}/{key}"
        if not requested:
            raise err.MalformedXML(resource, "CompleteMultipartUpload must name at least one part")
        stored = {p["number"]: p for p in self.parts(bucket, key, upload_id)}
        numbers = [int(p["PartNumber"]) for p in requested]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise err.InvalidPartOrder(
                f"The list of parts was not in ascending order: {numbers}", resource=resource
            )
        chosen = []
        for want in requested:
            number = int(want["PartNumber"])
            part = stored.get(number)
            etag = str(want.get("ETag", "")).strip('"')
            if part is None or (etag and etag != part["etag"]):
                raise err.InvalidPart(
                    f"One or more of the specified parts could not be found or its ETag did not match: part "
                    f"{number} (ETag {etag or '-'}) of upload {upload_id}",
                    resource=resource,
                )
            chosen.append(part)
        for part in chosen[:-1]:
            if part["size"] < MIN_PART_SIZE:
                raise err.EntityTooSmall(
                    f"Your proposed upload is smaller than the minimum allowed size: part {part['number']} "
                    f"is {part['size']} bytes; every part but the last must be at least {MIN_PART_SIZE}",
                    resource=resource,
                )
        meta = ObjectMeta.from_json(info["meta"])
        algorithm, kind = meta.checksum_algorithm, meta.checksum_type
        self.store.check_writable(bucket, key)
        joined = _Joined([folder / f"{p['number']:05d}.part" for p in chosen])
        full = (algorithm,) if algorithm and kind == "FULL_OBJECT" else ()
        written = self.store.temp_beside(bucket, key, joined, full)
        try:
            checksum = None
            if algorithm and kind == "FULL_OBJECT":
                checksum = written.checksums[algorithm]
            elif algorithm:
                values = [p.get("checksum") for p in chosen]
                checksum = composite(algorithm, values) if all(values) else None
            if full_checksum and checksum and full_checksum != checksum:
                raise err.BadDigest(
                    f"The {algorithm} you specified for the whole object ({full_checksum}) did not match "
                    f"the parts ({checksum})",
                    resource=resource,
                )
            etag = multipart_etag([bytes.fromhex(p["etag"]) for p in chosen])
            final = replace(
                meta,
                etag=etag,
                parts_count=len(chosen),
                part_sizes=[p["size"] for p in chosen],
                checksum_value=checksum,
            )
            if checksum is None:
                final = replace(final, checksum_algorithm=None, checksum_type=None)
            result = self.store.commit(bucket, key, written, final)
        finally:
            written.tmp.unlink(missing_ok=True)
        with self.store.lock:
            shutil.rmtree(folder, ignore_errors=True)
        return result


class _Slice:
    """Reads at most `left` bytes from a file (UploadPartCopy's byte range)."""

    def __init__(self, handle: BinaryIO, left: int):
        self.handle = handle
        self.left = left

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        data = self.handle.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


class _Joined:
    """Reads several part files one after another, as one stream."""

    def __init__(self, paths: list[Path]):
        self.paths = list(paths)
        self.handle: BinaryIO | None = None

    def read(self, size: int = -1) -> bytes:
        while True:
            if self.handle is None:
                if not self.paths:
                    return b""
                self.handle = self.paths.pop(0).open("rb")
            data = self.handle.read(size)
            if data:
                return data
            self.handle.close()
            self.handle = None
