"""Glue Spark job runs on an existing Spark cluster instead of `local[*]` (AWS runs them on Glue workers).

The master comes from the endpoint's `AWSTWIN_GLUE_SPARK_MASTER` (the stacks set it from the
profile's GLUE_SPARK_MASTER), or from the job's own `--conf spark.master=...`. The run's script stays
the driver, in the run's process on this machine (client mode); the cluster runs its executors.

- Before the run starts, the master must answer a TCP connection within a few seconds: a master that
  does not answer fails the run at once with an ErrorMessage naming it (Spark itself would retry its
  registration for a minute and then leave the script's SparkContext dead or waiting).
- Executors read and write the endpoint's S3 with the same Hadoop FileSystems as a local run
  (`sparkconf.py`: `spark.jars` is served to them by the driver); with the endpoint serving S3 as plain
  files, they must share this machine's file system: workers on this machine.
- Their Python workers get the run's path (the clean-room `awsglue`, awstwin, the run's
  `--extra-py-files`) and its AWS settings through `spark.executorEnv.*`: a worker's executors inherit
  the worker's environment, not the run's.
- A cluster run is always a Spark application of its own (no warm driver): an idle warm driver would
  hold the cluster's cores between runs, and each run appears in the master's UI under its job name,
  as each Glue run gets its own workers.
"""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from awstwin.core.config import GLUE_SPARK_MASTER_ENV

LOCAL_MASTER = "local[*]"
CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_PORTS = {"spark": 7077, "k8s": 443}
# What a run's Python workers on the cluster's executors get from the run's environment (in local mode
# they inherit all of it from the driver's JVM).
EXECUTOR_ENV_NAMES = (
    "PYTHONPATH",
    "PYTHONUNBUFFERED",
    "AWSTWIN_GLUE_VERSION",
    "AWSTWIN_S3_ROOT",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


def is_cluster(master: str | None) -> bool:
    """True for a master that is not Spark's in-process `local[...]`."""
    return bool(master) and not str(master).startswith("local")


def addresses(master: str) -> list[tuple[str, int]]:
    """The (host, port) pairs a master URL names: `spark://h1:7077,h2:7077` (standby masters),
    `k8s://https://api:6443` or `k8s://api:6443` (Spark's default scheme there is https)."""
    scheme, _, rest = master.partition("://")
    if scheme == "k8s":
        parsed = urlparse(rest if "://" in rest else f"https://{rest}")
        port = parsed.port or (80 if parsed.scheme == "http" else DEFAULT_PORTS["k8s"])
        return [(parsed.hostname or "", port)]
    found = []
    for part in rest.split(","):
        host, _, port = part.strip().rstrip("/").rpartition(":")
        if not host:
            host, port = port, ""
        found.append((host.strip("[]"), int(port) if port.isdigit() else DEFAULT_PORTS.get(scheme, 7077)))
    return found


def unreachable(master: str, source: str, timeout: float = CONNECT_TIMEOUT_SECONDS) -> str | None:
    """None when one of the master's addresses accepts a connection, else the run's ErrorMessage."""
    failures = []
    for host, port in addresses(master):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return None
        except OSError as exc:
            failures.append(f"{host}:{port}: {exc.strerror or exc}")
    return (
        f"the Spark master {master} ({source}) does not answer ({'; '.join(failures)}): start the "
        "cluster's master and its workers (README, Scale-out), or unset "
        f"{GLUE_SPARK_MASTER_ENV} (the profile's GLUE_SPARK_MASTER) to run Glue jobs on {LOCAL_MASTER}"
    )


def executor_conf(run_env: dict[str, str]) -> dict[str, str]:
    """`spark.executorEnv.*` for the run's Python workers on the executors, from the run's environment."""
    conf = {f"spark.executorEnv.{name}": run_env[name] for name in EXECUTOR_ENV_NAMES if run_env.get(name)}
    for name, value in run_env.items():
        if name.startswith("AWS_ENDPOINT_URL"):  # boto3 in a UDF goes where the driver's goes
            conf[f"spark.executorEnv.{name}"] = value
    return conf
