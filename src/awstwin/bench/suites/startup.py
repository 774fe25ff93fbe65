"""What every process pays before it does anything: importing its libraries.

`imports_bytecode`: a new interpreter importing what a run's processes import (Airflow's SDK and the
Amazon provider's Glue operators, PySpark SQL, boto3) from this venv's compiled bytecode (`make
install` runs `uv sync --compile-bytecode`), against the same imports compiled from source, which is
what every process pays in a venv installed without it on machines that set PYTHONDONTWRITEBYTECODE=1
(`-X pycache_prefix` at an empty folder makes Python find no .pyc and write none).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator

from awstwin.bench.harness import Comparison, Sample, timed
from awstwin.bench.options import Options

IMPORTS = "import airflow.sdk, airflow.providers.amazon.aws.operators.glue, pyspark.sql, boto3"


def _imports(extra: list[str]) -> Sample:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def work() -> None:
        subprocess.run([sys.executable, *extra, "-c", IMPORTS], check=True, env=env, capture_output=True)

    return timed(work)


def comparisons(options: Options) -> Iterator[Comparison]:
    if not options.wants("imports_bytecode"):
        return
    with tempfile.TemporaryDirectory(prefix="awstwin-bench-nopyc-") as empty:
        yield Comparison(
            "imports_bytecode",
            lambda: _imports([]),
            "the same imports from source",
            lambda: _imports(["-X", f"pycache_prefix={empty}"]),
            warmup=True,
            note=IMPORTS,
        )
