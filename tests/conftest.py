"""Shared fixtures: an in-process local endpoint on a free port and boto3 clients pointed at it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import psutil
import pytest

from awstwin.core.config import EndpointSettings
from awstwin.core.processes import session_members
from awstwin.endpoint.glue.jobs import sparkconf
from awstwin.endpoint.glue.jobs.warm import archive as class_archive
from awstwin.endpoint.server import EndpointServer
from awstwin.stack import spark_cluster as spark_cluster_stack
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

# ---------------------------------------------------------------------------------------------------
# Test tiers. pyproject.toml registers the markers (--strict-markers); most are derived here from what
# a test uses, so a new test file gets its tier without edits; a test marks itself where this cannot
# tell (e.g. `pytestmark = pytest.mark.spark` in a module whose tests run Glue Spark jobs through the
# API, `pytest.mark.network` for a test that needs a package registry). `make test-fast` deselects
# slow, spark, browser, docker and network; `make test` runs everything.

TESTS = Path(__file__).resolve().parent
# Fixtures that start Spark in the test process, or a Spark cluster.
SPARK_FIXTURES = frozenset({"spark", "glue_context", "spark_cluster"})
# Fixtures that start Airflow (its operators in the test process, a `dag.test()` run), endpoint
# processes or a whole stack.
SLOW_FIXTURES = frozenset({"airflow", "airflow_aws", "airflow_home", "airflow_env", "emulators", "stack_dir"})
# Test folders whose every test runs the whole pipeline (Airflow, a Glue Spark job, the warehouse).
PIPELINE_FOLDERS = frozenset({"e2e", "containers", "faults"})


def _folder(item: pytest.Item) -> str:
    """The test's folder right under tests/ (its area)."""
    return Path(item.path).resolve().relative_to(TESTS).parts[0]


def tiers_of(item: pytest.Item) -> set[str]:
    """The markers a test gets from where it lives and the fixtures it uses."""
    tiers = set()
    if _folder(item) in PIPELINE_FOLDERS:
        tiers |= {"slow", "spark"}
    fixtures = set(getattr(item, "fixturenames", ()))
    if SPARK_FIXTURES & fixtures:
        tiers |= {"slow", "spark"}
    if SLOW_FIXTURES & fixtures or Path(item.path).name.endswith("cli.py"):
        tiers.add("slow")  # test_*cli.py: drives the AWS CLI / awslocal, one process per command
    if (
        item.get_closest_marker("spark")
        or item.get_closest_marker("browser")
        or item.get_closest_marker("docker")
    ):
        tiers.add("slow")  # each of these starts something big: a JVM, a browser, containers
    return tiers


# A hint, never a failure: tests that ran long without a tier marker are listed at the end of the run.
HINT_SECONDS = 10.0
_long_unmarked: list[tuple[str, float]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.duration > HINT_SECONDS and "slow" not in report.keywords:
        _long_unmarked.append((report.nodeid, report.duration))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _long_unmarked:
        terminalreporter.section(
            f"tests over {HINT_SECONDS:.0f} s without a `slow` marker (make test-fast runs them)"
        )
        for nodeid, seconds in sorted(_long_unmarked, key=lambda found: -found[1]):
            terminalreporter.line(f"{seconds:6.1f} s  {nodeid}")


def pytest_configure(config: pytest.Config) -> None:
    """The Spark class archive (classdata.py) exists before any test starts a Spark driver: `make
    install` builds it; a suite started otherwise builds it here once (about 25 s), in the controller
    only, so that every worker's drivers map the same archive from their first run."""
    if hasattr(config, "workerinput") or "not spark" in (config.option.markexpr or ""):
        return
    class_archive.build()


# `-n auto` (the Makefile's default): one worker more than the machine has cores. The suite's tests
# wait on processes of their own a third of the time (a JVM starting, Postgres, Airflow's scheduler), so
# on 2 cores 3 workers keep the CPU busy: on this team's 2-core machine the whole suite took 13.6 min
# against 15.2 min with 2 (same commit, same CPU time). Each worker is given 4 GB of the memory
# available (a pipeline test's stack peaks at 2-3 GB), so a small machine gets fewer.
WORKER_MEMORY_BYTES = 4 * 2**30


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    cores = len(os.sched_getaffinity(0))
    return max(1, min(cores + 1, psutil.virtual_memory().available // WORKER_MEMORY_BYTES))


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for tier in sorted(tiers_of(item)):
            if item.get_closest_marker(tier) is None:
                item.add_marker(tier)
    items[:] = heaviest_files_first(items)


# Rough cost of one test by tier, only to order files: with `--dist loadfile` pytest-xdist hands out
# files in collection order (the Makefile turns off its reordering by test count, which would send
# the few-test, minutes-long pipeline files last and leave one worker running them alone at the end).
# Longest first keeps both workers busy to the end.
# A test on the worker's shared in-process Spark session (the `spark` fixtures) costs about a second.
TIER_WEIGHTS = {"pipeline": 60.0, "spark": 15.0, "slow": 8.0, "in-process spark": 1.0}


def _weight(item: pytest.Item) -> float:
    if _folder(item) in PIPELINE_FOLDERS:
        return TIER_WEIGHTS["pipeline"]
    if SPARK_FIXTURES & set(getattr(item, "fixturenames", ())) - {"spark_cluster"}:
        return TIER_WEIGHTS["in-process spark"]
    for tier in ("spark", "slow"):
        if item.get_closest_marker(tier) is not None:
            return TIER_WEIGHTS[tier]
    return 0.1


def heaviest_files_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The items grouped by file, the files by their summed weight, heaviest first (stable)."""
    weights: dict[Path, float] = {}
    for item in items:
        weights[Path(item.path)] = weights.get(Path(item.path), 0.0) + _weight(item)
    return sorted(items, key=lambda item: -weights[Path(item.path)])


# Tests send Ctrl-C to runs and stacks they start, as a terminal would. A shell that starts a command
# in the background without job control (`make test &`, as CI may) starts it with SIGINT ignored,
# which every child would inherit through exec and never see a Ctrl-C: give them a terminal's default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Every response must fit botocore's output shapes while testing.
os.environ["AWSTWIN_STRICT_MODEL"] = "1"
# Every Spark driver the suite starts (Glue job runs, the stacks' endpoints, in-process sessions)
# compiles with C1 only: the suite's jobs are a few thousand rows, for which that costs about half the
# JVM's CPU; what a job computes does not change (awstwin.endpoint.glue.jobs.sparkconf says more).
os.environ.setdefault(sparkconf.JAVA_OPTIONS_ENV, "-XX:TieredStopAtLevel=1")
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


def clients_for(url: str) -> Callable[..., Any]:
    """`make("glue")` -> a boto3 client for that service on the endpoint at `url` (test keys)."""

    def make(service: str, **kwargs: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            **kwargs,
        )

    return make


@pytest.fixture(scope="session")
def aws(endpoint: EndpointServer) -> Callable[[str], Any]:
    """`aws("glue")` -> a boto3 client for that service on the local endpoint."""
    return clients_for(endpoint.url)


@contextmanager
def server_folder(prefix: str) -> Iterator[Path]:
    """A fresh folder for a server's data, in the system temp dir, removed afterwards.

    Not under tmp_path, which a parallel pytest session (another worker's, another helper's) may prune
    while the server still runs.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def local_warehouse(prefix: str = "awstwin-warehouse-") -> Iterator[Warehouse]:
    """A real local Postgres (db dev, user awsuser) on a free port, fsync off, stopped afterwards."""
    with server_folder(prefix) as folder:
        server = Warehouse(folder, port=0, settings={"fsync": "off"}).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def warehouse() -> Iterator[Warehouse]:
    """A real local Postgres (db dev, user awsuser) on a free port."""
    with local_warehouse() as server:
        yield server


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


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[spark_cluster_stack.SparkCluster]:
    """A standalone Spark master and one worker (2 cores, 2 GB) from the PySpark distribution's own
    `spark-class`, on free ports of 127.0.0.1, files (logs, work dir) in a temp folder; stopped after
    the module, with a check that none of its processes (executors and Python workers included) is left."""
    folder = tmp_path_factory.mktemp("spark-cluster")
    cluster = spark_cluster_stack.start(folder, workers=1, cores=2, memory="2g")
    leaders = [started.pid for started in cluster.processes()]
    try:
        yield cluster
    finally:
        cluster.stop()
        left = [pid for leader in leaders for pid in session_members(leader)]
        assert not left, f"Spark cluster processes left running: {left}"
