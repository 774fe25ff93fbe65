"""A standalone Spark cluster on this machine for Glue jobs to run on (the profile's GLUE_SPARK_MASTER).

One master and its workers, started with the PySpark distribution's own launcher (`bin/spark-class
org.apache.spark.deploy.master.Master` / `...worker.Worker`: the pip distribution has no
`sbin/start-master.sh`), each in a process group of its own (its executors and their Python workers in
it too), everything bound to 127.0.0.1, on free ports unless given, with its logs, configuration and
the workers' work folders under one folder. `stop()` ends all of it.

    python -m awstwin.stack.spark_cluster [FOLDER]   # serves in the foreground; Ctrl-C stops it
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from awstwin.core import processes
from awstwin.core.parent_death import die_with_parent
from awstwin.core.ports import free_port
from awstwin.core.processes import ServiceError, Started

HOST = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
START_TIMEOUT_SECONDS = 180.0
# The master's settings (its spark-defaults.conf): no REST submission server, whose fixed port 6066
# would clash between two clusters; jobs are submitted by their drivers over the master's RPC port.
MASTER_DEFAULTS = {"spark.master.rest.enabled": "false"}


def spark_class() -> Path:
    from pyspark.find_spark_home import _find_spark_home  # only when a cluster is started

    return Path(_find_spark_home()) / "bin" / "spark-class"


@dataclass
class SparkCluster:
    folder: Path
    master_port: int
    web_port: int
    master: Started | None = None
    workers: list[Started] = field(default_factory=list)

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.master_port}"

    @property
    def web_url(self) -> str:
        return f"http://{HOST}:{self.web_port}"

    def work_dir(self, index: int = 0) -> Path:
        return self.folder / f"worker-{index}" / "work"

    def state(self) -> dict:
        """The master's own JSON view (`/json/`): workers, active and completed applications."""
        with urllib.request.urlopen(f"{self.web_url}/json/", timeout=5) as response:
            return json.loads(response.read())

    def processes(self) -> list[Started]:
        return [started for started in (self.master, *self.workers) if started is not None]

    def pids(self) -> list[int]:
        """Every live process of the cluster (master, workers, executors, their Python workers)."""
        return [pid for started in self.processes() for pid in processes.session_members(started.pid)]

    def stop(self) -> None:
        """End the workers (and their executors), then the master; safe to call twice."""
        with processes.signals_deferred():
            if self.workers:
                processes.stop_sessions(self.workers, timeout=10)
            if self.master is not None:
                processes.stop_sessions([self.master], timeout=10)
            self.workers, self.master = [], None


def _environment(folder: Path) -> dict[str, str]:
    conf = folder / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    lines = [f"{key} {value}" for key, value in MASTER_DEFAULTS.items()]
    (conf / "spark-defaults.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))}
    env.update(
        {
            "SPARK_LOCAL_IP": HOST,  # the web UIs bind here too (they bind 0.0.0.0 without it)
            "SPARK_CONF_DIR": str(conf),
            "SPARK_LOCAL_DIRS": str(folder / "local"),
        }
    )
    return env


def _start(cluster: SparkCluster, name: str, argv: list[str], env: dict[str, str]) -> Started:
    log = cluster.folder / "logs" / f"{name}.log"
    return processes.start_group(f"Spark {name}", [str(spark_class()), *argv], log, env, die_with_parent())


def _wait_workers(cluster: SparkCluster, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for started in cluster.processes():
            if not started.running():
                raise ServiceError(
                    f"{started.name} exited; last lines of {started.log}:\n{processes.log_tail(started.log)}"
                )
        if cluster.state().get("aliveworkers", 0) >= count:
            return
        time.sleep(0.25)
    tails = "\n".join(processes.log_tail(started.log, 10) for started in cluster.workers)
    raise ServiceError(f"{count} Spark worker(s) did not register with {cluster.master_url}:\n{tails}")


def start(
    folder: Path,
    workers: int = 1,
    cores: int = 2,
    memory: str = "2g",
    master_port: int = 0,
    web_port: int = 0,
    timeout: float = START_TIMEOUT_SECONDS,
) -> SparkCluster:
    """Start a master and `workers` workers (each with `cores` and `memory` to give executors) and wait
    until every worker has registered. Stops what it started when it fails."""
    folder.mkdir(parents=True, exist_ok=True)
    cluster = SparkCluster(folder, master_port or free_port(HOST), web_port or free_port(HOST))
    env = _environment(folder)
    try:
        master_argv = [MASTER_CLASS, "--host", HOST, "--port", str(cluster.master_port)]
        cluster.master = _start(cluster, "master", [*master_argv, "--webui-port", str(cluster.web_port)], env)
        processes.wait_http(f"{cluster.web_url}/json/", cluster.master, timeout)
        for index in range(workers):
            work = cluster.work_dir(index)
            work.mkdir(parents=True, exist_ok=True)
            argv = [WORKER_CLASS, "--host", HOST, "--port", str(free_port(HOST))]
            argv += ["--webui-port", str(free_port(HOST)), "--work-dir", str(work)]
            argv += ["--cores", str(cores), "--memory", memory, cluster.master_url]
            cluster.workers.append(_start(cluster, f"worker-{index}", argv, env))
        _wait_workers(cluster, workers, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


@contextmanager
def running(folder: Path, **options: object) -> Iterator[SparkCluster]:
    """A started cluster, stopped whatever happens."""
    cluster = start(folder, **options)  # type: ignore[arg-type]
    try:
        yield cluster
    finally:
        cluster.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="awstwin-spark-cluster-"))
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or `kill`: stop the cluster, then exit
        signal.signal(sig, _interrupt)
    try:
        with running(folder) as cluster:
            url = cluster.master_url
            print(f"Spark master {url}, UI {cluster.web_url}, files in {folder}", flush=True)
            print(f"Glue jobs run on it with GLUE_SPARK_MASTER={url}; Ctrl-C stops it", flush=True)
            while all(started.running() for started in cluster.processes()):
                time.sleep(1)
            print("a process of the cluster ended; stopping the rest", flush=True)
    except KeyboardInterrupt:
        pass
    print("Spark cluster stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
