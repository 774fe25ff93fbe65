"""Throughput of the local S3 (run by hand or from `make bench`; never part of the test suite).

.venv/bin/python -m tests.endpoint.s3.bench_s3
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer

MB = 1024 * 1024


def timed(label: str, func, size_mb: float | None = None) -> float:  # noqa: ANN001
    start = time.perf_counter()
    func()
    seconds = time.perf_counter() - start
    rate = f"  {size_mb / seconds:7.1f} MB/s" if size_mb else ""
    print(f"{label:<52} {seconds:7.2f} s{rate}")
    return seconds


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    state = Path(tempfile.mkdtemp(prefix="awstwin-bench-"))
    server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=state)).start()
    s3 = boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    try:
        s3.create_bucket(Bucket="bench")
        data = os.urandom(50 * MB)
        src = state / "src.bin"
        src.write_bytes(data)
        single = TransferConfig(multipart_threshold=1024 * MB)
        timed(
            "put_object 50 MB (one request, CRC32)",
            lambda: s3.put_object(Bucket="bench", Key="one", Body=data),
            50,
        )
        timed(
            "upload_file 50 MB (multipart, 8 MB parts)",
            lambda: s3.upload_file(str(src), "bench", "multi"),
            50,
        )
        timed(
            "upload_file 50 MB (single request)",
            lambda: s3.upload_file(str(src), "bench", "single", Config=single),
            50,
        )
        timed(
            "get_object 50 MB (read whole body)",
            lambda: s3.get_object(Bucket="bench", Key="one")["Body"].read(),
            50,
        )
        timed(
            "download_file 50 MB (ranged, threaded)",
            lambda: s3.download_file("bench", "multi", str(state / "d")),
            50,
        )
        root = state / "s3" / "bench" / "many"
        root.mkdir()
        for i in range(10_000):
            (root / f"part-{i:05d}.csv").write_bytes(b"x")

        def list_all() -> int:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix="many/")
            return sum(p["KeyCount"] for p in pages)

        timed("list 10k keys, first time (hash files written directly)", list_all)
        timed("list 10k keys, again (ETags cached in sidecars)", list_all)
        timed(
            "list 10k keys with delimiter at the bucket root",
            lambda: s3.list_objects_v2(Bucket="bench", Delimiter="/"),
        )
        keys = [f"small/{i:05d}" for i in range(500)]
        timed(
            "500 put_object of 1 KB",
            lambda: [s3.put_object(Bucket="bench", Key=k, Body=b"y" * 1024) for k in keys],
        )
        timed("500 head_object", lambda: [s3.head_object(Bucket="bench", Key=k) for k in keys])
    finally:
        server.stop()


if __name__ == "__main__":
    main()
