"""CloudFormation's state on the endpoint: the stacks, where templates come from, what resolving asks of
the other services, and the worker that runs a stack operation.

An operation (create, update, delete, a change set's execution) runs on a worker thread, as on AWS the
API call only starts it; the call answers when the operation has finished or after
`AWSTWIN_CFN_WAIT_SECONDS` (default 30), whichever comes first, so the SDKs' waiters (which poll
DescribeStacks every 30 s) usually find the stack settled at their first poll. A restart marks an
operation cut off as failed, saying so.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from botocore.exceptions import ClientError

from awstwin.endpoint.cloudformation.exceptions import TemplateError, ValidationError, stack_not_found
from awstwin.endpoint.cloudformation.provisioner import Provisioner
from awstwin.endpoint.cloudformation.resources import Env
from awstwin.endpoint.cloudformation.runs import StackRuns
from awstwin.endpoint.cloudformation.stacks import DELETED, Stack
from awstwin.endpoint.cloudformation.template import Template
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.persistence import StateFile

log = logging.getLogger(__name__)
STACK_NAME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")
# S3 URL forms a TemplateURL may take: path style, virtual-hosted style, and the endpoint's own address.
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3[.-]")
_PATH_HOST = re.compile(r"^s3([.-][a-z0-9-]+)?(\.dualstack)?(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")


def wait_seconds() -> float:
    return float(os.environ.get("AWSTWIN_CFN_WAIT_SECONDS", "30"))


def unsupported(**members: Any) -> None:
    """Members whose effect the local endpoint cannot give (SNS notifications, stack policies): refused
    by name instead of accepted and ignored."""
    given = sorted(name for name, value in members.items() if value)
    if given:
        raise AwsError(
            f"cloudformation parameter(s) {', '.join(given)} are not supported by the local endpoint",
            code="NotImplementedError",
            status=501,
        )


class EndpointLookups:
    """What templates ask of other services, answered by the endpoint's own (EC2 zones, SSM, secrets)."""

    def __init__(self, state: CloudFormationState):
        self._state = state

    def availability_zones(self, region: str) -> list[str]:
        zones = self._state.client("ec2").describe_availability_zones()["AvailabilityZones"]
        return sorted(z["ZoneName"] for z in zones if z.get("State", "available") == "available")

    def export(self, name: str) -> str:
        for stack in self._state.live_stacks():
            if name in stack.exports:
                return stack.exports[name]
        raise ValidationError(f"No export named {name} found.")

    def ssm_parameter(self, name: str) -> str:
        try:
            answer = self._state.client("ssm").get_parameter(Name=name, WithDecryption=True)
        except ClientError:
            raise ValidationError(
                f"Unable to fetch parameters [{name}] from parameter store for this account."
            ) from None
        return str(answer["Parameter"]["Value"])

    def secret(self, secret_id: str, json_key: str, stage: str, version: str) -> str:
        kwargs: dict[str, str] = {"SecretId": secret_id}
        if stage:
            kwargs["VersionStage"] = stage
        if version:
            kwargs["VersionId"] = version
        try:
            text = self._state.client("secretsmanager").get_secret_value(**kwargs)["SecretString"]
        except ClientError as exc:
            raise ValidationError(
                f"Could not resolve secret {secret_id}: {exc.response.get('Error', {}).get('Message')}"
            ) from None
        if not json_key:
            return str(text)
        try:
            return str(json.loads(text)[json_key])
        except (ValueError, KeyError, TypeError):
            raise ValidationError(
                f"Could not find SecretString key {json_key} in secret {secret_id}"
            ) from None


class CloudFormationState:
    """Every stack of the endpoint (kept after deletion, as ListStacks shows them), and their worker."""

    def __init__(self, ctx: EndpointContext):
        self.ctx = ctx
        self.env = Env(account=ctx.settings.account_id, region=ctx.settings.region)
        self.lock = threading.RLock()
        self._file = StateFile.under(ctx.state_dir, "cloudformation", "stacks.json")
        self.stacks: dict[str, Stack] = {}
        self._threads: dict[str, threading.Thread] = {}
        self.provisioner = Provisioner(ctx.client, self.env)
        self.lookups = EndpointLookups(self)
        self.runs = StackRuns(self.provisioner, self.lookups, self.save, self.export_owner, self.importers)
        self._load()

    def client(self, service: str) -> Any:
        return self.provisioner.client(service)

    # -- persistence ---------------------------------------------------------------------------------
    def _load(self) -> None:
        data = self._file.load() or {}
        for stack_id, item in (data.get("stacks") or {}).items():
            stack = Stack.from_dict(item)
            if stack.status.endswith("_IN_PROGRESS") and stack.status != "REVIEW_IN_PROGRESS":
                failed = {"CREATE": "CREATE_FAILED", "DELETE": "DELETE_FAILED", "ROLLBACK": "ROLLBACK_FAILED"}
                status = failed.get(stack.status.split("_", 1)[0], "UPDATE_ROLLBACK_FAILED")
                stack.set_status(
                    status, f"The endpoint stopped during {stack.status}; the operation did not finish"
                )
            self.stacks[stack_id] = stack

    def save(self) -> None:
        # A stack being worked on by its worker can gain a resource while another stack's call saves:
        # copying then meets a dict that changed size, and the next try copies it whole.
        for attempt in range(5):
            try:
                with self.lock:
                    data = {"stacks": {stack_id: stack.to_dict() for stack_id, stack in self.stacks.items()}}
                break
            except RuntimeError:
                if attempt == 4:
                    raise
        self._file.save(data)

    # -- finding stacks ------------------------------------------------------------------------------
    def live_stacks(self) -> list[Stack]:
        with self.lock:
            return [s for s in self.stacks.values() if s.status != DELETED]

    def by_name(self, name: str) -> Stack | None:
        """The stack that is not deleted with this name, or the stack with this id (deleted or not)."""
        with self.lock:
            if name in self.stacks:
                return self.stacks[name]
            return next((s for s in self.stacks.values() if s.name == name and s.status != DELETED), None)

    def find(self, name: str) -> Stack:
        stack = self.by_name(name)
        if stack is None:
            raise stack_not_found(name)
        return stack

    def export_owner(self, name: str, stack_id: str) -> str | None:
        for stack in self.live_stacks():
            if stack.stack_id != stack_id and name in stack.exports:
                return stack.name
        return None

    def importers(self, name: str) -> list[str]:
        return sorted(s.name for s in self.live_stacks() if name in s.imports)

    # -- templates -----------------------------------------------------------------------------------
    def template(self, body: str | None, url: str | None) -> Template:
        """The template from TemplateBody or TemplateURL (an object in the endpoint's S3)."""
        if body and url:
            raise ValidationError("You cannot specify both TemplateURL and TemplateBody")
        if not body and not url:
            raise ValidationError("Either Template URL or Template Body must be specified.")
        return Template.read(body if body else self.fetch(str(url)))

    def fetch(self, url: str) -> str:
        """Read a TemplateURL's object: `https://<bucket>.s3.<region>.amazonaws.com/<key>`,
        `https://s3.<region>.amazonaws.com/<bucket>/<key>`, or the endpoint's own `http://host:port/<bucket>/<key>`."""
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
        path = unquote(parsed.path).lstrip("/")
        own = urlparse(self.ctx.settings.url)
        virtual = _VIRTUAL_HOST.match(host)
        if parsed.scheme not in ("http", "https") or not host:
            raise ValidationError("TemplateURL must be a supported URL.")
        if virtual and (host.endswith(".amazonaws.com") or host.endswith(".localhost.localstack.cloud")):
            bucket, key = virtual["bucket"], path
        elif (
            _PATH_HOST.match(host)
            or host in ("localhost", "127.0.0.1", own.hostname)
            or (parsed.port is not None and parsed.port == own.port)
        ):
            bucket, _, key = path.partition("/")
        else:
            raise ValidationError("TemplateURL must be a supported URL.")
        kwargs: dict[str, str] = {"Bucket": bucket, "Key": key}
        version = parse_qs(parsed.query).get("versionId")
        if version:
            kwargs["VersionId"] = version[0]
        try:
            return self.client("s3").get_object(**kwargs)["Body"].read().decode("utf-8")
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ValidationError(f"S3 error: {error.get('Message') or error.get('Code')}") from None
        except UnicodeDecodeError:
            raise TemplateError("Template format error: unsupported structure.") from None

    # -- operations ----------------------------------------------------------------------------------
    def start(self, stack: Stack, work: Callable[[], None]) -> None:
        """Run `work` on a worker thread; return when it is done or after `wait_seconds()`."""

        def run() -> None:
            try:
                work()
            except Exception:  # a bug of ours: the stack says so instead of staying in progress
                log.exception("stack %s: operation failed", stack.name)
                with self.lock:
                    failed = stack.status.replace("_IN_PROGRESS", "_FAILED")
                    stack.set_status(failed, "Internal failure of the local endpoint; see its log")
                self.save()

        thread = threading.Thread(target=run, name=f"cfn-{stack.name}", daemon=True)
        with self.lock:
            self._threads[stack.stack_id] = thread
        thread.start()
        thread.join(timeout=wait_seconds())

    def check_name(self, name: str) -> None:
        if not STACK_NAME.match(name):
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )

    def close(self) -> None:
        for thread in list(self._threads.values()):
            thread.join(timeout=5)
