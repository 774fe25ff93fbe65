"""The state of the services moto serves inside the endpoint, kept in `STATE_DIR/moto/` across restarts.

IAM, STS, Secrets Manager, SSM Parameter Store, CloudWatch Logs (and any other service the endpoint
hands to moto) live in moto's in-process backends. The endpoint's own services keep their state in
STATE_DIR, and so does CloudFormation: a stack made before a restart still names the secret and the
role it created. So, with a STATE_DIR, each moto backend that a mutating request reached is pickled
to `STATE_DIR/moto/<backend>.pickle` (debounced on a background thread, and on close), written
atomically (temp file + rename, 0600, in a 0700 folder), and loaded back into moto's backends before
the endpoint's first moto request: the same resources with the same ARNs, ids and values.

- Read-only requests (Get*, List*, Describe*, ... and GET/HEAD) are not tracked: they change nothing.
- IAM: AWS's managed policies (`MOTO_IAM_LOAD_MANAGED_POLICIES`, ~1,600 per partition, megabytes)
  are not written unless attached; moto loads its own copies at restore, as at any start.
- SSM: its backend holds a `defaultdict(lambda: ...)` and a `ParameterDict` (a defaultdict whose
  attributes pickle drops); both are taken apart and rebuilt here.
- A pickle runs code when loaded: only files in a folder owned by this user and not writable by
  others are read; anything else is refused, naming the file.
- A file written by another moto version is refused (its objects may lack what this version's code
  expects), naming the file and what to do.
- Without STATE_DIR nothing is written or read (`MotoState(None).wrap(app)` is `app`).
"""

from __future__ import annotations

import copyreg
import io
import logging
import os
import pickle
import re
import stat
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger("awstwin.endpoint.moto_state")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SAVE_DELAY_SECONDS = 0.5  # a burst of calls (a stack's resources, a job's log lines) is written once
# The writer waits at least this many times its last save's duration: a big backend (months of logs:
# 100,000 events pickle in ~1 s) costs at most a fifth of a core while it keeps changing.
SAVE_COST_FACTOR = 4
PICKLE_ATTEMPTS = 3  # a read that lazily fills a backend (SSM's defaults) can change it mid-pickle
FORMAT = 1
SUFFIX = ".pickle"
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Filter", "BatchGet", "Search", "Lookup", "Head")
NOT_BACKENDS = frozenset({"moto_api", "instance_metadata"})
AWS_MANAGED_POLICY = re.compile(r"^arn:[^:]+:iam::aws:policy/")  # in every partition


# -- what pickle cannot take as moto leaves it -------------------------------------------------------
def _nested_tags() -> defaultdict[str, defaultdict[str, dict[str, str]]]:
    return defaultdict(lambda: defaultdict(dict))


def _reduce_ssm_backend(backend: Any) -> tuple[Any, ...]:
    state = dict(backend.__dict__)
    state["_resource_tags"] = {kind: dict(tags) for kind, tags in backend._resource_tags.items()}
    return copyreg.__newobj__, (type(backend),), state, None, None, _set_ssm_backend_state


def _set_ssm_backend_state(backend: Any, state: dict[str, Any]) -> None:
    tags = _nested_tags()
    for kind, by_resource in state["_resource_tags"].items():
        tags[kind].update(by_resource)
    backend.__dict__.update(state, _resource_tags=tags)


def _reduce_parameter_dict(parameters: Any) -> tuple[Any, ...]:
    # defaultdict's own __reduce__ drops the instance's attributes (account, region, what is loaded).
    state = {"attributes": dict(parameters.__dict__), "items": dict(parameters)}
    return copyreg.__newobj__, (type(parameters),), state, None, None, _set_parameter_dict_state


def _set_parameter_dict_state(parameters: Any, state: dict[str, Any]) -> None:
    parameters.default_factory = list
    parameters.__dict__.update(state["attributes"])
    dict.update(parameters, state["items"])


def _reduce_iam_backend(backend: Any) -> tuple[Any, ...]:
    """Everything but AWS's managed policies that nothing has attached (moto reloads those)."""

    def kept(policy: Any) -> bool:
        return not AWS_MANAGED_POLICY.match(policy.arn) or policy.attachment_count > 0

    state = dict(backend.__dict__)
    state["managed_policies"] = {arn: p for arn, p in backend.managed_policies.items() if kept(p)}
    state["aws_managed_policies"] = [p for p in backend.aws_managed_policies if kept(p)]
    args = (type(backend), backend.region_name, backend.account_id)
    return _new_iam_backend, args, state, None, None, _set_iam_backend_state


def _new_iam_backend(cls: type, region_name: str, account_id: str) -> Any:
    return cls(region_name, account_id)  # with moto's managed policies, as at any start


def _set_iam_backend_state(backend: Any, state: dict[str, Any]) -> None:
    fresh = {p.arn: p for p in backend.aws_managed_policies}
    kept = {p.arn: p for p in state["aws_managed_policies"]}
    state["aws_managed_policies"] = [kept.get(arn, policy) for arn, policy in fresh.items()]
    state["managed_policies"] = {
        **{arn: p for arn, p in fresh.items() if arn not in state["managed_policies"]},
        **state["managed_policies"],
    }
    backend.__dict__.update(state)


def _reducers() -> dict[type, Callable[[Any], tuple[Any, ...]]]:
    """For the moto classes that exist in this process: an object of a class not yet defined (its
    module never imported, or still being imported on another thread) cannot be in the data, and
    importing moto.ssm.models only to name its classes (it imports moto.ec2) costs a second of CPU."""
    wanted = {
        ("moto.iam.models", "IAMBackend"): _reduce_iam_backend,
        ("moto.ssm.models", "SimpleSystemManagerBackend"): _reduce_ssm_backend,
        ("moto.ssm.models", "ParameterDict"): _reduce_parameter_dict,
    }
    table: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
    for (module, name), reducer in wanted.items():
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type):
            table[cls] = reducer
    return table


def dumps(data: Any) -> bytes:
    """Pickle with this module's reducers (scoped to this pickler: copy/deepcopy elsewhere unchanged)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **_reducers()}  # type: ignore[misc]
    pickler.dump(data)
    return buffer.getvalue()


# -- which backend a request is for, and whether it changes anything ---------------------------------
def operation_of(environ: dict[str, Any]) -> str | None:
    """The action an awsJson (X-Amz-Target) or query-protocol (Action=) request names, else None."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return action[0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # put back for moto
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        return action[0] if action else None
    return None


def mutates(environ: dict[str, Any]) -> bool:
    operation = operation_of(environ)
    if operation is not None:
        return not operation.startswith(READ_ONLY_PREFIXES)
    return environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD", "OPTIONS")


# -- the state folder ---------------------------------------------------------------------------------
class MotoStateError(RuntimeError):
    """A state file that cannot be loaded; the message names it and what to do."""


def _check_owned(path: Path) -> None:
    info = path.stat()
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise MotoStateError(
            f"{path} is not owned by this user or is writable by others: the endpoint loads moto's state "
            f"only from its own folder (a pickle runs code when loaded); fix its owner and mode (0700 for "
            f"the folder, 0600 for files) or move it away to start without it"
        )


class MotoState:
    """Tracks mutating requests to moto's backends and keeps those backends in `folder`."""

    def __init__(self, folder: Path | None, delay: float = SAVE_DELAY_SECONDS):
        self.folder = folder
        self.delay = delay
        self._condition = threading.Condition()
        self._dirty: set[str] = set()
        self._known: set[str] = set()
        self._unpicklable: set[str] = set()
        self._locks: dict[str, threading.Lock] = {}
        self._writer: threading.Thread | None = None
        self._last_cost = 0.0
        self._closing = False
        self._dispatcher: Any = None

    # -- restore ------------------------------------------------------------------------------------
    def restore(self) -> list[str]:
        """Load every `<backend>.pickle` into moto's live backends (each region's backend replaced)."""
        if self.folder is None or not self.folder.is_dir():
            return []
        import moto
        from moto.backends import get_backend
        from moto.core.base_backend import backend_lock

        _check_owned(self.folder)
        restored = []
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            _check_owned(path)
            name = path.name[: -len(SUFFIX)]
            try:
                saved = pickle.loads(path.read_bytes())  # noqa: S301 (our own 0600 file, checked above)
            except Exception as exc:
                raise MotoStateError(
                    f"{path} cannot be read ({type(exc).__name__}: {exc}); move it away to start without "
                    f"the {name} resources it held"
                ) from exc
            if saved.get("format") != FORMAT or saved.get("moto") != moto.__version__:
                raise MotoStateError(
                    f"{path} was written by moto {saved.get('moto')} (this endpoint runs moto "
                    f"{moto.__version__}); its objects may not fit this version: move it away to start "
                    f"without the {name} resources it held (a CloudFormation stack that made them: delete "
                    f"and deploy it again)"
                )
            live = get_backend(name)  # type: ignore[call-overload]
            with backend_lock:  # in a new process these are empty: each region's backend is replaced
                for account_id, regions in saved["backends"].items():
                    account = live[account_id]
                    for region, backend in regions.items():
                        dict.__setitem__(account, region, backend)
            self._known.add(name)
            restored.append(name)
        if restored:
            log.info("moto state restored from %s: %s", self.folder, ", ".join(restored))
        return restored

    # -- tracking -----------------------------------------------------------------------------------
    def wrap(self, dispatcher: Any) -> WsgiApp:
        """moto's `DomainDispatcherApplication`, mutating requests tracked (as is without a folder)."""
        if self.folder is None:
            return dispatcher
        self._dispatcher = dispatcher
        return self._call

    def _backend_of(self, environ: dict[str, Any]) -> str | None:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api"):
            return "moto_api"
        host = self._dispatcher.infer_service_region_host(environ, path)
        return self._dispatcher.get_backend_for_host(host) if host else None

    def _call(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        name = self._backend_of(environ)
        if name is None or not mutates(environ):
            return self._dispatcher(environ, start_response)
        if name == "moto_api":  # a reset (or seeding) through moto's own API: every backend we keep
            answer = self._dispatcher(environ, start_response)
            self.touched(*self._known)
            return answer
        with self._lock_of(name):  # not pickled half-way through a change
            answer = self._dispatcher(environ, start_response)
        self.touched(name)
        return answer

    def _lock_of(self, name: str) -> threading.Lock:
        with self._condition:
            return self._locks.setdefault(name, threading.Lock())

    def touched(self, *names: str) -> None:
        """Mark backends changed: the writer saves them `delay` seconds later."""
        names = tuple(n for n in names if n not in NOT_BACKENDS)
        if not names or self.folder is None:
            return
        with self._condition:
            self._dirty.update(names)
            self._known.update(names)
            if self._writer is None and not self._closing:
                self._writer = threading.Thread(
                    target=self._write_loop, name="awstwin-moto-state", daemon=True
                )
                self._writer.start()
            self._condition.notify()

    def _write_loop(self) -> None:
        while True:
            with self._condition:
                while not self._dirty and not self._closing:
                    self._condition.wait()
                # the rest of the burst; close() cuts it short
                deadline = time.monotonic() + max(self.delay, SAVE_COST_FACTOR * self._last_cost)
                while not self._closing and (left := deadline - time.monotonic()) > 0:
                    self._condition.wait(left)
                if self._closing:
                    return
                names, self._dirty = self._dirty, set()
            began = time.monotonic()
            self._save_all(names)
            self._last_cost = time.monotonic() - began

    def close(self) -> None:
        """Stop the writer and save whatever is still unsaved."""
        with self._condition:
            self._closing = True
            self._condition.notify_all()
            writer = self._writer
        if writer is not None:
            writer.join()
        with self._condition:
            names, self._dirty = self._dirty, set()
        self._save_all(names)

    # -- saving -------------------------------------------------------------------------------------
    def _save_all(self, names: Iterable[str]) -> None:
        for name in sorted(names):
            try:
                self.save(name)
            except Exception:
                log.exception("moto state: could not save %s to %s", name, self.folder)

    def save(self, name: str) -> None:
        if self.folder is None or name in self._unpicklable:
            return
        from moto.backends import get_backend

        try:
            live = get_backend(name)  # type: ignore[call-overload]
        except KeyError:
            log.info("moto state: %s is no moto backend name; not kept", name)
            self._unpicklable.add(name)
            return
        with self._lock_of(name):
            payload = self._pickle(name, live)
        if payload is not None:
            self._write(self.folder / f"{name}{SUFFIX}", payload)

    def _pickle(self, name: str, live: Any) -> bytes | None:
        import moto
        from moto.core.base_backend import backend_lock

        for attempt in range(1, PICKLE_ATTEMPTS + 1):
            with backend_lock:
                backends = {account_id: dict(regions) for account_id, regions in live.items()}
            try:
                return dumps({"format": FORMAT, "moto": moto.__version__, "backends": backends})
            except RuntimeError:  # "dictionary changed size during iteration"
                if attempt == PICKLE_ATTEMPTS:
                    raise
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                self._unpicklable.add(name)
                log.warning(
                    "moto state: %s cannot be kept across restarts (%s); it stays in memory", name, exc
                )
                return None
        return None

    def _write(self, path: Path, payload: bytes) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
