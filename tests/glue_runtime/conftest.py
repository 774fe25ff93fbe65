"""Fixtures for the clean-room `awsglue` runtime: one Spark session for every test in this folder.

The runtime is imported the way a job imports it: its folder goes on `sys.path` (and on the
PYTHONPATH of Spark's Python workers, never on this process's environment, which subprocesses of
other tests inherit). It reaches the Glue catalog, Secrets Manager and S3 of the session's
local endpoint, whose S3 objects are plain files under the endpoint's state folder.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from awstwin.endpoint.glue.jobs import sparkconf

RUNTIME = str(sparkconf.GLUE_RUNTIME_DIR)
if RUNTIME not in sys.path:
    sys.path.insert(0, RUNTIME)
logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs while the interpreter exits


@pytest.fixture(scope="session")
def s3_root(endpoint: Any) -> Path:
    root = endpoint.endpoint.context.s3_root
    assert root is not None, "the test endpoint serves S3 from files"
    return root


@pytest.fixture(scope="session")
def runtime_clients(endpoint: Any, aws: Callable[[str], Any], s3_root: Path) -> Iterator[None]:
    """Point the runtime's boto3 clients and S3 access at the test endpoint."""
    from awsglue._local import clients, s3paths

    from awstwin.endpoint.s3access import TreeS3Access

    for service in ("glue", "secretsmanager", "s3"):
        clients.use(service, aws(service))
    s3paths.use(TreeS3Access(s3_root))
    yield
    for service in ("glue", "secretsmanager", "s3"):
        clients.use(service, None)
    s3paths.use(None)


@pytest.fixture(scope="session")
def spark(s3_root: Path, tmp_path_factory: pytest.TempPathFactory, runtime_clients: None) -> Iterator[Any]:
    """One local Spark session with the settings a Glue job gets (S3 paths map to the endpoint).

    Like a job run (whose TMPDIR is its own run folder), the runtime's temporary files (a JDBC
    read's staged rows) go to a folder of the session's, not the machine's /tmp."""
    import tempfile

    from pyspark.sql import SparkSession

    saved_tempdir = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("runtime-tmp"))

    builder = SparkSession.builder.appName("awsglue-runtime-tests")
    for key, value in sparkconf.session_conf(s3_root, tmp_path_factory.mktemp("spark")).items():
        builder = builder.config(key, value)
    builder = builder.config("spark.executorEnv.PYTHONPATH", RUNTIME)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    tempfile.tempdir = saved_tempdir


@pytest.fixture(scope="session")
def glue_context(spark: Any) -> Any:
    from awsglue.context import GlueContext

    return GlueContext(spark.sparkContext)


@pytest.fixture(scope="session")
def bucket(aws: Callable[[str], Any]) -> str:
    """A bucket on the endpoint's S3 for this folder's tests."""
    aws("s3").create_bucket(Bucket="runtime-tests")
    return "runtime-tests"


@pytest.fixture()
def put_object(s3_root: Path, bucket: str) -> Callable[[str, bytes | str], str]:
    """Write an object as the plain file the endpoint serves; return its s3:// URI."""

    def put(key: str, body: bytes | str) -> str:
        path = s3_root / bucket / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body.encode() if isinstance(body, str) else body)
        return f"s3://{bucket}/{key}"

    return put
