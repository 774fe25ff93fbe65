"""`python -m awstwin.stack.airflow_preload scheduler ...`: `airflow scheduler ...` after importing what
the DAG files import, as `make up`'s embedded Airflow starts its scheduler (awstwin.stack.airflow_local).

The LocalExecutor forks its worker processes from the scheduler when it starts, and the task SDK's
supervisor forks each task's process from a worker (Airflow 3.3: airflow/executors/local_executor.py,
airflow/sdk/execution_time/supervisor.py). A module the scheduler imported before is already loaded in
every task. Without this, each task imported boto3 and the Amazon provider again while parsing the DAG
file (its "Worker startup parse": 0.6-3 s a task on a loaded 2-core machine, a dozen tasks one after
the other in a run), and the dashboard task imported plotly and scipy for its page.

The modules are read from the DAG folder's files with `ast`: their imports at the top and inside their
tasks (`from awstwin.dashboard import build_dashboard` loads the attribute too, which the package
resolves lazily). A module that fails to import is left out: the task imports it, and fails, as it
would have anyway.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

DAGS_FOLDER_VARIABLE = "AIRFLOW__CORE__DAGS_FOLDER"


def imports_of(path: Path) -> Iterator[tuple[str, str | None]]:
    """(module, name) for every absolute import in the file, wherever it is; name is None for
    `import module`, else the name `from module import name` takes (a submodule or an attribute)."""
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.module, None if alias.name == "*" else alias.name


def preload(dags_folder: Path) -> tuple[list[str], list[str]]:
    """Import what the DAG files in `dags_folder` import; returns (loaded, failed) modules."""
    loaded: list[str] = []
    failed: list[str] = []
    for path in sorted(dags_folder.rglob("*.py")):
        for module, name in imports_of(path):
            if module == "__future__" or module in failed:
                continue
            try:
                found = importlib.import_module(module)
            except Exception:  # noqa: BLE001 - any import error: the task meets it itself
                failed.append(module)
                continue
            if module not in loaded:
                loaded.append(module)
            if name is not None:  # an attribute the package loads lazily, or a submodule it does not import
                with contextlib.suppress(Exception):
                    if not hasattr(found, name):
                        importlib.import_module(f"{module}.{name}")
    return loaded, failed


def main(argv: list[str]) -> None:
    from awstwin.core import botocore_data

    botocore_data.share()  # the tasks forked from here make a boto3 Session per hook
    folder = os.environ.get(DAGS_FOLDER_VARIABLE)
    if folder:
        began = time.perf_counter()
        loaded, failed = preload(Path(folder))
        skipped = f"; not importable here: {', '.join(failed)}" if failed else ""
        print(
            f"awstwin: imported {len(loaded)} modules of the DAGs in {folder} for the tasks to inherit "
            f"({time.perf_counter() - began:.1f} s){skipped}",
            flush=True,
        )
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *argv]
    airflow_main()


if __name__ == "__main__":
    main(sys.argv[1:])
