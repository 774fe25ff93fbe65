"""Tags on Glue resources (crawlers, jobs, databases, tables, connections, ...), keyed by ARN.

Other Glue backends store the `Tags` of their Create* calls here (`tags.tag(tags.arn("job", name),
Tags)`) and forget them on delete. GetTags on a resource that does not exist is an
EntityNotFoundException, as on AWS: the backend that owns the resource kind answers
`resource_exists(kind, names)` (`owners`, filled in by `glue.build`).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Protocol

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.exceptions import EntityNotFoundException, InvalidInputException
from awstwin.endpoint.operations import handler
from awstwin.endpoint.persistence import StateFile

ARN = re.compile(
    r"^arn:aws[\w-]*:glue:(?P<region>[\w-]+):(?P<account>\d{12}):(?P<kind>[\w-]+)/(?P<names>.+)$"
)
MAX_TAGS = 50


class ResourceOwner(Protocol):
    """A Glue backend that knows whether a resource of one of its kinds exists."""

    def resource_exists(self, kind: str, names: list[str]) -> bool: ...


class TagBackend:
    def __init__(self, ctx: EndpointContext):
        self.ctx = ctx
        self._lock = threading.Lock()
        self._file = StateFile.under(ctx.state_dir, "glue", "tags.json")
        self._tags: dict[str, dict[str, str]] = (self._file.load() or {}).get("tags", {})
        # resource kind in an ARN (database, table, crawler, job, ...) -> the backend that owns it
        self.owners: dict[str, ResourceOwner] = {}

    def arn(self, kind: str, *names: str) -> str:
        settings = self.ctx.settings
        return f"arn:aws:glue:{settings.region}:{settings.account_id}:{kind}/{'/'.join(names)}"

    def _save(self) -> None:
        self._file.save({"tags": self._tags})

    # -- in-process API for the other Glue backends --------------------------------------------
    def tag(self, arn: str, tags: dict[str, str] | None) -> None:
        if not tags:
            return
        with self._lock:
            merged = {**self._tags.get(arn, {}), **tags}
            if len(merged) > MAX_TAGS:
                raise InvalidInputException(f"{arn} would have {len(merged)} tags; Glue allows {MAX_TAGS}")
            self._tags[arn] = merged
            self._save()

    def tags_of(self, arn: str) -> dict[str, str]:
        with self._lock:
            return dict(self._tags.get(arn, {}))

    def forget(self, arn: str) -> None:
        """The resource is gone: so are its tags (a new resource of that name starts untagged)."""
        with self._lock:
            if self._tags.pop(arn, None) is not None:
                self._save()

    # -- the wire API ----------------------------------------------------------------------------
    def _check(self, arn: str) -> None:
        match = ARN.match(arn)
        if match is None:
            raise InvalidInputException(
                f"{arn!r} is not a Glue ARN (arn:aws:glue:<region>:<account>:<kind>/<name>)"
            )
        kind, names = match["kind"], match["names"].split("/")
        owner = self.owners.get(kind)
        if owner is not None:
            found = owner.resource_exists(kind, names)
        else:  # a kind no backend answers for: known if it was ever tagged
            with self._lock:
                found = arn in self._tags
        if not found:
            raise EntityNotFoundException(f"Resource {arn} not found: no {kind} named {'/'.join(names)}.")

    @handler("TagResource")
    def tag_resource(self, ResourceArn: str, TagsToAdd: dict[str, str]) -> dict[str, Any]:
        """Adds tags to a Glue resource (database, table, connection, crawler, job)."""
        self._check(ResourceArn)
        self.tag(ResourceArn, TagsToAdd)
        return {}

    @handler("UntagResource")
    def untag_resource(self, ResourceArn: str, TagsToRemove: list[str]) -> dict[str, Any]:
        """Removes tags from a Glue resource."""
        self._check(ResourceArn)
        with self._lock:
            current = self._tags.get(ResourceArn, {})
            for key in TagsToRemove:
                current.pop(key, None)
            if not current:
                self._tags.pop(ResourceArn, None)
            self._save()
        return {}

    @handler("GetTags")
    def get_tags(self, ResourceArn: str) -> dict[str, Any]:
        """Returns the tags of a Glue resource (database, table, connection, crawler, job)."""
        self._check(ResourceArn)
        return {"Tags": self.tags_of(ResourceArn)}
