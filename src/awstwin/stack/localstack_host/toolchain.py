"""The tools the host install of LocalStack needs, found on this machine: a Python that can run
LocalStack 4.14.0 (the project itself runs on 3.11), and uv when there is one (else pip installs).

LocalStack 4.14.0 needs Python 3.13: its S3 provider imports `warnings.deprecated`, new in 3.13 (on
3.12 every S3 call answers 500 "cannot import name 'deprecated' from 'warnings'"; on 3.11 its stores
do not even parse). Its lock (localstack/host/requirements.txt) is compiled for 3.13.

Where we look, in order: AWSTWIN_LOCALSTACK_PYTHON (a path), `python3.13` and `python3` on PATH, then
pyenv's installed versions (`$(pyenv root)/versions/3.13*`), then uv's managed Pythons (`uv python find`,
offline). Each candidate is run once to read its real version: a pyenv shim on PATH exists even when
its version is not selected, and then it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from awstwin.core.paths import PROJECT_DIR

REQUIRED = (3, 13)
REQUIRED_TEXT = "3.13"
OVERRIDE_VARIABLE = "AWSTWIN_LOCALSTACK_PYTHON"
PROBE = "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"
HOW_TO_GET_ONE = (
    f"Install Python {REQUIRED_TEXT} (any one of these), then run again:\n"
    f"  - pyenv:   pyenv install {REQUIRED_TEXT}   (found automatically; no need to select it)\n"
    f"  - Debian 13 / Ubuntu 24.10+:  apt-get install python{REQUIRED_TEXT} python{REQUIRED_TEXT}-venv\n"
    f"  - older Ubuntu:  add the deadsnakes PPA, then apt-get install python{REQUIRED_TEXT}-venv\n"
    f"  - uv:      uv python install {REQUIRED_TEXT}\n"
    f"  or point {OVERRIDE_VARIABLE} at a python{REQUIRED_TEXT} executable."
)


class NoSuitablePython(RuntimeError):
    """No Python 3.13 here; the message lists every place looked at and how to get one."""


@dataclass(frozen=True)
class FoundPython:
    path: Path
    version: str  # "3.13.0"
    where: str  # how it was found: "PATH python3.13", "pyenv 3.13.0", ...


def version_of(executable: str | Path) -> str | None:
    """The interpreter's version (with a working `venv` module), or None when it does not run."""
    try:
        result = subprocess.run(
            [str(executable), "-c", PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = result.stdout.strip()
    return text if result.returncode == 0 and text.count(".") == 2 else None


def suitable(version: str) -> bool:
    return tuple(int(part) for part in version.split(".")[:2]) == REQUIRED


def _pyenv_candidates() -> Iterator[tuple[str, Path]]:
    pyenv = shutil.which("pyenv")
    roots = [os.environ.get("PYENV_ROOT"), str(Path.home() / ".pyenv")]
    if pyenv is not None:
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        roots.insert(0, result.stdout.strip() if result.returncode == 0 else None)
    seen: set[Path] = set()
    for root in filter(None, roots):
        versions = Path(root) / "versions"
        if versions in seen or not versions.is_dir():
            continue
        seen.add(versions)
        for folder in sorted(versions.glob(f"{REQUIRED_TEXT}*"), reverse=True):  # newest patch first
            yield f"pyenv {folder.name}", folder / "bin" / f"python{REQUIRED_TEXT}"


def find_uv() -> Path | None:
    """uv on PATH, else the one `make` installs into .tools/ (installs take seconds with its cache)."""
    found = shutil.which("uv")
    if found:
        return Path(found)
    local = PROJECT_DIR / ".tools" / "bin" / "uv"
    return local if local.is_file() and os.access(local, os.X_OK) else None


def _uv_candidates() -> Iterator[tuple[str, Path]]:
    uv = find_uv()
    if uv is None:
        return
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run(
        [str(uv), "python", "find", REQUIRED_TEXT], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode == 0 and result.stdout.strip():
        yield "uv python find", Path(result.stdout.strip())


def candidates() -> Iterator[tuple[str, Path | None]]:
    """(where, executable) in the order we try them; None: that place has nothing."""
    override = os.environ.get(OVERRIDE_VARIABLE)
    if override:
        yield f"{OVERRIDE_VARIABLE}={override}", Path(override)
    for name in (f"python{REQUIRED_TEXT}", "python3"):
        found = shutil.which(name)
        yield f"PATH {name}", Path(found) if found else None
    yield from _pyenv_candidates()
    yield from _uv_candidates()


def find_python() -> FoundPython:
    """The first Python 3.13 found; NoSuitablePython says where we looked and what each place had."""
    looked: list[str] = []
    for where, path in candidates():
        if path is None:
            looked.append(f"{where}: not found")
            continue
        version = version_of(path)
        if version is not None and suitable(version):
            return FoundPython(path=path, version=version, where=where)
        looked.append(f"{where} ({path}): {version or 'does not run'}")
    pyenv_note = "" if any(w.startswith("pyenv") for w in looked) else "pyenv: no 3.13* version installed"
    lines = [f"no Python {REQUIRED_TEXT} found to run LocalStack 4.14.0 on this machine. Looked at:"]
    lines += [f"  - {item}" for item in looked + ([pyenv_note] if pyenv_note else [])]
    raise NoSuitablePython("\n".join(lines) + "\n" + HOW_TO_GET_ONE)
