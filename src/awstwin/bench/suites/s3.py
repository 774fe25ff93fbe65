"""S3 and the endpoint's start: the same boto3 code against awstwin, moto's server and LocalStack.

- `s3_put_get`: 100 PUTs of 1 MiB, then 100 GETs reading each body;
- `s3_multipart_100mb`: `upload_file` of a 100 MiB file (boto3's default: 8 MiB parts, 10 threads);
- `s3_list_10k`: ListObjectsV2 over 10,000 keys, every page (the keys are PUT once, beforehand);
- `endpoint_cold_start`: a new server process to its first ListBuckets answer (nothing warm).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from awstwin.bench import servers
from awstwin.bench.harness import Comparison, Goal, Sample, timed
from awstwin.bench.options import Options

MiB = 1024 * 1024
PUT_GET_OBJECTS = 100
LIST_KEYS = 10_000
MULTIPART_MIB = 100
S3_NAMES = ("s3_put_get", "s3_multipart_100mb", "s3_list_10k")
AS_FAST = [Goal("ratio", "<=", 1.0)]


class S3Work:
    """The measured S3 work against one server (one client, created once, as an application would)."""

    def __init__(self, url: str, scratch: Path):
        self.client = servers.s3_client(url)
        self.scratch = scratch
        self.bucket = "bench"
        self.client.create_bucket(Bucket=self.bucket)
        self.body = os.urandom(MiB)
        self.big = scratch / "big.bin"
        if not self.big.exists():
            with self.big.open("wb") as out:
                for _ in range(MULTIPART_MIB):
                    out.write(os.urandom(MiB))
        self._listed = False

    def put_get(self) -> Sample:
        def work() -> None:
            for index in range(PUT_GET_OBJECTS):
                self.client.put_object(Bucket=self.bucket, Key=f"pg/{index:04d}", Body=self.body)
            for index in range(PUT_GET_OBJECTS):
                self.client.get_object(Bucket=self.bucket, Key=f"pg/{index:04d}")["Body"].read()

        return timed(work)

    def multipart(self) -> Sample:
        return timed(lambda: self.client.upload_file(str(self.big), self.bucket, "multipart/big.bin"))

    def fill_listing(self) -> None:
        """10,000 small objects, PUT over 8 connections (not measured)."""
        if self._listed:
            return

        def put(index: int) -> None:
            self.client.put_object(Bucket=self.bucket, Key=f"many/part-{index:05d}.csv", Body=b"x")

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, range(LIST_KEYS)))
        self._listed = True

    def list_10k(self) -> Sample:
        def work() -> dict[str, int]:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="many/")
            keys = sum(page.get("KeyCount", 0) for page in pages)
            if keys != LIST_KEYS:
                raise RuntimeError(f"listed {keys} keys, expected {LIST_KEYS}")
            return {}

        return timed(work)


def _s3_comparisons(mine: S3Work, theirs: S3Work | None, label: str, skipped: str | None, options: Options):
    measures: dict[str, tuple[Callable[[S3Work], Callable[[], Sample]], str]] = {
        "s3_put_get": (lambda w: w.put_get, f"{PUT_GET_OBJECTS} x PUT then GET of 1 MiB"),
        "s3_multipart_100mb": (lambda w: w.multipart, f"upload_file of {MULTIPART_MIB} MiB (8 MiB parts)"),
        "s3_list_10k": (lambda w: w.list_10k, f"ListObjectsV2 over {LIST_KEYS:,} keys, all pages"),
    }
    for name, (pick, note) in measures.items():
        if not options.wants(name):
            continue
        if theirs is None:
            yield Comparison(name, pick(mine), label, None, goals=AS_FAST, note=note, skipped=skipped)
            continue
        if name == "s3_list_10k":
            mine.fill_listing()
            theirs.fill_listing()
        yield Comparison(name, pick(mine), label, pick(theirs), goals=AS_FAST, warmup=True, note=note)


def _cold_start(
    server: Callable[[], contextlib.AbstractContextManager[servers.Server]],
) -> Callable[[], Sample]:
    def measure() -> Sample:
        with server() as started:
            return Sample(started.seconds_to_ready, {"cpu_s": started.cpu_to_ready})

    return measure


def _localstack_cold_start() -> Sample:
    seconds, cpu = servers.localstack_cold_start()
    return Sample(seconds, {"cpu_s": cpu})


def comparisons(options: Options) -> Iterator[Comparison]:
    moto_label = f"moto {servers.moto_version()} server"
    localstack_label = "LocalStack 4.14.0 (host)"
    if options.wants_any(*S3_NAMES):
        with (
            tempfile.TemporaryDirectory(prefix="awstwin-bench-s3-") as scratch,
            servers.awstwin_endpoint() as endpoint,
            servers.moto_server() as moto,
        ):
            mine = S3Work(endpoint.url, Path(scratch))
            yield from _s3_comparisons(mine, S3Work(moto.url, Path(scratch)), moto_label, None, options)
            try:
                with servers.localstack_server() as localstack:
                    theirs = S3Work(localstack.url, Path(scratch))
                    yield from _s3_comparisons(mine, theirs, localstack_label, None, options)
            except servers.Unavailable as exc:
                yield from _s3_comparisons(mine, None, localstack_label, str(exc), options)
    if options.wants("endpoint_cold_start"):
        goal = [Goal("seconds", "<=", 0.5)]
        note = "new server process to its first ListBuckets answer (cpu_s: its CPU seconds until then)"
        yield Comparison(
            "endpoint_cold_start",
            _cold_start(servers.awstwin_endpoint),
            moto_label,
            _cold_start(servers.moto_server),
            goals=goal,
            note=note,
        )
        skipped = servers.localstack_unavailable()
        yield Comparison(
            "endpoint_cold_start",
            _cold_start(servers.awstwin_endpoint),
            localstack_label,
            _localstack_cold_start,
            goals=goal,
            note=note,
            skipped=skipped,
        )
