"""Athena workgroups: Create/Get/List/Update/Delete, the always-present `primary`, and tags.

A workgroup's `ResultConfiguration.OutputLocation` is where queries write results when they name
none; with `EnforceWorkGroupConfiguration` it overrides the client's. `resolve_output_location`
is the one place that decides, and names the fix when nobody gave a location.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from awstwin.endpoint.athena.dialect import ENGINE_VERSION
from awstwin.endpoint.athena.exceptions import InvalidRequestException
from awstwin.endpoint.operations import handler

PRIMARY = "primary"
DEFAULT_CONFIGURATION: dict[str, Any] = {
    "EnforceWorkGroupConfiguration": False,
    "PublishCloudWatchMetricsEnabled": False,
    "RequesterPaysEnabled": False,
    "EngineVersion": ENGINE_VERSION,
    "EnableMinimumEncryptionConfiguration": False,
}
NO_OUTPUT_LOCATION = (
    "No output location provided. An output location is required either through the Workgroup result "
    "configuration setting or as an API input. Pass ResultConfiguration={'OutputLocation': "
    "'s3://<bucket>/<prefix>/'} or set one on workgroup {workgroup} (UpdateWorkGroup "
    "ConfigurationUpdates.ResultConfigurationUpdates.OutputLocation)"
)


def new_workgroup(name: str, configuration: dict[str, Any] | None, description: str | None) -> dict[str, Any]:
    config = copy.deepcopy(DEFAULT_CONFIGURATION)
    # AWS enforces a new workgroup's settings unless told otherwise; `primary` starts unenforced
    config["EnforceWorkGroupConfiguration"] = name != PRIMARY
    config.update(copy.deepcopy(configuration or {}))
    config["EngineVersion"] = dict(ENGINE_VERSION)
    return {
        "Name": name,
        "State": "ENABLED",
        "Configuration": config,
        "Description": description or "",
        "CreationTime": time.time(),
    }


def apply_updates(workgroup: dict[str, Any], updates: dict[str, Any]) -> None:
    """UpdateWorkGroup's `ConfigurationUpdates` onto a workgroup, as AWS merges them."""
    config = workgroup["Configuration"]
    result_updates = updates.get("ResultConfigurationUpdates") or {}
    result = config.setdefault("ResultConfiguration", {})
    for field in ("OutputLocation", "EncryptionConfiguration", "ExpectedBucketOwner", "AclConfiguration"):
        if result_updates.get(f"Remove{field}"):
            result.pop(field, None)
        elif field in result_updates:
            result[field] = copy.deepcopy(result_updates[field])
    if not result:
        config.pop("ResultConfiguration", None)
    if updates.get("RemoveBytesScannedCutoffPerQuery"):
        config.pop("BytesScannedCutoffPerQuery", None)
    for key, value in updates.items():
        if key in ("ResultConfigurationUpdates", "RemoveBytesScannedCutoffPerQuery") or key.startswith(
            "Remove"
        ):
            continue
        if key == "EngineVersion":
            continue  # one engine locally: Athena engine version 3
        config[key] = copy.deepcopy(value)


class WorkGroupApi:
    """Mixed into the backend: `self.workgroups`, `self.tags`, `self.lock` and `self._save_state()`."""

    workgroups: dict[str, dict[str, Any]]
    tags: dict[str, dict[str, str]]
    region: str
    account: str

    def _save_state(self) -> None:
        raise NotImplementedError

    def _workgroup_has_queries(self, name: str) -> bool:
        raise NotImplementedError

    def workgroup(self, name: str | None) -> dict[str, Any]:
        key = name or PRIMARY
        found = self.workgroups.get(key)
        if found is None:
            raise InvalidRequestException(f"WorkGroup {key} is not found.")
        return found

    def workgroup_arn(self, name: str) -> str:
        return f"arn:aws:athena:{self.region}:{self.account}:workgroup/{name}"

    def resolve_output_location(
        self, workgroup: dict[str, Any], requested: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The result configuration a query uses: the workgroup's when enforced, else the client's."""
        config = workgroup.get("Configuration") or {}
        group = dict(config.get("ResultConfiguration") or {})
        client = dict(requested or {})
        if config.get("EnforceWorkGroupConfiguration") and group.get("OutputLocation"):
            chosen = group
        else:
            chosen = {**group, **{k: v for k, v in client.items() if v}}
        location = chosen.get("OutputLocation")
        if not location:
            raise InvalidRequestException(NO_OUTPUT_LOCATION.replace("{workgroup}", workgroup["Name"]))
        if not location.startswith("s3://") or len(location) <= len("s3://"):
            raise InvalidRequestException(
                f"The output location {location!r} is not an S3 path; use s3://<bucket>/<prefix>/"
            )
        return chosen

    # -- API -------------------------------------------------------------------------------------
    @handler("CreateWorkGroup")
    def create_work_group(
        self,
        Name: str,
        Configuration: dict[str, Any] | None = None,
        Description: str | None = None,
        Tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Creates a workgroup with its result location, enforcement and bytes-scanned cutoff."""
        with self.lock:
            if Name in self.workgroups:
                raise InvalidRequestException(f"WorkGroup {Name} is already created")
            self.workgroups[Name] = new_workgroup(Name, Configuration, Description)
            if Tags:
                self.tags[self.workgroup_arn(Name)] = {t["Key"]: t.get("Value", "") for t in Tags}
            self._save_state()
        return {}

    @handler("GetWorkGroup")
    def get_work_group(self, WorkGroup: str) -> dict[str, Any]:
        """Returns a workgroup and its configuration."""
        with self.lock:
            return {"WorkGroup": copy.deepcopy(self.workgroup(WorkGroup))}

    @handler("ListWorkGroups", page_size=50)
    def list_work_groups(self) -> dict[str, Any]:
        """Lists the workgroups (`primary` always among them), paged."""
        with self.lock:
            groups = sorted(self.workgroups.values(), key=lambda g: g["Name"])
            summaries = [
                {
                    "Name": g["Name"],
                    "State": g["State"],
                    "Description": g.get("Description", ""),
                    "CreationTime": g["CreationTime"],
                    "EngineVersion": dict(ENGINE_VERSION),
                }
                for g in groups
            ]
        return {"WorkGroups": summaries}

    @handler("UpdateWorkGroup")
    def update_work_group(
        self,
        WorkGroup: str,
        Description: str | None = None,
        ConfigurationUpdates: dict[str, Any] | None = None,
        State: str | None = None,
    ) -> dict[str, Any]:
        """Changes a workgroup's description, state or configuration."""
        with self.lock:
            group = self.workgroup(WorkGroup)
            if Description is not None:
                group["Description"] = Description
            if State is not None:
                group["State"] = State
            if ConfigurationUpdates:
                apply_updates(group, ConfigurationUpdates)
            self._save_state()
        return {}

    @handler("DeleteWorkGroup")
    def delete_work_group(self, WorkGroup: str, RecursiveDeleteOption: bool | None = None) -> dict[str, Any]:
        """Deletes a workgroup (with its queries only when RecursiveDeleteOption is set); never `primary`."""
        with self.lock:
            self.workgroup(WorkGroup)
            if WorkGroup == PRIMARY:
                raise InvalidRequestException("The primary workgroup cannot be deleted.")
            if not RecursiveDeleteOption and self._workgroup_has_queries(WorkGroup):
                raise InvalidRequestException(
                    f"WorkGroup {WorkGroup} is not empty (it has query executions or named queries); "
                    "pass RecursiveDeleteOption=True to delete it with its contents"
                )
            del self.workgroups[WorkGroup]
            self.tags.pop(self.workgroup_arn(WorkGroup), None)
            self._save_state()
        return {}

    # -- tags ------------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> dict[str, str]:
        name = arn.rsplit("/", 1)[-1]
        if ":workgroup/" not in arn or name not in self.workgroups:
            raise InvalidRequestException(
                f"Resource {arn} is not found; only workgroups are taggable locally"
            )
        return self.tags.setdefault(arn, {})

    @handler("TagResource")
    def tag_resource(self, ResourceARN: str, Tags: list[dict[str, str]]) -> dict[str, Any]:
        """Adds tags to a workgroup (the one taggable Athena resource locally)."""
        with self.lock:
            self._tagged(ResourceARN).update({t["Key"]: t.get("Value", "") for t in Tags})
            self._save_state()
        return {}

    @handler("UntagResource")
    def untag_resource(self, ResourceARN: str, TagKeys: list[str]) -> dict[str, Any]:
        """Removes tags from a workgroup."""
        with self.lock:
            tags = self._tagged(ResourceARN)
            for key in TagKeys:
                tags.pop(key, None)
            self._save_state()
        return {}

    @handler("ListTagsForResource", page_size=50)
    def list_tags_for_resource(self, ResourceARN: str) -> dict[str, Any]:
        """Returns the tags of a workgroup."""
        with self.lock:
            tags = dict(self._tagged(ResourceARN))
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
