"""Which Python runs a job: the one AWS would use (per GlueVersion / PythonVersion), when this
machine has it with what a job needs, else the closest one that works, said in the run's log.

An interpreter "has what a job needs" when it imports the modules AWS's environment gives that job
type (`NEEDS`: PySpark for Spark jobs, boto3 for Python shell). Candidates for Python X.Y, in order:
`AWSTWIN_PYTHON_X_Y` (a path), the endpoint's own interpreter if it is X.Y, pyenv's X.Y, `pythonX.Y`
on PATH. Probes run once per interpreter and are cached for the endpoint's life.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

NEEDS = {"spark": ("pyspark", "boto3"), "pythonshell": ("boto3",)}
_probes: dict[tuple[str, tuple[str, ...]], str | None] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # major.minor
    note: str | None = None  # why it is not the Python AWS would use, for the run's log


def own_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def candidates(version: str) -> list[str]:
    found: list[str] = []
    override = os.environ.get(f"AWSTWIN_PYTHON_{version.replace('.', '_')}")
    if override:
        found.append(override)
    if own_version() == version:
        found.append(sys.executable)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for folder in sorted(pyenv_root.glob(f"versions/{version}.*"), reverse=True):
        found.append(str(folder / "bin" / "python"))
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(on_path)
    return [path for path in dict.fromkeys(found) if Path(path).exists()]


def probe(path: str, modules: tuple[str, ...]) -> str | None:
    """The interpreter's major.minor if it imports every one of `modules`, else None (cached)."""
    key = (path, modules)
    with _lock:
        if key in _probes:
            return _probes[key]
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    code += "print(f'{sys.version_info.major}.{sys.version_info.minor}')"
    try:
        done = subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=60, check=False)
        result = done.stdout.strip() if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        result = None
    with _lock:
        _probes[key] = result
    return result


def choose(wanted: str, kind: str) -> Interpreter:
    """The interpreter for a job of `kind` (spark | pythonshell) that AWS runs on Python `wanted`."""
    modules = NEEDS[kind]
    for path in candidates(wanted):
        if probe(path, modules) == wanted:
            return Interpreter(path, wanted)
    have = own_version()
    return Interpreter(
        sys.executable,
        have,
        note=(
            f"WARN GlueRunner: AWS runs this job on Python {wanted}; this machine has no Python {wanted} "
            f"that imports {', '.join(modules)}, so it runs on Python {have} (the endpoint's own). Set "
            f"AWSTWIN_PYTHON_{wanted.replace('.', '_')} to such an interpreter to run it on {wanted}."
        ),
    )
