"""Runs one Glue job run's script as a local process, the way Glue runs it.

1. The script is fetched from `Command.ScriptLocation` (s3:// through the endpoint's S3 access, or a
   local path) into the run's own folder; `--extra-py-files` likewise.
2. It runs with the endpoint's own interpreter in a new process group, with Glue's arguments
   (`script.py --JOB_NAME n --JOB_RUN_ID jr_... --k v ...`) and an environment that sends the AWS
   SDKs where the endpoint's own go (`JobRunner.endpoints`; Glue and Athena: here), puts the
   clean-room `awsglue` on `PYTHONPATH` (the only place it ever is), and, for Spark jobs, hands
   Spark its settings through `SPARK_CONF_DIR`.
3. stdout and stderr stream to CloudWatch Logs (`logs.RunLogs`); the tail of stderr gives the
   ErrorMessage of a failed run (`diagnosis.script_error`).
Stopping a run kills its whole process group (the Python driver, Spark's JVM, Python workers). If the
endpoint dies without stopping it (SIGKILL), the kernel sends the script SIGTERM (PR_SET_PDEATHSIG);
Spark's JVM exits when its driver's pipe closes, and the next start ends whatever is left.

Every run is a one-shot process (Spark's JVM starts each time: most of a small job's 11-20 s). A warm
Spark worker that keeps one JVM across runs would be another `launch` returning the same kind of
handle (`poll`, `kill_group`, `finish`), with no change to the run lifecycle in `execution.py`.
"""

from __future__ import annotations

import contextlib
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
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.jobs import sparkconf
from awstwin.endpoint.glue.jobs.diagnosis import script_error
from awstwin.endpoint.glue.jobs.logs import RunLogs
from awstwin.endpoint.s3access import S3_SCHEMES, parse_s3_uri
from awstwin.procutil import PRIVATE_UMASK, die_with_parent

SPARK_COMMANDS = ("glueetl", "gluestreaming")
PYTHON_COMMANDS = ("pythonshell",)
STDERR_TAIL_LINES = 400
STOP_GRACE_SECONDS = 5.0
# Environment the job must not inherit from the endpoint: the runner sets these itself. The endpoint's
# own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> pass through (see `JobRunner.endpoints`).
OWN_ENV_PREFIXES = ("PYSPARK_", "SPARK_CONF_DIR", "AWSTWIN_S3_ROOT", "PYTHONPATH")
OWN_ENV_NAMES = ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",)
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

    def __init__(self, process: subprocess.Popen[bytes], logs: RunLogs, run_dir: Path):
        self.process = process
        self.logs = logs
        self.run_dir = run_dir
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

    def launch(self, spec: RunSpec) -> JobProcess:
        if spec.command not in SPARK_COMMANDS + PYTHON_COMMANDS:
            raise RunSetupError(
                f"Command.Name {spec.command!r} of job {spec.job_name} cannot run locally; "
                f"use one of {', '.join(SPARK_COMMANDS + PYTHON_COMMANDS)}"
            )
        run_dir = self.runs_dir / spec.run_id
        run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # script, arguments, logs: the user's alone
        (run_dir / "tmp").mkdir(exist_ok=True)
        script = self.fetch(
            spec.script_location, run_dir / "script", what=f"ScriptLocation of job {spec.job_name}"
        )
        python_path = [str(sparkconf.GLUE_RUNTIME_DIR), str(Path(awstwin.__file__).resolve().parent.parent)]
        python_path += self._extra_py_files(spec, run_dir / "extra")
        continuous = str(spec.arguments.get("--enable-continuous-cloudwatch-log", "true")).lower() != "false"
        logs = RunLogs(self._logs_client, spec.run_id, run_dir / "logs", continuous)
        logs.open_streams()
        if spec.arguments.get("--additional-python-modules"):
            logs.write(
                "error",
                "WARN GlueRunner: --additional-python-modules is not installed locally (offline); "
                "the job sees the endpoint's own packages",
            )
        env = self.environment(spec, run_dir, python_path)
        argv = [sys.executable, "-u", str(script), *script_argv(spec.arguments)]
        try:
            process = subprocess.Popen(
                argv,
                cwd=run_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                # The run's own thread starts it and outlives it (see procutil): a SIGKILLed endpoint
                # still takes its runs with it.
                preexec_fn=die_with_parent(),
                umask=PRIVATE_UMASK,  # what the script and its Spark write is private, as PutObject's is
            )
        except OSError as exc:
            logs.close()
            raise RunSetupError(f"cannot start {sys.executable} for job {spec.job_name}: {exc}") from exc
        return JobProcess(process, logs, run_dir)

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

    def environment(self, spec: RunSpec, run_dir: Path, python_path: list[str]) -> dict[str, str]:
        settings = self.ctx.settings
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(OWN_ENV_PREFIXES)
            and k not in OWN_ENV_NAMES
            and not k.startswith("AWS_ENDPOINT_URL")
        }
        env.update(self.endpoints())
        env.update(
            {
                "AWS_DEFAULT_REGION": settings.region,
                "AWS_REGION": settings.region,
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
                "PYTHONPATH": os.pathsep.join(python_path),
                "PYTHONUNBUFFERED": "1",
                "PYSPARK_PYTHON": sys.executable,
                "PYSPARK_DRIVER_PYTHON": sys.executable,
                "TMPDIR": str(run_dir / "tmp"),
            }
        )
        if self.ctx.s3_root is not None:
            env["AWSTWIN_S3_ROOT"] = str(self.ctx.s3_root)
        if spec.command in SPARK_COMMANDS:
            conf = sparkconf.session_conf(self.ctx.s3_root, run_dir / "tmp", env[ENDPOINT_ENV["s3"]])
            conf["spark.app.name"] = spec.job_name
            conf.update(spark_conf_overrides(spec.arguments.get("--conf")))
            env["SPARK_CONF_DIR"] = str(sparkconf.write_conf_dir(run_dir / "spark-conf", conf))
        return env
