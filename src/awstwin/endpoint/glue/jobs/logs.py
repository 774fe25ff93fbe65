"""A run's stdout and stderr, shipped to CloudWatch Logs as Glue ships them, and kept on disk.

Glue writes a job's stdout to `/aws-glue/jobs/output` and its stderr to `/aws-glue/jobs/error`, one
stream per run named after the run id. Lines are batched (once a second, or when a batch is full)
and sent with PutLogEvents through the endpoint's own CloudWatch Logs (or the external one). A copy
of each stream stays in the run's folder, so the logs survive even when CloudWatch Logs does not.

With continuous logging (`--enable-continuous-cloudwatch-log` `true`, on Glue 4.0 and earlier:
https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html) the driver's lines
also go to `/aws-glue/jobs/logs-v2` (or `--continuous-log-logGroup`), stream
`<--continuous-log-logStreamPrefix><run id>`; `--enable-continuous-log-filter` (the standard filter,
on unless `false`) leaves out Spark's and Hadoop's routine INFO lines and heartbeats (`NOISE`) there.
/aws-glue/jobs/output and /error get every line, as without it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOG_GROUP_PREFIX = "/aws-glue/jobs"
GROUPS = {"output": f"{LOG_GROUP_PREFIX}/output", "error": f"{LOG_GROUP_PREFIX}/error"}
CONTINUOUS_GROUP = f"{LOG_GROUP_PREFIX}/logs-v2"
FLUSH_SECONDS = 1.0
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_000_000  # PutLogEvents allows 1,048,576 including 26 bytes per event
MAX_EVENT_BYTES = 256 * 1024 - 26
# The standard continuous-log filter: Spark driver/executor and Hadoop YARN routine lines (logger,
# as log4j's `%c{1}` prints it, at INFO) and heartbeats, which "are not useful" in the driver's log.
NOISE = re.compile(
    r"^\S+ \S+ INFO (?:BlockManager\w*|MemoryStore|ContextCleaner|TaskSetManager|TaskSchedulerImpl|"
    r"DAGScheduler|Executor|ExecutorAllocationManager|YarnAllocator|YarnClusterScheduler|"
    r"YarnSchedulerBackend\w*|ApplicationMaster|SparkContext|SecurityManager|Utils|SparkEnv|"
    r"MapOutputTracker\w*|OutputCommitCoordinator|ShuffleBlockFetcherIterator|CodeGenerator):"
    r"|heartbeat",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ContinuousLogging:
    """Where continuous logging sends the driver's lines, and whether the standard filter is on."""

    group: str
    stream: str
    standard_filter: bool = True

    @classmethod
    def of_run(cls, arguments: Mapping[str, str], run_id: str, supported: bool) -> ContinuousLogging | None:
        """From the run's arguments; None when off (or not a feature of the run's GlueVersion)."""
        if not supported or str(arguments.get("--enable-continuous-cloudwatch-log", "")).lower() != "true":
            return None
        return cls(
            group=arguments.get("--continuous-log-logGroup") or CONTINUOUS_GROUP,
            stream=(arguments.get("--continuous-log-logStreamPrefix") or "") + run_id,
            standard_filter=str(arguments.get("--enable-continuous-log-filter", "true")).lower() != "false",
        )

    def keeps(self, line: str) -> bool:
        return not (self.standard_filter and NOISE.search(line))


class RunLogs:
    """Collects lines per kind ('output', 'error') and sends them in batches from one thread."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        stream: str,
        folder: Path,
        continuous: ContinuousLogging | None = None,
    ):
        self.stream = stream
        self.continuous = continuous
        # kind -> CloudWatch group and stream; 'driver' is continuous logging's copy of both kinds
        self.groups = dict(GROUPS) | ({"driver": continuous.group} if continuous else {})
        self.streams = {kind: stream for kind in GROUPS} | (
            {"driver": continuous.stream} if continuous else {}
        )
        self._client_factory = client_factory
        self._client: Any = None
        self._failed = False
        self._pending: dict[str, list[dict[str, Any]]] = {kind: [] for kind in self.groups}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        folder.mkdir(parents=True, exist_ok=True)
        self._files = {kind: (folder / f"{kind}.log").open("a", encoding="utf-8") for kind in GROUPS}
        self._thread = threading.Thread(target=self._run, name=f"glue-logs-{stream[:12]}", daemon=True)
        self._thread.start()

    def write(self, kind: str, line: str) -> None:
        text = line.rstrip("\r\n")
        event = {"timestamp": int(time.time() * 1000), "message": _clip(text)}
        with self._lock:
            self._pending[kind].append(event)
            if self.continuous is not None and self.continuous.keeps(text):
                self._pending["driver"].append(dict(event))
            self._files[kind].write(text + "\n")

    def close(self) -> None:
        """Send what is left and stop; safe to call more than once."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=30)
        self._flush()
        with self._lock:
            for handle in self._files.values():
                handle.close()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            batches = {kind: events for kind, events in self._pending.items() if events}
            self._pending = {kind: [] for kind in self.groups}
            for handle in self._files.values():
                if not handle.closed:
                    handle.flush()
        for kind, events in batches.items():
            for batch in _batches(events):
                self._send(self.groups[kind], self.streams[kind], batch)

    def _connect(self) -> Any:
        if self._client is None and not self._failed:
            try:
                client = self._client_factory()
                for kind, group in self.groups.items():
                    _ignore_exists(lambda g=group: client.create_log_group(logGroupName=g))
                    _ignore_exists(
                        lambda g=group, s=self.streams[kind]: client.create_log_stream(
                            logGroupName=g, logStreamName=s
                        )
                    )
                self._client = client
            except Exception as exc:  # logs are a copy: the run goes on without them
                self._failed = True
                log.warning(
                    "CloudWatch Logs unreachable for run %s (%s); logs stay on disk", self.stream, exc
                )
        return self._client

    def _send(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        client = self._connect()
        if client is None:
            return
        try:
            client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        except Exception as exc:
            log.warning("PutLogEvents to %s/%s failed: %s", group, stream, exc)

    def open_streams(self) -> None:
        """Create both streams now, so readers find them even before the first line."""
        self._connect()


def _ignore_exists(call: Callable[[], Any]) -> None:
    try:
        call()
    except Exception as exc:
        if "ResourceAlreadyExists" not in type(exc).__name__ and "AlreadyExists" not in str(exc):
            raise


def _clip(text: str) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= MAX_EVENT_BYTES:
        return text or " "
    return raw[: MAX_EVENT_BYTES - 20].decode("utf-8", "ignore") + " ...[truncated]"


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for event in events:
        cost = len(event["message"].encode("utf-8")) + 26
        if current and (len(current) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(event)
        size += cost
    if current:
        batches.append(current)
    return batches
