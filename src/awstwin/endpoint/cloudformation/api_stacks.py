"""Stack operations: create, update, delete, describe, list, events, resources, exports and imports."""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.cloudformation.changes import plan
from awstwin.endpoint.cloudformation.deployments import prepare
from awstwin.endpoint.cloudformation.exceptions import AlreadyExists, ValidationError
from awstwin.endpoint.cloudformation.models import CloudFormationState, unsupported
from awstwin.endpoint.cloudformation.stacks import DELETED, SETTLED, Stack
from awstwin.endpoint.cloudformation.template import Template
from awstwin.endpoint.operations import handler

PAGE = 100


def not_updatable(stack: Stack) -> ValidationError:
    return ValidationError(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")


class StackApi:
    state: CloudFormationState

    @handler("CreateStack")
    def create_stack(
        self,
        StackName: str,
        TemplateBody: str | None = None,
        TemplateURL: str | None = None,
        Parameters: list[dict[str, Any]] | None = None,
        DisableRollback: bool | None = None,
        RollbackConfiguration: dict[str, Any] | None = None,
        TimeoutInMinutes: int | None = None,
        NotificationARNs: list[str] | None = None,
        Capabilities: list[str] | None = None,
        ResourceTypes: list[str] | None = None,
        RoleARN: str | None = None,
        OnFailure: str | None = None,
        StackPolicyBody: str | None = None,
        StackPolicyURL: str | None = None,
        Tags: list[dict[str, str]] | None = None,
        ClientRequestToken: str | None = None,
        EnableTerminationProtection: bool | None = None,
        RetainExceptOnCreate: bool | None = None,
        DeploymentConfig: dict[str, Any] | None = None,
        DisableValidation: bool | None = None,
    ) -> dict[str, Any]:
        """Creates the stack's resources through the endpoint's own APIs, in dependency order, on a worker; a
        failure rolls back what was made (ROLLBACK_COMPLETE), a type it cannot make fails the stack naming it.

        Answers when the stack has settled or after `AWSTWIN_CFN_WAIT_SECONDS`; TemplateURL is read from
        the endpoint's S3. Notifications, stack policies and rollback triggers are refused (501)."""
        unsupported(
            NotificationARNs=NotificationARNs,
            StackPolicyBody=StackPolicyBody,
            StackPolicyURL=StackPolicyURL,
            RollbackConfiguration=(RollbackConfiguration or {}).get("RollbackTriggers"),
        )
        state = self.state
        state.check_name(StackName)
        if DisableRollback is not None and OnFailure is not None:
            raise ValidationError("You cannot specify both DisableRollback and OnFailure.")
        template = state.template(TemplateBody, TemplateURL)
        with state.lock:
            existing = state.by_name(StackName)
            if existing is not None and existing.status != DELETED:
                raise AlreadyExists(f"Stack [{StackName}] already exists")
            stack = Stack(
                Stack.new_id(state.env.account, state.env.region, StackName), StackName, "CREATE_IN_PROGRESS"
            )
            deployment = prepare(
                stack, template, Parameters, Capabilities, Tags, state.env, state.lookups,
                resource_types=ResourceTypes, token=ClientRequestToken,
            )  # fmt: skip
            stack.disable_rollback = bool(DisableRollback) or OnFailure == "DO_NOTHING"
            stack.on_failure = OnFailure or ("DO_NOTHING" if DisableRollback else "ROLLBACK")
            stack.timeout_minutes = TimeoutInMinutes
            stack.termination_protection = bool(EnableTerminationProtection)
            stack.role_arn = RoleARN
            stack.retain_except_on_create = bool(RetainExceptOnCreate)
            state.stacks[stack.stack_id] = stack
        state.start(stack, lambda: state.runs.create(stack, deployment))
        return {"StackId": stack.stack_id}

    @handler("UpdateStack")
    def update_stack(
        self,
        StackName: str,
        TemplateBody: str | None = None,
        TemplateURL: str | None = None,
        UsePreviousTemplate: bool | None = None,
        StackPolicyDuringUpdateBody: str | None = None,
        StackPolicyDuringUpdateURL: str | None = None,
        Parameters: list[dict[str, Any]] | None = None,
        Capabilities: list[str] | None = None,
        ResourceTypes: list[str] | None = None,
        RoleARN: str | None = None,
        RollbackConfiguration: dict[str, Any] | None = None,
        StackPolicyBody: str | None = None,
        StackPolicyURL: str | None = None,
        NotificationARNs: list[str] | None = None,
        Tags: list[dict[str, str]] | None = None,
        DisableRollback: bool | None = None,
        ClientRequestToken: str | None = None,
        RetainExceptOnCreate: bool | None = None,
        DeploymentConfig: dict[str, Any] | None = None,
        DisableValidation: bool | None = None,
    ) -> dict[str, Any]:
        """Brings the stack to the new template: adds, updates in place or replaces, then deletes what was
        removed; a failure rolls back to the previous template (UPDATE_ROLLBACK_COMPLETE).

        `No updates are to be performed.` when nothing changes, as on AWS."""
        unsupported(
            NotificationARNs=NotificationARNs,
            StackPolicyBody=StackPolicyBody,
            StackPolicyURL=StackPolicyURL,
            StackPolicyDuringUpdateBody=StackPolicyDuringUpdateBody,
            StackPolicyDuringUpdateURL=StackPolicyDuringUpdateURL,
            RollbackConfiguration=(RollbackConfiguration or {}).get("RollbackTriggers"),
        )
        state = self.state
        stack = state.find(StackName)
        if UsePreviousTemplate:
            if TemplateBody or TemplateURL:
                raise ValidationError(
                    "You cannot specify both usePreviousTemplate and Template Body/Template URL"
                )
            template = Template.read(stack.template_body)
        else:
            template = state.template(TemplateBody, TemplateURL)
        with state.lock:
            if stack.status not in SETTLED:
                raise not_updatable(stack)
            tags = Tags if Tags is not None else stack.tags
            deployment = prepare(
                stack, template, Parameters, Capabilities, tags, state.env, state.lookups,
                previous=stack.values.given, resource_types=ResourceTypes, token=ClientRequestToken,
            )  # fmt: skip
            same = (
                template.document == Template.read(stack.template_body).document
                and deployment.values.given == stack.values.given
                and deployment.tags == stack.tags
            )
            if same and not plan(stack, template, deployment.values, state.provisioner, state.lookups):
                raise ValidationError("No updates are to be performed.")
            if DisableRollback is not None:
                stack.disable_rollback = DisableRollback
            if RoleARN is not None:
                stack.role_arn = RoleARN
            stack.status = "UPDATE_IN_PROGRESS"
        state.start(stack, lambda: state.runs.update(stack, deployment))
        return {"StackId": stack.stack_id}

    @handler("DeleteStack")
    def delete_stack(
        self,
        StackName: str,
        RetainResources: list[str] | None = None,
        RoleARN: str | None = None,
        ClientRequestToken: str | None = None,
        DeletionMode: str | None = None,
        DeploymentConfig: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Deletes the stack's resources through their APIs, dependents first; `DeletionPolicy: Retain` and
        RetainResources keep theirs (DELETE_SKIPPED). A stack that does not exist is no error, as on AWS."""
        unsupported(DeletionMode=DeletionMode if DeletionMode == "FORCE_DELETE_STACK" else None)
        state = self.state
        with state.lock:
            stack = state.by_name(StackName)
            if stack is None or stack.status == DELETED:
                return {}
            if stack.termination_protection:
                raise ValidationError(
                    f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
                )
            if RetainResources and stack.status != "DELETE_FAILED":
                raise ValidationError(
                    "Invalid operation on stack. RetainResources may only be specified when stack is in "
                    "DELETE_FAILED state."
                )
            if stack.status.endswith("_IN_PROGRESS") and stack.status not in ("REVIEW_IN_PROGRESS",):
                if stack.status == "DELETE_IN_PROGRESS":
                    return {}
                raise ValidationError(
                    f"Stack:{stack.stack_id} is in {stack.status} state and can not be deleted."
                )
            stack.status = "DELETE_IN_PROGRESS"
        retain = set(RetainResources or [])
        state.start(stack, lambda: state.runs.delete(stack, retain, ClientRequestToken))
        return {}

    @handler("DescribeStacks", page_size=PAGE)
    def describe_stacks(self, StackName: str | None = None) -> dict[str, Any]:
        """Stacks with status, reason, parameters (NoEcho shown as ****), outputs and exports; by name the
        live stack, by stack id also a deleted one."""
        if StackName:
            return {"Stacks": [self.state.find(StackName).wire()]}
        stacks = sorted(self.state.live_stacks(), key=lambda s: s.created, reverse=True)
        return {"Stacks": [stack.wire() for stack in stacks]}

    @handler("DescribeStackEvents", page_size=PAGE)
    def describe_stack_events(self, StackName: str | None = None) -> dict[str, Any]:
        """Every event of the stack, newest first: each resource's IN_PROGRESS / COMPLETE / FAILED with its
        reason (also what serves a type not created locally), and the stack's own."""
        stacks = [self.state.find(StackName)] if StackName else self.state.live_stacks()
        events = [event for stack in stacks for event in stack.events]
        return {"StackEvents": sorted(events, key=lambda e: e["Timestamp"], reverse=True)}

    @handler("DescribeStackResources")
    def describe_stack_resources(
        self,
        StackName: str | None = None,
        LogicalResourceId: str | None = None,
        PhysicalResourceId: str | None = None,
    ) -> dict[str, Any]:
        """The stack's resources with their physical ids and statuses (by stack, or by a physical id)."""
        if StackName:
            stack = self.state.find(StackName)
        elif PhysicalResourceId:
            stack = next(
                (
                    s
                    for s in self.state.live_stacks()
                    if any(r.physical_id == PhysicalResourceId for r in s.resources.values())
                ),
                None,
            )
            if stack is None:
                raise ValidationError(f"Stack for {PhysicalResourceId} does not exist")
        else:
            raise ValidationError("Either StackName or PhysicalResourceId must be specified.")
        records = [
            r
            for r in stack.resources.values()
            if (LogicalResourceId is None or r.logical_id == LogicalResourceId)
            and (PhysicalResourceId is None or r.physical_id == PhysicalResourceId)
        ]
        return {"StackResources": [record.wire(stack) for record in records]}

    @handler("DescribeStackResource")
    def describe_stack_resource(self, StackName: str, LogicalResourceId: str) -> dict[str, Any]:
        """One resource of the stack, with its template Metadata."""
        stack = self.state.find(StackName)
        record = stack.resources.get(LogicalResourceId)
        if record is None:
            raise ValidationError(f"Resource {LogicalResourceId} does not exist for stack {StackName}")
        return {"StackResourceDetail": record.detail(stack)}

    @handler("ListStacks", page_size=PAGE)
    def list_stacks(self, StackStatusFilter: list[str] | None = None) -> dict[str, Any]:
        """Every stack, deleted ones too (as AWS keeps them), filtered by status."""
        with self.state.lock:
            stacks = sorted(self.state.stacks.values(), key=lambda s: s.created, reverse=True)
        wanted = set(StackStatusFilter or [])
        return {"StackSummaries": [s.summary() for s in stacks if not wanted or s.status in wanted]}

    @handler("ListStackResources", page_size=PAGE)
    def list_stack_resources(self, StackName: str) -> dict[str, Any]:
        """The stack's resources in short."""
        stack = self.state.find(StackName)
        return {"StackResourceSummaries": [r.summary() for r in stack.resources.values()]}

    @handler("UpdateTerminationProtection")
    def update_termination_protection(
        self, EnableTerminationProtection: bool, StackName: str
    ) -> dict[str, Any]:
        """Turns deletion protection of the stack on or off (DeleteStack is refused while it is on)."""
        stack = self.state.find(StackName)
        with self.state.lock:
            stack.termination_protection = EnableTerminationProtection
        self.state.save()
        return {"StackId": stack.stack_id}

    @handler("ListExports", page_size=PAGE)
    def list_exports(self) -> dict[str, Any]:
        """Every output exported by a live stack (what Fn::ImportValue reads)."""
        return {
            "Exports": [
                {"ExportingStackId": stack.stack_id, "Name": name, "Value": value}
                for stack in self.state.live_stacks()
                for name, value in stack.exports.items()
            ]
        }

    @handler("ListImports", page_size=PAGE)
    def list_imports(self, ExportName: str) -> dict[str, Any]:
        """The stacks that import an export (a stack whose export is imported cannot delete it)."""
        users = self.state.importers(ExportName)
        if not users:
            raise ValidationError(f"Export '{ExportName}' is not imported by any stack.")
        return {"Imports": users}
