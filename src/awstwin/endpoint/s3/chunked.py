"""Request bodies: plain, or `aws-chunked` (SigV4 streaming, with or without trailing checksums).

An aws-chunked body is a series of `<hex size>[;chunk-signature=<sig>]\\r\\n<bytes>\\r\\n`, ended by a
zero-size chunk and optional trailer lines (`x-amz-checksum-crc32:<base64>`), then a blank line.
SDKs send it for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` and
`STREAMING-UNSIGNED-PAYLOAD-TRAILER`. Signatures are not verified: the local endpoint accepts any
credentials.
"""

from __future__ import annotations

from typing import BinaryIO

from awstwin.endpoint.s3.exceptions import IncompleteBody, InvalidRequest

MAX_LINE = 64 * 1024


def is_aws_chunked(headers: dict[str, str]) -> bool:
    sha = headers.get("x-amz-content-sha256", "")
    encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",")]
    return sha.startswith("STREAMING-") or "aws-chunked" in encodings


def stored_content_encoding(value: str | None) -> str | None:
    """The Content-Encoding to keep with the object: the request's, minus the transport's aws-chunked."""
    if not value:
        return None
    kept = [e.strip() for e in value.split(",") if e.strip() and e.strip().lower() != "aws-chunked"]
    return ",".join(kept) or None


class AwsChunkedReader:
    """A file-like reader that yields the decoded payload; `trailers` is filled at the end."""

    def __init__(self, raw: BinaryIO, resource: str):
        self.raw = raw
        self.resource = resource
        self.trailers: dict[str, str] = {}
        self._left = 0  # bytes left in the current chunk
        self._done = False

    def _line(self) -> bytes:
        line = self.raw.readline(MAX_LINE)
        if not line.endswith(b"\n"):
            raise IncompleteBody(
                f"The aws-chunked request body for {self.resource} ended in the middle of a chunk header",
                resource=self.resource,
            )
        return line.rstrip(b"\r\n")

    def _next_chunk(self) -> None:
        header = self._line()
        size_text = header.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise InvalidRequest(
                f"Malformed aws-chunked body for {self.resource}: chunk header {header[:60]!r}",
                resource=self.resource,
            ) from None
        if size == 0:
            self._read_trailers()
            self._done = True
        self._left = size

    def _read_trailers(self) -> None:
        while True:
            line = self.raw.readline(MAX_LINE)
            if not line or line in (b"\r\n", b"\n"):
                return
            name, _, value = line.decode("latin-1").strip().partition(":")
            self.trailers[name.strip().lower()] = value.strip()

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while not self._done and (size < 0 or len(out) < size):
            if self._left == 0:
                self._next_chunk()
                continue
            want = self._left if size < 0 else min(self._left, size - len(out))
            data = self.raw.read(want)
            if not data:
                raise IncompleteBody(
                    f"The aws-chunked request body for {self.resource} is shorter than its chunk sizes say",
                    resource=self.resource,
                )
            out += data
            self._left -= len(data)
            if self._left == 0:
                self.raw.readline(MAX_LINE)  # the CRLF that closes each chunk
        return bytes(out)


class RequestBody:
    """The object bytes of a request, decoded from aws-chunked when needed.

    `trailer_names` are the checksums the client promised in `x-amz-trailer`; `trailers` holds their
    values once the body has been read; `decoded_length` is `x-amz-decoded-content-length`.
    """

    def __init__(self, raw: BinaryIO, headers: dict[str, str], resource: str):
        self._chunked = AwsChunkedReader(raw, resource) if is_aws_chunked(headers) else None
        self._raw = raw
        self.trailer_names = [
            n.strip().lower() for n in headers.get("x-amz-trailer", "").split(",") if n.strip()
        ]
        declared = headers.get("x-amz-decoded-content-length")
        self.decoded_length = int(declared) if declared and declared.isdigit() else None

    @property
    def trailers(self) -> dict[str, str]:
        return self._chunked.trailers if self._chunked is not None else {}

    def read(self, size: int = -1) -> bytes:
        if self._chunked is not None:
            return self._chunked.read(size)
        return self._raw.read(size) if size >= 0 else self._raw.read()
