"""S3's flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512, MD5) and the MD5 ETag.

boto3 >= 1.36 sends a CRC32 with every upload by default; other SDKs may pick CRC32C or CRC64NVME.
CRC32, MD5 and the SHAs come from the standard library at C speed. CRC32C and CRC64NVME have no C
implementation among our dependencies, so they run table-driven in Python (about 10 MB/s): correct
for every size, slow for big objects. Values travel base64-encoded, big-endian, as AWS sends them.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Protocol

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512", "MD5")
# Which algorithms may describe a whole multipart object (FULL_OBJECT) instead of its parts.
FULL_OBJECT_CAPABLE = ("CRC32", "CRC32C", "CRC64NVME")


class Checksum(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


def _reflected_table(poly: int, width: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


class _TableCrc:
    """A reflected CRC (init and final xor all ones), as CRC32C and CRC64NVME both are."""

    def __init__(self, table: list[int], width: int):
        self.table = table
        self.width = width
        self.mask = (1 << width) - 1
        self.crc = self.mask

    def update(self, data: bytes) -> None:
        crc, table = self.crc, self.table
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self.crc = crc

    def digest(self) -> bytes:
        return (self.crc ^ self.mask).to_bytes(self.width // 8, "big")


class _Hash:
    def __init__(self, name: str):
        self.hash = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self.hash.update(data)

    def digest(self) -> bytes:
        return self.hash.digest()


def new_checksum(algorithm: str) -> Checksum:
    name = algorithm.upper()
    if name == "CRC32":
        return _Crc32()
    if name == "CRC32C":
        return _TableCrc(_CRC32C_TABLE, 32)
    if name == "CRC64NVME":
        return _TableCrc(_CRC64NVME_TABLE, 64)
    if name in ("SHA1", "SHA256", "SHA512", "MD5"):
        return _Hash(name.lower())
    raise ValueError(f"unknown checksum algorithm {algorithm!r}; S3 knows {', '.join(ALGORITHMS)}")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def composite(algorithm: str, part_values: list[str]) -> str:
    """The checksum of a COMPOSITE multipart object: checksum of the parts' raw checksums, `-N`."""
    outer = new_checksum(algorithm)
    for value in part_values:
        outer.update(base64.b64decode(value))
    return f"{b64(outer.digest())}-{len(part_values)}"


def multipart_etag(part_md5s: list[bytes]) -> str:
    """S3's multipart ETag: md5 of the concatenated binary part MD5s, then `-<part count>`."""
    return f"{hashlib.md5(b''.join(part_md5s)).hexdigest()}-{len(part_md5s)}"
