"""Which Spark master a Glue run gets, and how it is checked, without starting Spark (the runs
themselves on a real cluster: test_jobs_cluster.py)."""

from __future__ import annotations

import contextlib
import socket
import types
from collections.abc import Iterator

import pytest

from awstwin.core.config import GLUE_SPARK_MASTER_ENV, EndpointSettings
from awstwin.core.ports import free_port
from awstwin.core.profile import load_profile
from awstwin.endpoint.glue.jobs import cluster
from awstwin.pipeline.targets.compose import ComposeTarget
from awstwin.stack import compose


@pytest.mark.parametrize(
    ("master", "expected"),
    [
        ("spark://127.0.0.1:7077", [("127.0.0.1", 7077)]),
        ("spark://a:7077,b:7078", [("a", 7077), ("b", 7078)]),
        ("spark://node", [("node", 7077)]),
        ("k8s://https://api.example:6443", [("api.example", 6443)]),
        ("k8s://api.example:6443", [("api.example", 6443)]),
        ("k8s://https://api.example", [("api.example", 443)]),
    ],
)
def test_a_master_url_names_the_addresses_to_check(master: str, expected: list) -> None:
    assert cluster.addresses(master) == expected


def test_local_masters_are_not_clusters() -> None:
    assert not cluster.is_cluster(None) and not cluster.is_cluster("")
    assert not cluster.is_cluster("local[*]") and not cluster.is_cluster("local[2]")
    assert cluster.is_cluster("spark://127.0.0.1:7077") and cluster.is_cluster("k8s://https://a:6443")


def test_a_master_that_answers_passes_and_one_that_does_not_is_named_with_what_to_do() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert cluster.unreachable(f"spark://127.0.0.1:{port}", GLUE_SPARK_MASTER_ENV) is None
    silent = f"spark://127.0.0.1:{free_port()}"
    message = cluster.unreachable(silent, GLUE_SPARK_MASTER_ENV, timeout=2)
    assert message is not None
    assert silent in message and "does not answer" in message and "local[*]" in message


def test_executors_get_the_runs_path_and_aws_settings() -> None:
    env = {
        "PYTHONPATH": "/glue_runtime:/src",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:4566",
        "AWS_REGION": "us-east-1",
        "HOME": "/home/someone",
    }
    conf = cluster.executor_conf(env)
    assert conf["spark.executorEnv.PYTHONPATH"] == "/glue_runtime:/src"
    assert conf["spark.executorEnv.AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:4566"
    assert "spark.executorEnv.HOME" not in conf


def test_the_setting_comes_from_the_environment_and_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GLUE_SPARK_MASTER_ENV, "spark://127.0.0.1:7077")
    assert EndpointSettings.from_env().glue_spark_master == "spark://127.0.0.1:7077"
    monkeypatch.delenv(GLUE_SPARK_MASTER_ENV)
    assert EndpointSettings.from_env().glue_spark_master is None
    assert load_profile("local").endpoint_environment() == {}  # the shipped profile: local[*]
    on_cluster = load_profile("local", {"glue_spark_master": "spark://127.0.0.1:7077"})
    assert on_cluster.endpoint_environment() == {GLUE_SPARK_MASTER_ENV: "spark://127.0.0.1:7077"}


def test_the_compose_stack_refuses_a_spark_master_it_would_not_use() -> None:
    class Run:  # what ComposeTarget.prepare reads of a PipelineRun
        profile = load_profile("compose", {"glue_spark_master": "spark://127.0.0.1:7077"})
        report = types.SimpleNamespace(stack="")

        @contextlib.contextmanager
        def stage(self, name: str) -> Iterator[None]:
            yield

    with pytest.raises(compose.ComposeError, match=r"GLUE_SPARK_MASTER=spark://127.0.0.1:7077 is not for"):
        ComposeTarget().prepare(Run())  # type: ignore[arg-type]
