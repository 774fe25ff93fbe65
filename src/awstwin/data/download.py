"""`make data`: fetch the real Kaggle dataset with kagglehub into data/, for users who have an account.

Nothing else in the project needs it: without it `make run` uses the generated dataset, and any copy
of the file can be passed as `DATA=path.csv`. kagglehub is not a dependency of the project; it is
imported only here, only when asked for, and its absence is reported with what to do.

Exit codes: 0 the file is in place (downloaded now or already there), 1 the download or the file
failed, 2 something is missing on this machine (kagglehub or Kaggle credentials).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from awstwin.data import schema

DEFAULT_OUT = Path("data") / schema.CSV_FILE_NAME
DATASET_URL = f"https://www.kaggle.com/datasets/{schema.KAGGLE_DATASET}"


class DownloadError(Exception):
    """The download ran but did not give us a usable file."""


def credential_sources() -> list[str]:
    """Where Kaggle credentials were found, in the places kagglehub reads them (empty: none)."""
    found = []
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        found.append("KAGGLE_USERNAME/KAGGLE_KEY")
    if os.environ.get("KAGGLE_API_TOKEN"):
        found.append("KAGGLE_API_TOKEN")
    for folder in _config_dirs():
        found += [str(folder / name) for name in ("kaggle.json", "access_token") if (folder / name).is_file()]
    return found


def _config_dirs() -> list[Path]:
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        return [Path(os.environ["KAGGLE_CONFIG_DIR"]).expanduser()]
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [Path.home() / ".kaggle", xdg / "kaggle"]


def _import_kagglehub() -> Any | None:
    try:
        return importlib.import_module("kagglehub")
    except ImportError:
        return None


def missing_message(kagglehub_missing: bool, credentials_missing: bool) -> str:
    """What is missing and how to get it, for a user who typed `make data`."""
    lines = ["make data: cannot download the real dataset yet."]
    if kagglehub_missing:
        lines += [
            "- kagglehub is not installed (it is not one of the project's dependencies). Either run with it:",
            "    uv run --frozen --with kagglehub python -m awstwin data",
            "  or pip install kagglehub into the venv: uv pip install --python .venv/bin/python kagglehub",
        ]
    if credentials_missing:
        config = os.environ.get("KAGGLE_CONFIG_DIR") or "~/.kaggle"
        lines += [
            "- no Kaggle credentials found. Create an API token at https://www.kaggle.com/settings",
            f"  ('Create New Token'), then save the kaggle.json it gives you as {config}/kaggle.json",
            "  (chmod 600), or export KAGGLE_USERNAME and KAGGLE_KEY.",
        ]
    lines += [
        f"Or download {schema.CSV_FILE_NAME} by hand from {DATASET_URL} and run",
        f"`make run DATA=path/to/{schema.CSV_FILE_NAME}`. Without it, `make run` uses the generated dataset.",
    ]
    return "\n".join(lines)


def check_file(path: Path) -> tuple[int, str]:
    """(data rows, sha256) of a copy of the dataset; DownloadError when its header is not the schema's."""
    data = path.read_bytes()
    header = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace").lstrip("\ufeff")
    if header != schema.HEADER:
        raise DownloadError(f"{path}: header is not the {schema.DATASET_NAME} header:\n  {header[:200]}")
    rows = sum(1 for line in data.splitlines() if line.strip()) - 1
    return rows, hashlib.sha256(data).hexdigest()


def fetch(kagglehub: Any, out: Path) -> Path:
    """Download with kagglehub (it caches under ~/.cache/kagglehub) and copy the CSV to `out`."""
    try:
        folder = Path(kagglehub.dataset_download(schema.KAGGLE_DATASET))
    except Exception as error:  # kagglehub raises many kinds (HTTP, auth, network): report them all
        raise DownloadError(f"kagglehub could not download {schema.KAGGLE_DATASET}: {error}") from error
    candidates = sorted(folder.rglob(schema.CSV_FILE_NAME)) if folder.is_dir() else [folder]
    if not candidates or not candidates[0].is_file():
        raise DownloadError(f"no {schema.CSV_FILE_NAME} in what kagglehub downloaded ({folder})")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    shutil.copyfile(candidates[0], partial)
    try:
        check_file(partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awstwin data", description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"where to put it (default {DEFAULT_OUT})"
    )
    parser.add_argument("--force", action="store_true", help="download again even if the file is there")
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists() and not args.force:
        try:
            rows, digest = check_file(out)
        except DownloadError as error:
            print(f"make data: {error}\nRemove it or pass --force to download again.", file=sys.stderr)
            return 1
        print(f"{out} is already there: {rows:,} rows, sha256 {digest}")
        return 0
    kagglehub = _import_kagglehub()
    credentials = credential_sources()
    if kagglehub is None or not credentials:
        print(missing_message(kagglehub is None, not credentials), file=sys.stderr)
        return 2
    try:
        fetch(kagglehub, out)
        rows, digest = check_file(out)
    except DownloadError as error:
        print(f"make data: {error}", file=sys.stderr)
        return 1
    print(f"downloaded {schema.KAGGLE_DATASET} to {out}: {rows:,} rows, sha256 {digest}")
    print(f"use it with: make run DATA={out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
