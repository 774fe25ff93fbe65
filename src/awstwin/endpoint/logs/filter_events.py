"""FilterLogEvents in front of moto, with the resumable `nextToken` AWS gives on the last page.

AWS answers the last page of a FilterLogEvents with a `nextToken`; called again with it, CloudWatch
returns only the events that arrived since. Log followers depend on that: Airflow's
`GlueJobHook.print_job_logs` keeps the token between pokes, so without one it prints a run's whole
log again on every poke. moto gives no token on the last page. So this wrapper pages itself:

- it asks moto for everything from the resume point on (following moto's own pages), drops the
  events already returned, and cuts the answer at the caller's `limit`;
- every page with events carries a token of ours, `awstwin-resume:<base64 JSON>`: the newest
  event's timestamp and the (hashed) ids of the events returned at that timestamp. Called with it,
  the endpoint answers only what came after, and an empty answer carries no token (botocore's
  paginator stops on a repeated token), so the caller keeps the one it has;
- a token that is not ours goes to moto untouched.
Events come back interleaved across streams, ordered by timestamp, as AWS has always done.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

TOKEN_PREFIX = "awstwin-resume:"
MAX_EVENTS = 10_000  # FilterLogEvents' largest (and default) limit
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Resume:
    """Where a follower left off: the newest timestamp it saw and which events at it it got."""

    timestamp: int
    seen: set[str] = field(default_factory=set)

    def encode(self) -> str:
        raw = json.dumps({"t": self.timestamp, "s": sorted(self.seen)}, separators=(",", ":"))
        return TOKEN_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, token: str | None) -> Resume | None:
        if not token or not token.startswith(TOKEN_PREFIX):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :].encode()))
            return cls(int(data["t"]), set(data["s"]))
        except (ValueError, KeyError, TypeError):
            return None

    def already_returned(self, event: dict[str, Any]) -> bool:
        stamp = event.get("timestamp", 0)
        return stamp < self.timestamp or (stamp == self.timestamp and _event_key(event) in self.seen)

    def after(self, events: list[dict[str, Any]]) -> Resume:
        """The resume point once `events` (ordered by timestamp) have been returned too."""
        newest = events[-1].get("timestamp", 0)
        seen = set(self.seen) if newest == self.timestamp else set()
        seen |= {_event_key(e) for e in events if e.get("timestamp", 0) == newest}
        return Resume(newest, seen)


def _event_key(event: dict[str, Any]) -> str:
    text = f"{event.get('logStreamName', '')}/{event.get('eventId', '')}"
    return hashlib.sha1(text.encode()).hexdigest()[:10]


@dataclass
class Reply:
    """moto's answer to one sub-request."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status.startswith("200")

    def response(self, payload: dict[str, Any] | None = None) -> Response:
        """This reply for the caller: as moto gave it, or with `payload` as its JSON body."""
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        body = self.body if payload is None else json.dumps(payload).encode()
        return Response(body, status=self.status, headers=headers)


class FilterLogEventsApp:
    """WSGI app for Logs_20140328.FilterLogEvents: moto's events, paged with AWS's resumable token."""

    def __init__(self, moto: Callable[[], WsgiApp]):
        self._moto = moto

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            params = json.loads(request.get_data() or b"{}")
        except json.JSONDecodeError:
            params = None
        if not isinstance(params, dict):  # let moto say what is wrong with it
            return self._moto()(_with_body(environ, request.get_data()), start_response)
        params["interleaved"] = True
        token = params.get("nextToken")
        resume = Resume.decode(token) if token else Resume(-1)
        if resume is None:  # a token that is not ours: moto's own, or nonsense moto will judge
            return self._ask(environ, params).response()(environ, start_response)
        return self._resume(environ, params, resume)(environ, start_response)

    def _ask(self, environ: dict[str, Any], params: dict[str, Any]) -> Reply:
        return Reply(*_call(self._moto(), _with_body(environ, json.dumps(params).encode())))

    def _resume(self, environ: dict[str, Any], params: dict[str, Any], resume: Resume) -> Response:
        """Everything from the resume point on (moto's own pages followed here, so no moto token
        ever reaches the caller), less what was returned already, cut at the caller's limit, with a
        token that resumes after the last event returned."""
        limit = int(params.pop("limit", None) or MAX_EVENTS)
        params.pop("nextToken", None)
        params["startTime"] = max(int(params.get("startTime") or 0), resume.timestamp)
        events: list[dict[str, Any]] = []
        searched: list[dict[str, Any]] = []
        while True:
            reply = self._ask(environ, params)
            if not reply.ok:
                return reply.response()
            answer = json.loads(reply.body or b"{}")
            events += [e for e in answer.get("events") or [] if not resume.already_returned(e)]
            searched = answer.get("searchedLogStreams") or searched
            if not answer.get("nextToken") or len(events) >= limit:
                break
            params["nextToken"] = answer["nextToken"]
        page = events[:limit]
        payload: dict[str, Any] = {"events": page, "searchedLogStreams": searched}
        if page:
            payload["nextToken"] = resume.after(page).encode()
        return reply.response(payload)


def _with_body(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    copy = dict(environ)
    copy["wsgi.input"] = io.BytesIO(body)
    copy["CONTENT_LENGTH"] = str(len(body))
    copy.pop("HTTP_TRANSFER_ENCODING", None)
    return copy


def _call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        closer = getattr(chunks, "close", None)
        if callable(closer):
            closer()
    return captured["status"], list(captured["headers"]), body
