"""Start Airflow before it is needed: prepare AIRFLOW_HOME and start the DAG-run process on a thread.

Airflow's one-off start-up (migrating or copying the metadata DB, importing Airflow and the
providers, parsing the DAG, warming the execution API) costs seconds that do not depend on the
stack, so it runs while the caller starts the stack, provisions and uploads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from awstwin.core.processes import wait_until
from awstwin.orchestration.dagrun import DagRunProcess
from awstwin.orchestration.home import prepare_home


class EarlyDagRun:
    def __init__(
        self,
        dag_id: str,
        dags_folder: Path,
        home: Path,
        template: Path,
        env: Mapping[str, str],
        log: Path,
        migrate_log: Path,
        echo: Callable[[str], None] = print,
    ):
        self.prepare_seconds = 0.0
        self.process: DagRunProcess | None = None
        self._error: BaseException | None = None
        self._cancelled = False
        self._lock = threading.Lock()
        self._args = (dag_id, dags_folder, home, template, env, log, migrate_log, echo)
        self._thread = threading.Thread(target=self._work, name="airflow-start", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        dag_id, dags_folder, home, template, env, log, migrate_log, echo = self._args
        started = time.perf_counter()
        try:
            prepare_home(home, template, env, migrate_log)
            self.prepare_seconds = time.perf_counter() - started
            with self._lock:
                if not self._cancelled:
                    self.process = DagRunProcess(dag_id, dags_folder, env, log, echo)
        except BaseException as exc:  # handed to the caller in wait()
            self._error = exc

    def wait(self) -> DagRunProcess:
        """The started DAG-run process, once the home is ready (raises what preparing it raised)."""
        wait_until(lambda seconds: (self._thread.join(seconds), not self._thread.is_alive())[1])
        if self._error is not None:
            raise self._error
        assert self.process is not None
        return self.process

    def cancel(self) -> None:
        """Stop whatever was started; safe at any time and twice."""
        with self._lock:
            self._cancelled = True
            process = self.process
        if process is not None:
            process.stop()
