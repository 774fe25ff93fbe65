"""Security test helpers: secrets outside the state directory, and proof that nothing reached them.

Every attack test plants a secret with a unique marker outside the endpoint's state directory (a text
file, a JSON "secrets" file, a Parquet file that belongs to no catalog table), runs the attack, and then
asserts the refusal AND that the marker appears nowhere: not in the query's answer, not in any file
under the state directory (S3 objects, results, execution records), not in the endpoint's log.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer

FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class Secrets:
    """Files the endpoint must never read, each holding the marker."""

    folder: Path
    marker: str
    text: Path
    json: Path
    parquet: Path


@pytest.fixture
def secrets() -> Iterator[Secrets]:
    folder = Path(tempfile.mkdtemp(prefix="awstwin-secrets-"))
    marker = f"AWSTWIN-SECRET-{uuid.uuid4().hex}"
    text = folder / "secret.txt"
    text.write_text(f"password={marker}\n")
    secrets_json = folder / "secrets.json"
    secrets_json.write_text(json.dumps({"jwt_secret": marker, "password": marker}))
    parquet = folder / "other-checkout" / "data.parquet"
    parquet.parent.mkdir()
    pq.write_table(pa.table({"secret": [marker]}), parquet)
    yield Secrets(folder, marker, text, secrets_json, parquet)
    shutil.rmtree(folder, ignore_errors=True)


def files_containing(root: Path, marker: str, since: float = 0.0) -> list[Path]:
    """Every file below `root` (written since `since`) whose bytes contain the marker."""
    found = []
    needle = marker.encode()
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_mtime >= since:
            try:
                if needle in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def wait(athena: Any, query_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in FINAL:
            return execution
        if time.monotonic() > deadline:
            raise AssertionError(f"query {query_id} still {execution['Status']['State']} after {timeout}s")
        time.sleep(0.05)


@dataclass
class Lake:
    """A bucket, a result location and a database on an endpoint, and the proof helpers."""

    athena: Any
    s3: Any
    glue: Any
    bucket: str
    database: str
    state_dir: Path
    caplog: pytest.LogCaptureFixture
    started: float = field(default_factory=lambda: time.time() - 1)

    @property
    def output(self) -> str:
        return f"s3://{self.bucket}/athena-results/"

    def keys(self) -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    def run(self, sql: str) -> dict[str, Any]:
        query_id = self.athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self.database},
            ResultConfiguration={"OutputLocation": self.output},
        )["QueryExecutionId"]
        return wait(self.athena, query_id)

    def ok(self, sql: str) -> dict[str, Any]:
        execution = self.run(sql)
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        return execution

    def refused(self, sql: str, marker: str) -> dict[str, Any]:
        """Run an attack: it must FAIL, write no S3 object, and leak the marker nowhere."""
        before = self.keys()
        execution = self.run(sql)
        status = execution["Status"]
        assert status["State"] == "FAILED", status
        assert self.keys() == before, f"the refused query wrote {sorted(self.keys() - before)}"
        self.assert_no_leak(marker, json.dumps(status, default=str))
        return status

    def assert_no_leak(self, marker: str, *answers: str) -> None:
        for answer in answers:
            assert marker not in answer
        assert files_containing(self.state_dir, marker, self.started) == []
        assert marker not in self.caplog.text


@pytest.fixture
def lake(aws: Callable[..., Any], endpoint: EndpointServer, caplog: pytest.LogCaptureFixture) -> Lake:
    caplog.set_level(logging.DEBUG)
    suffix = uuid.uuid4().hex[:10]
    bucket = f"sec-test-{suffix}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    lake = Lake(
        aws("athena"), s3, aws("glue"), bucket, f"sec_{suffix}", endpoint.endpoint.context.state_dir, caplog
    )
    lake.ok(f"CREATE DATABASE {lake.database}")
    lake.s3.put_object(Bucket=bucket, Key="data/t/part-0.csv", Body=b"1,alpha\n2,beta\n")
    lake.ok(
        f"CREATE EXTERNAL TABLE t (id int, name string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"LOCATION 's3://{bucket}/data/t/'"
    )
    return lake


@pytest.fixture
def private_endpoint(tmp_path: Path) -> Iterator[Callable[..., EndpointServer]]:
    """`private_endpoint(AWSTWIN_AUTH="sigv4", ...)`: an endpoint of its own, started with that
    environment (the security settings are read when an endpoint starts); stopped after the test."""
    started: list[EndpointServer] = []

    def start(**env: str) -> EndpointServer:
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            state = tmp_path / f"state-{len(started)}"
            server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=state)).start()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class Listener:
    """A TCP port that records every connection made to it (proof that no request left)."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()
