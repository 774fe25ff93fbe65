"""Open a page in headless Chromium with the network cut off, and report what a user would have seen.

Drives Chromium over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages ended
by NUL on file descriptors 3 and 4), so it needs nothing beyond the standard library and Debian's
`chromium` package. The network is off three ways: a dead proxy for every non-loopback URL, a host
resolver that resolves nothing, and DevTools' offline emulation; any attempt shows up as a request
and as a console error.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install it with: apt-get update && apt-get install -y chromium"

FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in CI containers
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    found = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, CANDIDATES)), None)
    return found


@dataclass
class PageReport:
    """What happened while the page loaded and drew."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    evaluations: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    seconds: float = 0.0


class DevToolsPipe:
    """A minimal DevTools client: send a command, wait for its answer; keep every event."""

    def __init__(self, to_browser: int, from_browser: int):
        self._out, self._in = to_browser, from_browser
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._in, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._cond:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self.events.append(message)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout=30.0) -> dict:
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._answers:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    raise TimeoutError(f"Chromium did not answer {method} within {timeout:.0f} s")
                self._cond.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise RuntimeError(f"{method} failed: {answer['error']}")
        return answer.get("result", {})

    def wait_event(self, method: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not any(e["method"] == method for e in self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True


def _console_errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(
                "exception: " + details.get("exception", {}).get("description", details.get("text", ""))
            )
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(
                "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            )
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
    return errors


def open_page(
    url: str,
    *,
    evaluate: dict[str, str] | None = None,
    ready_expression: str = "document.readyState === 'complete'",
    screenshot: Path | None = None,
    width: int = 1280,
    height: int = 900,
    timeout: float = 60.0,
) -> PageReport:
    """Load `url` offline, wait until `ready_expression` is true, run each of `evaluate` (name ->
    JavaScript expression returning JSON-able data), optionally save a full-page PNG screenshot."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError(f"no Chromium found ({', '.join(CANDIDATES)}): {INSTALL_HINT}")
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()

    def wire_fds() -> None:  # runs in the child: fd 3 = commands in, fd 4 = answers out
        commands = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        answers = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
        os.dup2(commands, 3)
        os.dup2(answers, 4)

    report = PageReport()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire_fds,  # noqa: PLW1509 - single-threaded at this point of a test
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        try:
            devtools = DevToolsPipe(to_browser_w, from_browser_r)
            target = devtools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = devtools.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Runtime", "Log", "Network", "Page"):
                devtools.send(f"{domain}.enable", session=session)
            devtools.send(
                "Network.emulateNetworkConditions",
                {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
                session=session,
            )
            devtools.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            devtools.send("Page.navigate", {"url": url}, session=session)
            devtools.wait_event("Page.loadEventFired", timeout)
            report.ready = _wait_true(devtools, session, ready_expression, timeout)
            for name, expression in (evaluate or {}).items():
                report.evaluations[name] = _evaluate(devtools, session, expression)
            if screenshot is not None:
                _screenshot(devtools, session, screenshot, width)
            time.sleep(0.2)  # let late console messages arrive
            with devtools._cond:
                events = list(devtools.events)
            report.console_errors = _console_errors(events)
            report.requests = [
                e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
            ]
            report.failed_requests = [
                f"{e['params'].get('errorText')}" for e in events if e["method"] == "Network.loadingFailed"
            ]
            with contextlib.suppress(TimeoutError, RuntimeError, OSError):
                devtools.send("Browser.close", timeout=5)
        finally:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            os.close(to_browser_w)
            os.close(from_browser_r)
    report.seconds = time.perf_counter() - started
    return report


def _evaluate(devtools: DevToolsPipe, session: str, expression: str) -> Any:
    result = devtools.send(
        "Runtime.evaluate",
        {"expression": expression, "returnByValue": True, "awaitPromise": True},
        session=session,
    )
    if "exceptionDetails" in result:
        raise RuntimeError(f"page script failed: {result['exceptionDetails'].get('text')}: {expression[:80]}")
    return result["result"].get("value")


def _wait_true(devtools: DevToolsPipe, session: str, expression: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _evaluate(devtools, session, f"Boolean({expression})"):
            return True
        time.sleep(0.1)
    return False


def _screenshot(devtools: DevToolsPipe, session: str, path: Path, width: int) -> None:
    size = devtools.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": max(width, size["width"]), "height": size["height"], "scale": 1}
    shot = devtools.send(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": clip},
        session=session,
        timeout=60,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
