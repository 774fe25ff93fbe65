"""`make up`'s scheduler imports what the DAGs import before Airflow starts it (so every task, forked
from it, has them): which imports are read from a DAG file, and what a preload loads or leaves out.
No Airflow process is started here; test_up_airflow.py runs the real scheduler."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from awstwin.core.paths import DAGS_DIR
from awstwin.stack import airflow_local
from awstwin.stack.airflow_preload import imports_of, preload

DAG = """
from __future__ import annotations
import json, email.mime.text as mime
from collections import OrderedDict
from . import sibling

def task():
    from lazypkg import heavy
    import not_installed_anywhere_xyz
"""

PACKAGE = """
def __getattr__(name):
    if name == "heavy":
        from lazypkg import _heavy_impl
        return _heavy_impl.heavy
    raise AttributeError(name)
"""


def test_the_imports_of_a_dag_file_at_its_top_and_inside_its_tasks(tmp_path: Path) -> None:
    dag = tmp_path / "dag.py"
    dag.write_text(DAG)
    assert list(imports_of(dag)) == [
        ("__future__", "annotations"),
        ("json", None),
        ("email.mime.text", None),
        ("collections", "OrderedDict"),
        ("lazypkg", "heavy"),
        ("not_installed_anywhere_xyz", None),
    ], "relative imports are the DAG folder's own: left out"
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    assert list(imports_of(broken)) == []


def test_a_preload_loads_what_imports_and_lazily_resolved_names_and_skips_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "dag.py").write_text(DAG)
    package = tmp_path / "site" / "lazypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PACKAGE)
    (package / "_heavy_impl.py").write_text("heavy = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in ("lazypkg", "lazypkg._heavy_impl"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    loaded, failed = preload(dags)
    assert loaded == ["json", "email.mime.text", "collections", "lazypkg"]
    assert failed == ["not_installed_anywhere_xyz"]
    assert "lazypkg._heavy_impl" in sys.modules, "the name the task takes is resolved too"


def test_make_ups_scheduler_starts_through_the_preload_and_loops_without_a_second_of_sleep(
    tmp_path: Path,
) -> None:
    assert airflow_local.COMPONENTS["scheduler"][:2] == ("awstwin.stack.airflow_preload", "scheduler")
    assert all(
        command[0] in ("airflow", "awstwin.stack.airflow_preload")
        for command in airflow_local.COMPONENTS.values()
    )
    assert all(airflow_local.PROCESS_MARKER in " ".join(c) for c in airflow_local.COMPONENTS.values())
    assert float(airflow_local.SCHEDULER_IDLE_SLEEP) < 1.0
    assert list(imports_of(DAGS_DIR / "student_performance_etl.py")), (
        "the project's DAG has imports to preload"
    )
