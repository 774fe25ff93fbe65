"""Shared fixtures: an in-process local endpoint on a free port and boto3 clients pointed at it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from awstwin.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer
from awstwin.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[1]


def _find_real_dataset() -> Path:
    """The real Kaggle file is never committed: `$AWSTWIN_REAL_DATASET`, else ../shared/data beside the
    checkout, else the team machine's /work/shared/data. Tests that need it skip when it is absent."""
    name = "StudentPerformanceFactors.csv"
    given = os.environ.get("AWSTWIN_REAL_DATASET")
    candidates = [Path(given)] if given else []
    candidates += [REPO.parent / "shared" / "data" / name, Path("/work/shared/data") / name]
    return next((path for path in candidates if path.exists()), candidates[0])


REAL_DATASET = _find_real_dataset()

# Every response must fit botocore's output shapes while testing.
os.environ["AWSTWIN_STRICT_MODEL"] = "1"
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointServer]:
    """One local endpoint for the whole session, on a free port, with state in a temp folder."""
    state = tmp_path_factory.mktemp("endpoint-state")
    server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=state)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws(endpoint: EndpointServer) -> Callable[[str], Any]:
    """`aws("glue")` -> a boto3 client for that service on the local endpoint."""

    def make(service: str, **kwargs: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            **kwargs,
        )

    return make


@pytest.fixture(scope="session")
def warehouse() -> Iterator[Warehouse]:
    """A real local Postgres (db dev, user awsuser) on a free port.

    Made in the system temp dir, not tmp_path, which a parallel pytest session may prune.
    """
    folder = Path(tempfile.mkdtemp(prefix="awstwin-warehouse-"))
    server = Warehouse(folder, port=0, settings={"fsync": "off"}).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def airflow_aws(endpoint: EndpointServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> EndpointServer:
    """An `aws_default` Airflow connection from the environment, pointed at the endpoint: stock
    Amazon-provider hooks, operators and sensors need no Airflow metadata database with it."""
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    connection = {
        "conn_type": "aws",
        "login": "test",
        "password": "test",
        "extra": {"region_name": "us-east-1", "endpoint_url": endpoint.url},
    }
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(connection))
    return endpoint
