"""The import contract (.importlinter) holds: the layers, no cycle between packages or files, the
endpoint alone, the DAG and the Glue script free of awstwin. `make lint` runs it too; this test makes
`make test` (and so CI) hold it."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_the_import_contract_holds() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src" / "awstwin" / "glue_runtime")}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_package_has_its_place_in_the_layers() -> None:
    """A new top-level package must be placed in the layers (else nothing checks what it imports)."""
    config = configparser.ConfigParser()
    config.read(CONTRACT)
    layers = config["importlinter:contract:layers"]["layers"]
    placed = {name.strip() for line in layers.split("\n") for name in line.split("|") if name.strip()}
    source = REPO / "src" / "awstwin"
    packages = {f"awstwin.{p.name}" for p in source.iterdir() if (p / "__init__.py").is_file()}
    modules = {f"awstwin.{p.stem}" for p in source.glob("*.py") if p.stem not in ("__init__", "__main__")}
    missing = sorted((packages | modules) - placed)
    assert not missing, f"not in .importlinter's layers: {missing}"
