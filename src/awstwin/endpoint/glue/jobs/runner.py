"""Runs one Glue job run's script as a local process, the way Glue runs it.

1. The script is fetched from `Command.ScriptLocation` (s3:// through the endpoint's S3 access, or a
   local path) into the run's own folder; `--extra-py-files` likewise.
2. It runs with the Python its GlueVersion (or Python shell's PythonVersion) has on AWS when this
   machine has it, else the closest that works, said in the run's log (`versions.py`,
   `interpreters.py`), in a new process group, with Glue's arguments
   (`script.py --JOB_NAME n --JOB_RUN_ID jr_... --k v ...`) and an environment that sends the AWS
   SDKs where the endpoint's own go (`JobRunner.endpoints`; Glue and Athena: here), puts the
   clean-room `awsglue` on `PYTHONPATH` (the only place it ever is), and, for Spark jobs, hands
   Spark its settings in a properties file (`PYSPARK_SUBMIT_ARGS`), its driver mapping the Spark
   class archive when there is one (`classdata.py`). Python shell jobs cannot import PySpark, as on AWS
   (`glue_runtime/pythonshell/sitecustomize.py`).
3. stdout and stderr stream to CloudWatch Logs (`logs.RunLogs`); the tail of stderr gives the
   ErrorMessage of a failed run (`diagnosis.script_error`).
Stopping a run kills its whole process group (the Python driver, Spark's JVM, Python workers). If the
endpoint dies without stopping it (SIGKILL), the kernel sends the script SIGTERM (PR_SET_PDEATHSIG);
Spark's JVM exits when its driver's pipe closes, and the next start ends whatever is left.

Every run is a process of its own. A Spark run goes to a warm driver when one is free (`warm/`: a JVM
with its SparkContext kept per Glue version, as Glue's warm pools keep theirs; the run's process
attaches to it and starts clean), else it starts its own JVM, one-shot. With a Spark cluster's master
configured (`cluster.py`: AWSTWIN_GLUE_SPARK_MASTER, or the job's `--conf spark.master`), the run's
process is the driver of an application of its own and the cluster runs its executors. Either way
`launch` returns the same handle (`poll`, `kill_group`, `finish`), and the run's lifecycle in
`execution.py` is the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import awstwin
from awstwin.core.parent_death import PRIVATE_UMASK, die_with_parent
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.jobs import classdata, cluster, interpreters, sparkconf, versions
from awstwin.endpoint.glue.jobs.diagnosis import script_error
from awstwin.endpoint.glue.jobs.logs import ContinuousLogging, RunLogs
from awstwin.endpoint.glue.jobs.warm import archive as class_archive
from awstwin.endpoint.glue.jobs.warm import pool as warm_pool
from awstwin.endpoint.glue.jobs.warm.conf import driver_key, split
from awstwin.endpoint.s3access import S3_SCHEMES, parse_s3_uri

SPARK_COMMANDS = versions.SPARK_COMMANDS
PYTHON_COMMANDS = ("pythonshell",)
# Put first on a Python shell job's path: its sitecustomize makes `import pyspark` fail as on AWS.
PYTHONSHELL_DIR = sparkconf.GLUE_RUNTIME_DIR / "pythonshell"
GLUE_VERSION_ENV = "AWSTWIN_GLUE_VERSION"  # tells the awsglue runtime which version's behaviour to keep
STDERR_TAIL_LINES = 400
STOP_GRACE_SECONDS = 5.0
# Environment the job must not inherit from the endpoint: the runner sets these itself. The endpoint's
# own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> pass through (see `JobRunner.endpoints`).
OWN_ENV_PREFIXES = ("PYSPARK_", "SPARK_CONF_DIR", "AWSTWIN_S3_ROOT", "PYTHONPATH")
OWN_ENV_NAMES = ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWSTWIN_GLUE_EXCHANGE")
# The run's exchange folder: the endpoint puts `bookmark.json` there, the runtime leaves
# `bookmark-commit.json` (job.commit) and `dq-results/*.json` (EvaluateDataQuality) for the run's end.
EXCHANGE_ENV = "AWSTWIN_GLUE_EXCHANGE"
# What a run's environment holds for that run alone: a warm driver's JVM does not inherit it.
RUN_ONLY_ENV = ("PYSPARK_SUBMIT_ARGS", EXCHANGE_ENV, "PYTHONPATH", "TMPDIR")
# botocore's per-service variable is AWS_ENDPOINT_URL_ + the service id, upper case, spaces as `_`
# ("CloudWatch Logs" -> CLOUDWATCH_LOGS); tests check these names against botocore's own rule.
ENDPOINT_ENV = {
    "glue": "AWS_ENDPOINT_URL_GLUE",
    "athena": "AWS_ENDPOINT_URL_ATHENA",
    "s3": "AWS_ENDPOINT_URL_S3",
    "logs": "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
}


class RunSetupError(Exception):
    """The run could not start (script missing, bad argument); the message is the ErrorMessage."""


@dataclass(frozen=True)
class RunSpec:
    job_name: str
    run_id: str
    command: str  # Command.Name: glueetl | pythonshell | gluestreaming
    script_location: str
    arguments: dict[str, str]  # everything the script gets, `--` included in the names
    glue_version: str | None = None  # GlueVersion (validated by StartJobRun); warm drivers are per version
    python_version: str | None = None  # Command.PythonVersion (Python shell jobs)
    bookmark: dict[str, Any] | None = None  # what `bookmarks.BookmarkStore.for_run` gives the run


def script_argv(arguments: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for name, value in arguments.items():
        argv += [name if name.startswith("--") else f"--{name}", value]
    return argv


def spark_conf_overrides(value: str | None) -> dict[str, str]:
    """Glue's `--conf` argument: `spark.a=1 --conf spark.b=2` -> {'spark.a': '1', 'spark.b': '2'}."""
    conf: dict[str, str] = {}
    for token in shlex.split(value or ""):
        if token == "--conf" or "=" not in token:
            continue
        key, _, val = token.partition("=")
        conf[key.strip()] = val.strip()
    return conf


class JobProcess:
    """A started run: its process group, its log streams and the tail of its stderr."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        logs: RunLogs,
        run_dir: Path,
        lease: warm_pool.Lease | None = None,
    ):
        self.process = process
        self.logs = logs
        self.run_dir = run_dir
        self.lease = lease  # the warm driver this run attached to, if any
        self.killed = False
        self.pid = process.pid
        self.started = time.time()
        self._tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._readers = [
            threading.Thread(target=self._pump, args=(process.stdout, "output"), daemon=True),
            threading.Thread(target=self._pump, args=(process.stderr, "error"), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: IO[bytes] | None, kind: str) -> None:
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace")
            self.logs.write(kind, line)
            if kind == "error":
                self._tail.append(line)
        stream.close()

    def poll(self) -> int | None:
        return self.process.poll()

    def kill_group(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the whole process group, then SIGKILL whatever is left after `grace` seconds."""
        self.killed = True
        _signal_group(self.pid, signal.SIGTERM)
        deadline = time.time() + grace
        while time.time() < deadline and self.process.poll() is None:
            time.sleep(0.05)
        _signal_group(self.pid, signal.SIGKILL)
        self.process.wait()

    def finish(self) -> tuple[int, str | None]:
        """After the script's process ended: end leftovers, drain logs; (exit code, ErrorMessage)."""
        code = self.process.wait()
        _signal_group(self.pid, signal.SIGTERM)  # a JVM or daemon the script left behind
        for reader in self._readers:
            reader.join(timeout=5)
        _signal_group(self.pid, signal.SIGKILL)
        for reader in self._readers:
            reader.join(timeout=5)
        if self.lease is not None:  # a killed run may have left Spark jobs going: end that driver
            self.lease.release(reusable=not self.killed)
        self.logs.close()
        shutil.rmtree(self.run_dir / "tmp", ignore_errors=True)
        return code, (None if code == 0 else script_error(list(self._tail), code))


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class JobRunner:
    """Starts job runs as processes; one folder per run under `runs_dir`."""

    def __init__(self, ctx: EndpointContext, runs_dir: Path, logs_client: Callable[[], Any]):
        self.ctx = ctx
        self.runs_dir = runs_dir
        self._logs_client = logs_client
        drivers, idle_seconds, self.prewarm_jobs = warm_pool.settings_from_env()
        self.warm = warm_pool.WarmPool(runs_dir.parent / "warm-drivers", drivers, idle_seconds)

    def launch(self, spec: RunSpec) -> JobProcess:
        if spec.command not in SPARK_COMMANDS + PYTHON_COMMANDS:
            raise RunSetupError(
                f"Command.Name {spec.command!r} of job {spec.job_name} cannot run locally; "
                f"use one of {', '.join(SPARK_COMMANDS + PYTHON_COMMANDS)}"
            )
        master = self.spark_master(spec)
        if cluster.is_cluster(master):
            problem = cluster.unreachable(master, self._master_source(spec))
            if problem is not None:
                raise RunSetupError(f"Job run {spec.run_id} of {spec.job_name} cannot start: {problem}")
        run_dir = self.runs_dir / spec.run_id
        run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # script, arguments, logs: the user's alone
        (run_dir / "tmp").mkdir(exist_ok=True)
        script = self.fetch(
            spec.script_location, run_dir / "script", what=f"ScriptLocation of job {spec.job_name}"
        )
        python_path = self.base_python_path(spec.command)
        python_path += self._extra_py_files(spec, run_dir / "extra")
        version = versions.for_run(spec.glue_version, spec.command)
        continuous = ContinuousLogging.of_run(spec.arguments, spec.run_id, version.continuous_logging)
        logs = RunLogs(self._logs_client, spec.run_id, run_dir / "logs", continuous)
        logs.open_streams()
        kind = "spark" if spec.command in SPARK_COMMANDS else "pythonshell"
        interpreter = interpreters.choose(
            versions.python_for(version, spec.command, spec.python_version), kind
        )
        if interpreter.note:
            logs.write("error", interpreter.note)
        if spec.arguments.get("--additional-python-modules"):
            logs.write(
                "error",
                "WARN GlueRunner: --additional-python-modules is not installed locally (offline); "
                "the job sees the endpoint's own packages",
            )
        if spec.command in SPARK_COMMANDS:
            class_archive.build_in_background()  # for the runs after this one, when it is missing
        env = self.environment(spec, run_dir, python_path, version, interpreter.path)
        env[EXCHANGE_ENV] = str(self.prepare_exchange(spec, run_dir))
        argv = [interpreter.path, "-u", str(script), *script_argv(spec.arguments)]
        lease = None
        if spec.command in SPARK_COMMANDS and cluster.is_cluster(master):
            logs.write("error", f"INFO GlueRunner: this run is a Spark application of its own on {master}")
        elif spec.command in SPARK_COMMANDS and interpreter.path == sys.executable:
            lease = self._warm_lease(spec, env, version)  # warm drivers run the endpoint's own Python
        if lease is not None:
            _, session = split(self.spark_conf(spec, None, version, interpreter.path))
            env.update(lease.run_env(spec.run_id, session, env["PYTHONPATH"]))
            argv = lease.argv(script, script_argv(spec.arguments))
            lease.driver.route_log(lambda line: logs.write("error", line))
            logs.write("error", f"INFO GlueRunner: this run attaches to {lease.describe()}")
        try:
            process = subprocess.Popen(
                argv,
                cwd=run_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                # The run's own thread starts it and outlives it (see parent_death): a SIGKILLed endpoint
                # still takes its runs with it.
                preexec_fn=die_with_parent(),
                umask=PRIVATE_UMASK,  # what the script and its Spark write is private, as PutObject's is
            )
        except OSError as exc:
            if lease is not None:
                lease.release(reusable=True)
            logs.close()
            raise RunSetupError(f"cannot start {interpreter.path} for job {spec.job_name}: {exc}") from exc
        return JobProcess(process, logs, run_dir, lease)

    # -- warm drivers (warm/) -------------------------------------------------------------------------
    def _warm_lease(
        self, spec: RunSpec, env: dict[str, str], version: versions.GlueVersion
    ) -> warm_pool.Lease | None:
        key = driver_key(spec.glue_version, self.spark_conf(spec, None, version))
        return self.warm.lease(key, self._driver_setup(spec, env, version))

    def _driver_setup(
        self, spec: RunSpec, run_env: dict[str, str], version: versions.GlueVersion
    ) -> warm_pool.DriverSetup:
        """How a driver for runs like `spec` is made: its Spark settings and environment, with its own
        scratch space, and the Python path without any run's --extra-py-files (runs bring their own)."""

        def setup(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
            conf = self.spark_conf(spec, folder / "tmp", version)
            conf["spark.app.name"] = f"awstwin-glue-{spec.glue_version or 'default'}-warm"
            env = {k: v for k, v in run_env.items() if k not in RUN_ONLY_ENV}
            env["TMPDIR"] = str(folder / "tmp")
            env["PYTHONPATH"] = os.pathsep.join(self.base_python_path(spec.command))
            return conf, env

        return setup

    def prewarm(
        self, job_name: str, command: str, glue_version: str | None, arguments: dict[str, str]
    ) -> None:
        """With AWSTWIN_GLUE_PREWARM=1: start (and warm up) a driver for this Spark job's runs now."""
        if not self.prewarm_jobs or command not in SPARK_COMMANDS or not self.warm.enabled:
            return
        if cluster.is_cluster(self.ctx.settings.glue_spark_master):
            return  # cluster runs are applications of their own (cluster.py)
        spec = RunSpec(job_name, "prewarm", command, "", dict(arguments), glue_version)
        version = versions.for_run(glue_version, command)
        folder = self.runs_dir.parent / "warm-drivers"
        env = self.process_environment(spec, folder, self.base_python_path(command), version)
        key = driver_key(glue_version, self.spark_conf(spec, None, version))
        self.warm.prewarm(key, self._driver_setup(spec, env, version), {**env, "TMPDIR": str(folder)})

    def close(self) -> None:
        """End the warm drivers (the endpoint is stopping)."""
        self.warm.close()

    def base_python_path(self, command: str) -> list[str]:
        """The clean-room awsglue and awstwin; a Python shell job's sitecustomize first (no PySpark)."""
        path = [str(sparkconf.GLUE_RUNTIME_DIR), str(Path(awstwin.__file__).resolve().parent.parent)]
        return [str(PYTHONSHELL_DIR), *path] if command in PYTHON_COMMANDS else path

    @staticmethod
    def exchange_dir(run_dir: Path) -> Path:
        return run_dir / "exchange"

    def prepare_exchange(self, spec: RunSpec, run_dir: Path) -> Path:
        folder = self.exchange_dir(run_dir)
        folder.mkdir(parents=True, exist_ok=True)
        if spec.bookmark is not None:
            (folder / "bookmark.json").write_text(json.dumps(spec.bookmark), encoding="utf-8")
        return folder

    def fetch(self, location: str, folder: Path, what: str) -> Path:
        """Copy an s3:// object or a local file into `folder`; the copy keeps the file's name."""
        if not location:
            raise RunSetupError(f"{what} is empty; set Command.ScriptLocation to the script's s3:// path")
        folder.mkdir(parents=True, exist_ok=True)
        if location.startswith(S3_SCHEMES):
            bucket, key = parse_s3_uri(location)
            target = folder / (Path(key).name or "script.py")
            try:
                target.write_bytes(self.ctx.s3.get_bytes(bucket, key))
            except Exception as exc:
                raise RunSetupError(
                    f"{what}: cannot read {location} ({type(exc).__name__}: {exc}); upload the file there"
                ) from exc
            return target
        source = Path(location[len("file://") :] if location.startswith("file://") else location)
        if not source.is_file():
            raise RunSetupError(
                f"{what}: {location} is not a file; give an s3:// path or an existing local file"
            )
        target = folder / source.name
        shutil.copyfile(source, target)
        return target

    def _extra_py_files(self, spec: RunSpec, folder: Path) -> list[str]:
        entries: list[str] = []
        for location in (spec.arguments.get("--extra-py-files") or "").split(","):
            if location.strip():
                copied = self.fetch(location.strip(), folder, what=f"--extra-py-files of job {spec.job_name}")
                entries.append(str(copied if copied.suffix in (".zip", ".egg", ".whl") else copied.parent))
        return list(dict.fromkeys(entries))

    def endpoints(self) -> dict[str, str]:
        """Where the job's AWS SDKs go: the endpoint's own `AWS_ENDPOINT_URL*` settings, except that
        Glue and Athena are always this endpoint, and S3 and CloudWatch Logs are wherever the
        endpoint itself reads objects and ships run logs. Every other service (Secrets Manager, IAM,
        STS, ...) goes where the endpoint's environment sends it: LocalStack in the compose stack
        (`AWS_ENDPOINT_URL` there), the endpoint itself (moto) when nothing is set."""
        settings = self.ctx.settings
        urls = {k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL") and v}
        urls.setdefault("AWS_ENDPOINT_URL", settings.url)
        urls[ENDPOINT_ENV["glue"]] = settings.url
        urls[ENDPOINT_ENV["athena"]] = settings.url
        urls[ENDPOINT_ENV["s3"]] = settings.external_s3_url or settings.url
        urls[ENDPOINT_ENV["logs"]] = settings.external_logs_url or settings.url
        return urls

    def environment(
        self,
        spec: RunSpec,
        run_dir: Path,
        python_path: list[str],
        version: versions.GlueVersion = versions.DEFAULT,
        python: str = sys.executable,
    ) -> dict[str, str]:
        """The run's process environment; a Spark run's settings in a properties file of its own,
        which PySpark hands spark-submit when the script starts Spark (PYSPARK_SUBMIT_ARGS)."""
        env = self.process_environment(spec, run_dir, python_path, version, python)
        if spec.command in SPARK_COMMANDS:
            conf = self.spark_conf(spec, run_dir / "tmp", version, python)
            if cluster.is_cluster(conf["spark.master"]):
                conf.update(cluster.executor_conf(env))
            properties = sparkconf.write_properties(run_dir / "spark-conf", conf)
            env["PYSPARK_SUBMIT_ARGS"] = classdata.pyspark_submit_args(properties)
        return env

    def process_environment(
        self,
        spec: RunSpec,
        run_dir: Path,
        python_path: list[str],
        version: versions.GlueVersion = versions.DEFAULT,
        python: str = sys.executable,
    ) -> dict[str, str]:
        settings = self.ctx.settings
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(OWN_ENV_PREFIXES)
            and k not in OWN_ENV_NAMES
            and not k.startswith("AWS_ENDPOINT_URL")
        }
        env.update(self.endpoints())
        key, secret = (
            self.ctx.security.own_credentials
        )  # the job calls the endpoint: valid in strict mode too
        env.update(
            {
                "AWS_DEFAULT_REGION": settings.region,
                "AWS_REGION": settings.region,
                "AWS_ACCESS_KEY_ID": key,
                "AWS_SECRET_ACCESS_KEY": secret,
                "PYTHONPATH": os.pathsep.join(python_path),
                "PYTHONUNBUFFERED": "1",
                "PYSPARK_PYTHON": python,
                "PYSPARK_DRIVER_PYTHON": python,
                "TMPDIR": str(run_dir / "tmp"),
                GLUE_VERSION_ENV: version.version,
            }
        )
        if self.ctx.s3_root is not None:
            env["AWSTWIN_S3_ROOT"] = str(self.ctx.s3_root)
        return env

    def spark_conf(
        self,
        spec: RunSpec,
        scratch: Path | None,
        version: versions.GlueVersion = versions.DEFAULT,
        python: str = sys.executable,
    ) -> dict[str, str]:
        """The run's Spark settings: the local Glue defaults and its version's, then the job's `--conf`."""
        s3_url = self.ctx.settings.external_s3_url or self.ctx.settings.url
        conf = sparkconf.session_conf(self.ctx.s3_root, scratch, s3_url)
        conf["spark.app.name"] = spec.job_name
        conf["spark.pyspark.python"] = conf["spark.pyspark.driver.python"] = python
        conf["spark.sql.ansi.enabled"] = str(version.ansi).lower()  # Spark 4 (Glue 6) fails bad casts
        if self.ctx.settings.glue_spark_master:
            conf["spark.master"] = self.ctx.settings.glue_spark_master
        conf.update(spark_conf_overrides(spec.arguments.get("--conf")))
        return conf

    def spark_master(self, spec: RunSpec) -> str:
        """Where a Spark run's executors run: the job's `--conf spark.master`, the endpoint's setting,
        else `local[*]` (a Python shell run has none: `local[*]`, never checked)."""
        if spec.command not in SPARK_COMMANDS:
            return cluster.LOCAL_MASTER
        given = spark_conf_overrides(spec.arguments.get("--conf")).get("spark.master")
        return given or self.ctx.settings.glue_spark_master or cluster.LOCAL_MASTER

    def _master_source(self, spec: RunSpec) -> str:
        if "spark.master" in spark_conf_overrides(spec.arguments.get("--conf")):
            return f"the --conf argument of job {spec.job_name}"
        return cluster.GLUE_SPARK_MASTER_ENV
