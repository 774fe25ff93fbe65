"""One warm driver: a Spark JVM started with PySpark's own gateway (`spark-submit pyspark-shell`).

PySpark starts exactly this process when a script creates its first SparkContext; here the endpoint
starts it, and each run's Python process connects to it (`PYSPARK_GATEWAY_PORT` and
`PYSPARK_GATEWAY_SECRET`, the variables spark-submit itself hands to a Python application). The
gateway listens on the loopback only and refuses a client without the secret.

It ends with the endpoint: its stdin is a pipe from the endpoint, and PySpark's gateway server exits
when that pipe closes (also when the endpoint is SIGKILLed); `stop()` ends its process group.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from awstwin.core import processes
from awstwin.core.parent_death import PRIVATE_UMASK
from awstwin.endpoint.glue.jobs import classdata, sparkconf
from awstwin.endpoint.glue.jobs.warm.conf import DriverKey
from awstwin.endpoint.glue.jobs.warm.session import RUN_ID_ENV

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 180.0
Sink = Callable[[str], None]


class DriverStartError(RuntimeError):
    """The JVM did not start or did not open its gateway; the message has the tail of its log."""


class WarmDriver:
    """A started Spark JVM with its gateway, and where its log lines go (the run it serves, or its log)."""

    def __init__(self, key: DriverKey, folder: Path):
        self.key = key
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.secret: str | None = None
        self.started_at = 0.0
        self.last_used = time.monotonic()
        self.runs = 0
        self._sink: Sink | None = None
        self._sink_lock = threading.Lock()
        self._log = None

    @property
    def log_path(self) -> Path:
        return self.folder / "driver.log"

    # -- start and stop ----------------------------------------------------------------------------
    def start(self, conf: dict[str, str], env: dict[str, str]) -> WarmDriver:
        """Start the JVM with `conf` (its --properties-file) and wait for its gateway."""
        from pyspark.find_spark_home import _find_spark_home  # only the endpoints that run Spark jobs
        from pyspark.serializers import UTF8Deserializer, read_int

        self.folder.mkdir(parents=True, exist_ok=True)
        properties = sparkconf.write_properties(self.folder / "spark-conf", conf)
        info_dir = Path(tempfile.mkdtemp(prefix="gateway-", dir=self.folder))
        info = info_dir / "conn-info"
        spark_home = _find_spark_home()
        # Settings as a properties file, not a SPARK_CONF_DIR on the class path (classdata.py).
        argv = [os.path.join(spark_home, "bin", "spark-submit"), *classdata.submit_args(properties)]
        env = {
            **env,
            "SPARK_CONNECT_MODE": "0",
            "_PYSPARK_DRIVER_CONN_INFO_PATH": str(info),
        }
        self._log = self.log_path.open("ab")
        began = time.monotonic()
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,  # the gateway exits when this closes: it dies with the endpoint
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.folder,
            start_new_session=True,  # stop() ends the JVM and its Python workers together
            umask=PRIVATE_UMASK,  # what its runs write is private, as PutObject's is (runner.py)
        )
        threading.Thread(target=self._pump, name=f"warm-driver-{self.key.digest}", daemon=True).start()
        while not info.exists():
            if self.process.poll() is not None or time.monotonic() - began > START_TIMEOUT_SECONDS:
                self.stop()
                raise DriverStartError(
                    f"the warm Spark driver for {self.key.describe()} did not start; last lines of "
                    f"{self.log_path}:\n{processes.log_tail(self.log_path)}"
                )
            time.sleep(0.05)
        time.sleep(0.05)  # the JVM writes the file, then closes it: read it once complete
        with info.open("rb") as handle:
            self.port = read_int(handle)
            self.secret = UTF8Deserializer().loads(handle)
        info.unlink()
        info_dir.rmdir()
        self.started_at = time.monotonic()
        log.info(
            "warm Spark driver for %s: pid %s, gateway on port %s, up in %.1f s",
            self.key.describe(),
            self.process.pid,
            self.port,
            self.started_at - began,
        )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """End the JVM and everything in its process group (Python workers); safe to call twice."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        processes.stop_group(processes.Started("warm Spark driver", process.pid, self.log_path, process), 10)

    def end_run_workers(self, run_id: str) -> int:
        """End the Python worker daemon Spark started for one run's UDFs (Spark keeps a daemon per
        worker environment, and each run's environment carries its run id: see session.py), which would
        otherwise stay for the JVM's life. Returns how many were ended."""
        if self.process is None:
            return 0
        marker = f"{RUN_ID_ENV}={run_id}".encode()
        ended = 0
        for pid in _children(self.process.pid):
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in environ:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM)  # pyspark.daemon then ends its own workers
                    ended += 1
        return ended

    # -- what the run's process needs -------------------------------------------------------------
    def gateway_env(self) -> dict[str, str]:
        assert self.port is not None and self.secret is not None, "not started"
        return {"PYSPARK_GATEWAY_PORT": str(self.port), "PYSPARK_GATEWAY_SECRET": self.secret}

    # -- its log lines ---------------------------------------------------------------------------
    def route_log(self, sink: Sink | None) -> None:
        """Send the JVM's log lines to `sink` (a run's error stream), or to the driver's log (None)."""
        with self._sink_lock:
            self._sink = sink

    def _pump(self) -> None:
        process, out = self.process, self._log
        if process is None or process.stdout is None or out is None:
            return
        for raw in iter(process.stdout.readline, b""):
            with self._sink_lock:
                sink = self._sink
            if sink is not None:
                sink(raw.decode("utf-8", "replace"))
            else:
                out.write(raw)
                out.flush()
        out.close()


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return found
