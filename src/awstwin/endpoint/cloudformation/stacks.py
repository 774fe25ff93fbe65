"""A stack's record: status, template, parameters, resources, events, outputs and change sets, with the
wire shapes DescribeStacks, DescribeStackResources, DescribeStackEvents and ListStacks answer, and
their persistence (one JSON file for all stacks under `STATE_DIR/cloudformation/`)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from awstwin.endpoint.cloudformation.parameters import ParameterValues

STACK_TYPE = "AWS::CloudFormation::Stack"
DELETED = "DELETE_COMPLETE"
# A stack in one of these states is settled: it can be updated or deleted.
SETTLED = (
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
)


@dataclass
class ResourceRecord:
    logical_id: str
    type: str
    status: str
    physical_id: str | None = None
    reason: str | None = None
    props: dict[str, Any] = field(default_factory=dict)  # the properties applied (resolved)
    attributes: dict[str, Any] = field(default_factory=dict)  # what Fn::GetAtt reads
    updated: float = field(default_factory=time.time)
    metadata: Any = None
    imported: bool = False  # taken into the stack as it was (ImportExistingResources), not made by it

    def summary(self) -> dict[str, Any]:
        return {
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id,
            "ResourceType": self.type,
            "LastUpdatedTimestamp": self.updated,
            "ResourceStatus": self.status,
            "ResourceStatusReason": self.reason,
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }

    def wire(self, stack: Stack) -> dict[str, Any]:
        return {
            "StackName": stack.name,
            "StackId": stack.stack_id,
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id,
            "ResourceType": self.type,
            "Timestamp": self.updated,
            "ResourceStatus": self.status,
            "ResourceStatusReason": self.reason,
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }

    def detail(self, stack: Stack) -> dict[str, Any]:
        wire = self.wire(stack)
        wire["LastUpdatedTimestamp"] = wire.pop("Timestamp")
        wire["Metadata"] = json.dumps(self.metadata) if self.metadata is not None else None
        return wire


@dataclass
class ChangeSet:
    change_set_id: str
    name: str
    stack_id: str
    kind: str  # CREATE | UPDATE
    template_body: str
    parameters: dict[str, Any]  # ParameterValues as a dict
    capabilities: list[str]
    tags: list[dict[str, str]]
    description: str | None
    changes: list[dict[str, Any]]
    import_existing: bool = False
    status: str = "CREATE_COMPLETE"
    status_reason: str | None = None
    execution_status: str = "AVAILABLE"
    created: float = field(default_factory=time.time)

    def summary(self, stack: Stack) -> dict[str, Any]:
        return {
            "StackId": stack.stack_id,
            "StackName": stack.name,
            "ChangeSetId": self.change_set_id,
            "ChangeSetName": self.name,
            "ExecutionStatus": self.execution_status,
            "Status": self.status,
            "StatusReason": self.status_reason,
            "CreationTime": self.created,
            "Description": self.description,
            "IncludeNestedStacks": False,
            "ImportExistingResources": self.import_existing,
        }

    def wire(self, stack: Stack) -> dict[str, Any]:
        return {
            **self.summary(stack),
            "Parameters": ParameterValues(**_parameter_fields(self.parameters)).wire(),
            "Capabilities": self.capabilities,
            "Tags": self.tags,
            "Changes": self.changes,
            "NotificationARNs": [],
            "RollbackConfiguration": {},
        }


def _parameter_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "no_echo": set(data.get("no_echo") or [])}


@dataclass
class Stack:
    stack_id: str
    name: str
    status: str
    template_body: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)  # ParameterValues as a dict
    description: str | None = None
    reason: str | None = None
    created: float = field(default_factory=time.time)
    updated: float | None = None
    deleted: float | None = None
    capabilities: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    disable_rollback: bool = False
    on_failure: str = "ROLLBACK"
    timeout_minutes: int | None = None
    termination_protection: bool = False
    retain_except_on_create: bool = False  # a create's rollback deletes even what DeletionPolicy retains
    role_arn: str | None = None
    resources: dict[str, ResourceRecord] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    change_sets: dict[str, ChangeSet] = field(default_factory=dict)
    last_change_set: str | None = None
    imports: list[str] = field(default_factory=list)  # export names this stack's template imports

    @staticmethod
    def new_id(account: str, region: str, name: str) -> str:
        return f"arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid.uuid4()}"

    @property
    def values(self) -> ParameterValues:
        return ParameterValues(**_parameter_fields(self.parameters)) if self.parameters else ParameterValues()

    @property
    def exports(self) -> dict[str, str]:
        return {o["ExportName"]: o["OutputValue"] for o in self.outputs if o.get("ExportName")}

    def event(
        self,
        status: str,
        reason: str | None = None,
        logical_id: str | None = None,
        resource_type: str | None = None,
        physical_id: str | None = None,
        properties: Any = None,
        token: str | None = None,
    ) -> None:
        self.events.append(
            {
                "StackId": self.stack_id,
                "EventId": str(uuid.uuid4()),
                "StackName": self.name,
                "LogicalResourceId": logical_id or self.name,
                "PhysicalResourceId": physical_id if logical_id else self.stack_id,
                "ResourceType": resource_type or STACK_TYPE,
                "Timestamp": time.time(),
                "ResourceStatus": status,
                "ResourceStatusReason": reason,
                "ResourceProperties": json.dumps(properties) if properties is not None else None,
                "ClientRequestToken": token,
            }
        )

    def set_status(self, status: str, reason: str | None = None, token: str | None = None) -> None:
        self.status, self.reason = status, reason
        self.event(status, reason, token=token)

    def resource_status(
        self, record: ResourceRecord, status: str, reason: str | None = None, properties: Any = None
    ) -> None:
        record.status, record.reason, record.updated = status, reason, time.time()
        self.event(status, reason, record.logical_id, record.type, record.physical_id, properties)

    def wire(self) -> dict[str, Any]:
        return {
            "StackId": self.stack_id,
            "StackName": self.name,
            "ChangeSetId": self.last_change_set,
            "Description": self.description,
            "Parameters": self.values.wire(),
            "CreationTime": self.created,
            "DeletionTime": self.deleted,
            "LastUpdatedTime": self.updated,
            "RollbackConfiguration": {},
            "StackStatus": self.status,
            "StackStatusReason": self.reason,
            "DisableRollback": self.disable_rollback,
            "NotificationARNs": [],
            "TimeoutInMinutes": self.timeout_minutes,
            "Capabilities": self.capabilities,
            "Outputs": self.outputs or None,
            "RoleARN": self.role_arn,
            "Tags": self.tags,
            "EnableTerminationProtection": self.termination_protection,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }

    def summary(self) -> dict[str, Any]:
        return {
            "StackId": self.stack_id,
            "StackName": self.name,
            "TemplateDescription": self.description,
            "CreationTime": self.created,
            "LastUpdatedTime": self.updated,
            "DeletionTime": self.deleted,
            "StackStatus": self.status,
            "StackStatusReason": self.reason,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }

    # -- persistence ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["parameters"] = {**self.parameters, "no_echo": sorted(self.parameters.get("no_echo") or [])}
        for change_set in data["change_sets"].values():
            change_set["parameters"] = {
                **change_set["parameters"],
                "no_echo": sorted(change_set["parameters"].get("no_echo") or []),
            }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stack:
        data = dict(data)
        data["resources"] = {k: ResourceRecord(**v) for k, v in data.get("resources", {}).items()}
        data["change_sets"] = {k: ChangeSet(**v) for k, v in data.get("change_sets", {}).items()}
        return cls(**data)


def parameters_dict(values: ParameterValues) -> dict[str, Any]:
    return {
        "given": dict(values.given),
        "resolved": dict(values.resolved),
        "typed": dict(values.typed),
        "no_echo": sorted(values.no_echo),
    }
