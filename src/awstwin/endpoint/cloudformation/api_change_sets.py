"""Change sets: what a deployment would change, reviewed, then executed (the path `aws cloudformation
deploy`, the CDK and SAM take) (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets.html)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from awstwin.endpoint.cloudformation.api_stacks import PAGE, not_updatable
from awstwin.endpoint.cloudformation.changes import NO_CHANGES, plan
from awstwin.endpoint.cloudformation.deployments import prepare
from awstwin.endpoint.cloudformation.exceptions import (
    AlreadyExists,
    ChangeSetNotFound,
    InvalidChangeSetStatus,
    ValidationError,
)
from awstwin.endpoint.cloudformation.models import CloudFormationState, unsupported
from awstwin.endpoint.cloudformation.parameters import ParameterValues
from awstwin.endpoint.cloudformation.runs import Deployment
from awstwin.endpoint.cloudformation.stacks import DELETED, SETTLED, ChangeSet, Stack, parameters_dict
from awstwin.endpoint.cloudformation.template import Template
from awstwin.endpoint.operations import handler

CHANGE_SET_NAME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")


class ChangeSetApi:
    state: CloudFormationState

    def _find(self, name: str, stack_name: str | None) -> tuple[Stack, ChangeSet]:
        """A change set by ARN, or by name within a stack."""
        if name.startswith("arn:"):
            with self.state.lock:
                for stack in self.state.stacks.values():
                    if name in stack.change_sets:
                        return stack, stack.change_sets[name]
            raise ChangeSetNotFound(name)
        if not stack_name:
            raise ValidationError("StackName must be specified if ChangeSetName is not specified as an ARN.")
        stack = self.state.by_name(stack_name)
        found = (
            None if stack is None else next((c for c in stack.change_sets.values() if c.name == name), None)
        )
        if stack is None or found is None:
            raise ChangeSetNotFound(name)
        return stack, found

    @handler("CreateChangeSet")
    def create_change_set(
        self,
        StackName: str,
        ChangeSetName: str,
        TemplateBody: str | None = None,
        TemplateURL: str | None = None,
        UsePreviousTemplate: bool | None = None,
        Parameters: list[dict[str, Any]] | None = None,
        Capabilities: list[str] | None = None,
        ResourceTypes: list[str] | None = None,
        RoleARN: str | None = None,
        RollbackConfiguration: dict[str, Any] | None = None,
        NotificationARNs: list[str] | None = None,
        Tags: list[dict[str, str]] | None = None,
        ClientToken: str | None = None,
        Description: str | None = None,
        ChangeSetType: str | None = None,
        ResourcesToImport: list[dict[str, Any]] | None = None,
        IncludeNestedStacks: bool | None = None,
        OnStackFailure: str | None = None,
        ImportExistingResources: bool | None = None,
        DeploymentMode: str | None = None,
        DeploymentConfig: dict[str, Any] | None = None,
        DisableValidation: bool | None = None,
    ) -> dict[str, Any]:
        """Works out what the template would add, modify (in place or by replacement) or remove, and with
        ImportExistingResources which custom-named resources it would take as they are; a new stack waits
        in REVIEW_IN_PROGRESS. A template that changes nothing gives a FAILED change set saying
        so, as on AWS (`aws cloudformation deploy` prints "No changes to deploy")."""
        unsupported(
            NotificationARNs=NotificationARNs,
            ResourcesToImport=ResourcesToImport,
            IncludeNestedStacks=IncludeNestedStacks,
            DeploymentMode=DeploymentMode,
            RollbackConfiguration=(RollbackConfiguration or {}).get("RollbackTriggers"),
        )
        state = self.state
        kind = ChangeSetType or "UPDATE"
        if kind == "IMPORT":
            unsupported(ChangeSetType=kind)
        if not CHANGE_SET_NAME.match(ChangeSetName):
            raise ValidationError(
                f"1 validation error detected: Value '{ChangeSetName}' at 'changeSetName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )
        with state.lock:
            existing = state.by_name(StackName)
            if kind == "CREATE":
                state.check_name(StackName)
                if existing is not None and existing.status not in ("REVIEW_IN_PROGRESS", DELETED):
                    raise AlreadyExists(
                        f"Stack [{StackName}] already exists and cannot be created again with the changeSet "
                        f"[{ChangeSetName}]."
                    )
                stack = existing if existing is not None and existing.status != DELETED else None
            else:
                if existing is None or existing.status in (DELETED, "REVIEW_IN_PROGRESS"):
                    raise ValidationError(f"Stack [{StackName}] does not exist")
                if existing.status not in SETTLED:
                    raise not_updatable(existing)
                stack = existing
            if stack is not None and any(c.name == ChangeSetName for c in stack.change_sets.values()):
                raise AlreadyExists(f"ChangeSet [{ChangeSetName}] already exists")
            if UsePreviousTemplate:
                if stack is None or not stack.template_body:
                    raise ValidationError("UsePreviousTemplate needs a stack with a template")
                template = Template.read(stack.template_body)
            else:
                template = state.template(TemplateBody, TemplateURL)
            new_stack = stack is None
            if stack is None:
                stack = Stack(
                    Stack.new_id(state.env.account, state.env.region, StackName),
                    StackName,
                    "REVIEW_IN_PROGRESS",
                )
            tags = Tags if Tags is not None or kind == "CREATE" else stack.tags
            deployment = prepare(
                stack, template, Parameters, Capabilities, tags, state.env, state.lookups,
                previous=stack.values.given if kind == "UPDATE" else None, resource_types=ResourceTypes,
            )  # fmt: skip
            importing = bool(ImportExistingResources)
            changes = plan(stack, template, deployment.values, state.provisioner, state.lookups, importing)
            change_set = ChangeSet(
                change_set_id=f"arn:aws:cloudformation:{state.env.region}:{state.env.account}:changeSet/{ChangeSetName}/{uuid.uuid4()}",
                name=ChangeSetName,
                stack_id=stack.stack_id,
                kind=kind,
                template_body=template.body,
                parameters=parameters_dict(deployment.values),
                capabilities=deployment.capabilities,
                tags=deployment.tags,
                description=Description,
                changes=changes,
                import_existing=importing,
            )
            unchanged = (
                kind == "UPDATE"
                and not changes
                and template.document == Template.read(stack.template_body).document
                and deployment.values.given == stack.values.given
                and deployment.tags == stack.tags
            )
            if unchanged:
                change_set.status, change_set.status_reason = "FAILED", NO_CHANGES
                change_set.execution_status = "UNAVAILABLE"
            if new_stack:
                stack.set_status("REVIEW_IN_PROGRESS", "User Initiated")
                state.stacks[stack.stack_id] = stack
            if OnStackFailure is not None:
                stack.on_failure = OnStackFailure
                stack.disable_rollback = OnStackFailure == "DO_NOTHING"
            if RoleARN is not None:
                stack.role_arn = RoleARN
            stack.change_sets[change_set.change_set_id] = change_set
        state.save()
        return {"Id": change_set.change_set_id, "StackId": stack.stack_id}

    @handler("DescribeChangeSet", page_size=PAGE)
    def describe_change_set(
        self, ChangeSetName: str, StackName: str | None = None, IncludePropertyValues: bool | None = None
    ) -> dict[str, Any]:
        """The change set: its status (CREATE_COMPLETE, or FAILED with the reason), execution status and
        each resource change."""
        stack, change_set = self._find(ChangeSetName, StackName)
        return change_set.wire(stack)

    @handler("ExecuteChangeSet")
    def execute_change_set(
        self,
        ChangeSetName: str,
        StackName: str | None = None,
        ClientRequestToken: str | None = None,
        DisableRollback: bool | None = None,
        RetainExceptOnCreate: bool | None = None,
    ) -> dict[str, Any]:
        """Runs the change set as a stack create or update (the stack's other change sets are deleted)."""
        state = self.state
        with state.lock:
            stack, change_set = self._find(ChangeSetName, StackName)
            if change_set.execution_status != "AVAILABLE":
                raise InvalidChangeSetStatus(
                    f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of "
                    f"[{change_set.status}]"
                )
            if change_set.kind == "UPDATE" and stack.status not in SETTLED:
                raise not_updatable(stack)
            deployment = Deployment(
                Template.read(change_set.template_body),
                ParameterValues(
                    **{**change_set.parameters, "no_echo": set(change_set.parameters["no_echo"])}
                ),
                change_set.capabilities,
                change_set.tags,
                ClientRequestToken,
                import_existing=change_set.import_existing,
            )
            change_set.execution_status = "EXECUTE_IN_PROGRESS"
            stack.change_sets = {change_set.change_set_id: change_set}
            stack.last_change_set = change_set.change_set_id
            if DisableRollback is not None:
                stack.disable_rollback = DisableRollback
                stack.on_failure = "DO_NOTHING" if DisableRollback else "ROLLBACK"
            if RetainExceptOnCreate is not None:
                stack.retain_except_on_create = RetainExceptOnCreate
            stack.status = "CREATE_IN_PROGRESS" if change_set.kind == "CREATE" else "UPDATE_IN_PROGRESS"

        def run() -> None:
            if change_set.kind == "CREATE":
                state.runs.create(stack, deployment)
            else:
                state.runs.update(stack, deployment)
            ok = stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
            change_set.execution_status = "EXECUTE_COMPLETE" if ok else "EXECUTE_FAILED"
            state.save()

        state.start(stack, run)
        return {}

    @handler("DeleteChangeSet")
    def delete_change_set(self, ChangeSetName: str, StackName: str | None = None) -> dict[str, Any]:
        """Drops a change set that is not running."""
        with self.state.lock:
            stack, change_set = self._find(ChangeSetName, StackName)
            if change_set.execution_status == "EXECUTE_IN_PROGRESS":
                raise InvalidChangeSetStatus(
                    f"Cannot delete ChangeSet {change_set.change_set_id} "
                    f"while it is {change_set.execution_status}"
                )
            del stack.change_sets[change_set.change_set_id]
        self.state.save()
        return {}

    @handler("ListChangeSets", page_size=PAGE)
    def list_change_sets(self, StackName: str) -> dict[str, Any]:
        """The stack's change sets in short."""
        stack = self.state.find(StackName)
        return {"Summaries": [c.summary(stack) for c in stack.change_sets.values()]}
