"""Creating, updating and deleting a stack resource by resource, with the events, rollbacks and states
CloudFormation goes through
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).

Resources are made in dependency order, one at a time. A resource that fails stops the run: a create
rolls back (everything it made is deleted, `ROLLBACK_COMPLETE`) unless rollback is disabled; an
update rolls back to the previous template (new resources deleted, changed ones changed back,
`UPDATE_ROLLBACK_COMPLETE`). Removed and replaced resources are deleted in the cleanup phase.
`DeletionPolicy` / `UpdateReplacePolicy: Retain` keep a resource (`DELETE_SKIPPED`). A type the local
stacks serve by other means (`NOT_LOCAL`) is "created" with an event saying what serves it.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from awstwin.endpoint.cloudformation.intrinsics import Lookups, Resolver
from awstwin.endpoint.cloudformation.parameters import ParameterValues
from awstwin.endpoint.cloudformation.provisioner import Provisioner, ResourceFailed, local_properties
from awstwin.endpoint.cloudformation.resolving import (
    active,
    made_by_a_stand_in,
    not_local_reason,
    outputs,
    stack_resolver,
    stand_in,
)
from awstwin.endpoint.cloudformation.resources import NOT_LOCAL
from awstwin.endpoint.cloudformation.stacks import ResourceRecord, Stack, parameters_dict
from awstwin.endpoint.cloudformation.template import Template
from awstwin.endpoint.errors import AwsError

log = logging.getLogger(__name__)
REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."


class _StackFailed(Exception):
    """The run cannot go on for a reason of the stack's own (outputs, exports, timeout)."""


@dataclass
class Deployment:
    """What a create or an update applies."""

    template: Template
    values: ParameterValues
    capabilities: list[str]
    tags: list[dict[str, str]]
    token: str | None = None
    import_existing: bool = False  # adopt custom-named resources that exist (ImportExistingResources)


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, AwsError) else str(exc)


def _policy(template: Template | None, logical_id: str, key: str) -> str:
    if template is None or logical_id not in template.resources:
        return "Delete"
    return str(template.resources[logical_id].get(key) or "Delete")


class StackRuns:
    """Runs stack operations on `provisioner`; `save()` persists after each step. `export_owner(name,
    stack_id)` names another stack exporting `name`; `importers(name)` the stacks importing it."""

    def __init__(
        self,
        provisioner: Provisioner,
        lookups: Lookups,
        save: Callable[[], None],
        export_owner: Callable[[str, str], str | None],
        importers: Callable[[str], list[str]],
    ):
        self.provisioner = provisioner
        self.lookups = lookups
        self.save = save
        self.export_owner = export_owner
        self.importers = importers

    # -- create --------------------------------------------------------------------------------------
    def create(self, stack: Stack, deployment: Deployment) -> None:
        template = deployment.template
        stack.template_body = template.body
        stack.description = template.description
        stack.parameters = parameters_dict(deployment.values)
        stack.capabilities, stack.tags = list(deployment.capabilities), list(deployment.tags)
        stack.set_status("CREATE_IN_PROGRESS", "User Initiated", deployment.token)
        self.save()
        started = time.monotonic()
        made: list[str] = []
        failure: str | None = None
        try:
            resolver = stack_resolver(stack, template, deployment.values, self.provisioner.env, self.lookups)
            for logical_id in active(template, resolver):
                self._check_timeout(stack, started, "creation")
                made.append(logical_id)
                if not self._create_resource(
                    stack, template, resolver, logical_id, deployment.import_existing
                ):
                    failed = [lid for lid in made if stack.resources[lid].status.endswith("_FAILED")]
                    failure = f"The following resource(s) failed to create: [{', '.join(failed)}]. "
                    break
            if failure is None:
                stack.outputs = self._outputs(stack, template, resolver)
                stack.imports = sorted(resolver.imports)
        except (_StackFailed, AwsError) as exc:
            failure = _reason(exc)
        if failure is None:
            stack.set_status("CREATE_COMPLETE", token=deployment.token)
        else:
            self._roll_back_create(stack, template, made, failure, deployment.token)
        self.save()

    def _check_timeout(self, stack: Stack, started: float, what: str) -> None:
        if stack.timeout_minutes and time.monotonic() - started > stack.timeout_minutes * 60:
            raise _StackFailed(f"Stack {what} time exceeded the specified timeout")

    def _create_resource(
        self,
        stack: Stack,
        template: Template,
        resolver: Resolver,
        logical_id: str,
        import_existing: bool = False,
    ) -> bool:
        resource = template.resources[logical_id]
        type_name = str(resource["Type"])
        raw = resource.get("Properties") or {}
        record = ResourceRecord(
            logical_id, type_name, "CREATE_IN_PROGRESS", metadata=resource.get("Metadata")
        )
        stack.resources[logical_id] = record
        stack.resource_status(record, "CREATE_IN_PROGRESS", properties=raw)
        self.save()
        try:
            if type_name in NOT_LOCAL:
                record.physical_id = stand_in(resolver, logical_id, resource, NOT_LOCAL[type_name])
                record.props = dict(raw)
                stack.resource_status(record, "CREATE_COMPLETE", not_local_reason(type_name))
                return True
            kept, notes = local_properties(type_name, raw)
            props = resolver.resolve(kept, f"Resources.{logical_id}.Properties")
            adopted = self.provisioner.adopt(type_name, logical_id, props) if import_existing else None
            if adopted is not None:
                record.imported = True
                stack.resource_status(record, "IMPORT_IN_PROGRESS", properties=raw)
            applied = adopted or self.provisioner.create(
                type_name, logical_id, props, stack.name, absent=import_existing
            )
        except (ResourceFailed, AwsError) as exc:
            stack.resource_status(
                record, "IMPORT_FAILED" if record.imported else "CREATE_FAILED", _reason(exc)
            )
            return False
        except Exception as exc:  # a bug of ours: say so on the resource, never leave it in progress
            log.exception("%s: creating %s failed", stack.name, logical_id)
            stack.resource_status(record, "CREATE_FAILED", f"Internal failure: {type(exc).__name__}: {exc}")
            return False
        record.physical_id, record.props, record.attributes = (
            applied.physical_id,
            applied.props,
            applied.attributes,
        )
        resolver.refs[logical_id] = applied.physical_id
        resolver.attributes[logical_id] = dict(applied.attributes)
        done = "IMPORT_COMPLETE" if record.imported else "CREATE_COMPLETE"
        stack.resource_status(record, done, "; ".join(notes) or None)
        return True

    def _roll_back_create(
        self, stack: Stack, template: Template, made: list[str], failure: str, token: str | None
    ) -> None:
        if stack.disable_rollback or stack.on_failure == "DO_NOTHING":
            stack.set_status("CREATE_FAILED", failure, token)
            return
        stack.set_status("ROLLBACK_IN_PROGRESS", failure + "Rollback requested by user.", token)
        self.save()
        failed = self._delete_resources(stack, template, reversed(made), retain=set(), rollback=True)
        if failed:
            stack.set_status(
                "ROLLBACK_FAILED", f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            )
            return
        stack.set_status("ROLLBACK_COMPLETE", token=token)
        if stack.on_failure == "DELETE":
            stack.set_status("DELETE_IN_PROGRESS", token=token)
            stack.deleted = time.time()
            stack.set_status("DELETE_COMPLETE", token=token)

    # -- outputs and exports ---------------------------------------------------------------------------
    def _outputs(self, stack: Stack, template: Template, resolver: Resolver) -> list[dict]:
        found = outputs(template, resolver)
        new_exports = {o["ExportName"]: o["OutputValue"] for o in found if o.get("ExportName")}
        for name in new_exports:
            owner = self.export_owner(name, stack.stack_id)
            if owner is not None:
                raise _StackFailed(f"Export with name {name} is already exported by stack {owner}")
        for name, value in stack.exports.items():
            users = self.importers(name)
            if users and name not in new_exports:
                raise _StackFailed(f"Export {name} cannot be deleted as it is in use by {', '.join(users)}")
            if users and new_exports[name] != value:
                raise _StackFailed(f"Cannot update export {name} as it is in use by {', '.join(users)}")
        return found

    # -- update --------------------------------------------------------------------------------------
    def update(self, stack: Stack, deployment: Deployment) -> None:
        template = deployment.template
        previous = Template.read(stack.template_body)
        before = {lid: copy.deepcopy(record) for lid, record in stack.resources.items()}
        stack.set_status("UPDATE_IN_PROGRESS", "User Initiated", deployment.token)
        stack.updated = time.time()
        self.save()
        started = time.monotonic()
        done: list[tuple[str, str]] = []  # (logical id, "Add" | "Modify" | "Replace"), for the rollback
        replaced: list[ResourceRecord] = []  # the old copies, deleted in the cleanup
        failure: str | None = None
        order: list[str] = []
        new_outputs: list[dict] = []
        try:
            resolver = stack_resolver(stack, template, deployment.values, self.provisioner.env, self.lookups)
            order = active(template, resolver)
            for logical_id in order:
                self._check_timeout(stack, started, "update")
                action = self._update_resource(
                    stack, template, resolver, logical_id, replaced, deployment.import_existing
                )
                if action is None:
                    continue
                done.append((logical_id, action))
                record = stack.resources[logical_id]
                if record.status.endswith("_FAILED"):
                    verb = "create" if action == "Add" else "update"
                    failure = f"The following resource(s) failed to {verb}: [{logical_id}]. "
                    break
            if failure is None:
                new_outputs = self._outputs(stack, template, resolver)
        except (_StackFailed, AwsError) as exc:
            failure = _reason(exc)
        if failure is not None:
            self._roll_back_update(stack, previous, before, done, replaced, failure, deployment.token)
            self.save()
            return
        removed = [
            lid for lid in reversed(previous.creation_order) if lid in stack.resources and lid not in order
        ]
        stack.template_body, stack.description = template.body, template.description
        stack.parameters = parameters_dict(deployment.values)
        stack.capabilities, stack.tags = list(deployment.capabilities), list(deployment.tags)
        stack.outputs, stack.imports = new_outputs, sorted(resolver.imports)
        stack.set_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", token=deployment.token)
        self.save()
        for old in replaced:
            self._delete_one(stack, old, _policy(previous, old.logical_id, "UpdateReplacePolicy") == "Retain")
        self._delete_resources(stack, previous, removed, retain=set(), rollback=False)
        for logical_id in removed:
            stack.resources.pop(logical_id, None)
        stack.set_status("UPDATE_COMPLETE", token=deployment.token)
        self.save()

    def _update_resource(
        self,
        stack: Stack,
        template: Template,
        resolver: Resolver,
        logical_id: str,
        replaced: list[ResourceRecord],
        import_existing: bool = False,
    ) -> str | None:
        """Bring one resource to the new template: "Add", "Modify", "Replace", or None (unchanged)."""
        resource = template.resources[logical_id]
        type_name = str(resource["Type"])
        raw = resource.get("Properties") or {}
        record = stack.resources.get(logical_id)
        if record is None or record.status.startswith("DELETE") or made_by_a_stand_in(record):
            self._create_resource(stack, template, resolver, logical_id, import_existing)
            return "Add"
        if type_name in NOT_LOCAL and record.type == type_name:
            stand_in(resolver, logical_id, resource, NOT_LOCAL[type_name])
            if record.props == dict(raw):
                return None
            stack.resource_status(record, "UPDATE_IN_PROGRESS", properties=raw)
            record.props = dict(raw)
            stack.resource_status(record, "UPDATE_COMPLETE", not_local_reason(type_name))
            return "Modify"
        try:
            kept, notes = local_properties(type_name, raw)
            props = resolver.resolve(kept, f"Resources.{logical_id}.Properties")
            comparable = (
                self.provisioner.prepare(type_name, logical_id, props) if type_name == record.type else {}
            )
            kind = self.provisioner.kind(type_name)
            if kind.naming is not None and kind.name(comparable) is None and type_name == record.type:
                old_name = kind.name(record.props)
                comparable = copy.deepcopy(comparable)
                node = comparable
                *parents, last = kind.naming.path.split(".")
                for key in parents:
                    node = node.setdefault(key, {})
                node[last] = old_name
            if type_name == record.type and comparable == record.props:
                return None
            replace = type_name != record.type or self.provisioner.replaces(
                type_name, record.props, comparable
            )
            stack.resource_status(
                record, "UPDATE_IN_PROGRESS", REPLACING if replace else None, properties=raw
            )
            self.save()
            if replace:
                name = kind.name(props) if kind.naming else None
                if name is not None and name == kind.name(record.props) and type_name == record.type:
                    raise ResourceFailed(
                        "CloudFormation cannot update a stack when a custom-named resource requires "
                        f"replacing. Rename {name} and update the stack again."
                    )
                old = copy.deepcopy(record)
                applied = self.provisioner.create(type_name, logical_id, props, stack.name)
                replaced.append(old)
                record.type = type_name
                action = "Replace"
            else:
                applied = self.provisioner.update(
                    type_name, logical_id, str(record.physical_id), props, record.props
                )
                action = "Modify"
        except (ResourceFailed, AwsError) as exc:
            stack.resource_status(record, "UPDATE_FAILED", _reason(exc))
            return "Modify"
        except Exception as exc:  # a bug of ours: say so on the resource
            log.exception("%s: updating %s failed", stack.name, logical_id)
            stack.resource_status(record, "UPDATE_FAILED", f"Internal failure: {type(exc).__name__}: {exc}")
            return "Modify"
        record.physical_id, record.props, record.attributes = (
            applied.physical_id,
            applied.props,
            applied.attributes,
        )
        resolver.refs[logical_id] = applied.physical_id
        resolver.attributes[logical_id] = dict(applied.attributes)
        stack.resource_status(record, "UPDATE_COMPLETE", "; ".join(notes) or None)
        return action

    def _roll_back_update(
        self,
        stack: Stack,
        previous: Template,
        before: dict[str, ResourceRecord],
        done: list[tuple[str, str]],
        replaced: list[ResourceRecord],
        failure: str,
        token: str | None,
    ) -> None:
        stack.set_status("UPDATE_ROLLBACK_IN_PROGRESS", failure, token)
        self.save()
        problems = []
        new_copies: list[ResourceRecord] = []
        for logical_id, action in reversed(done):
            record = stack.resources[logical_id]
            old = before.get(logical_id)
            if action == "Add":
                if self._delete_one(stack, record, retain=False, rollback=True):
                    stack.resources.pop(logical_id, None)
                else:
                    problems.append(logical_id)
                continue
            if action == "Replace" and old is not None and record.physical_id != old.physical_id:
                new_copies.append(copy.deepcopy(record))
                stack.resources[logical_id] = old
                stack.resource_status(old, "UPDATE_COMPLETE")
                continue
            if old is None:
                continue
            stack.resource_status(record, "UPDATE_IN_PROGRESS")
            try:  # also after a failed update: what it changed before failing is changed back
                if old.type not in NOT_LOCAL:
                    self.provisioner.update(
                        old.type, logical_id, str(old.physical_id), old.props, record.props
                    )
            except ResourceFailed as exc:
                stack.resource_status(record, "UPDATE_FAILED", _reason(exc))
                problems.append(logical_id)
                continue
            stack.resources[logical_id] = old
            stack.resource_status(old, "UPDATE_COMPLETE")
        if problems:
            stack.set_status(
                "UPDATE_ROLLBACK_FAILED",
                f"The following resource(s) failed to update: [{', '.join(problems)}]. ",
            )
            return
        stack.set_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", token=token)
        for record in new_copies:
            self._delete_one(stack, record, retain=False)
        stack.set_status("UPDATE_ROLLBACK_COMPLETE", token=token)

    # -- delete --------------------------------------------------------------------------------------
    def delete(self, stack: Stack, retain: set[str], token: str | None = None) -> None:
        stack.set_status("DELETE_IN_PROGRESS", "User Initiated", token)
        self.save()
        for name in stack.exports:
            users = self.importers(name)
            if users:
                stack.set_status(
                    "DELETE_FAILED",
                    f"Export {name} cannot be deleted as it is in use by {', '.join(users)}",
                    token,
                )
                self.save()
                return
        template = Template.read(stack.template_body) if stack.template_body else None
        order = list(reversed(template.creation_order)) if template else []
        order += [lid for lid in stack.resources if lid not in order]
        failed = self._delete_resources(stack, template, order, retain, rollback=False)
        if failed:
            stack.set_status(
                "DELETE_FAILED", f"The following resource(s) failed to delete: [{', '.join(failed)}]. ", token
            )
        else:
            stack.deleted = time.time()
            stack.set_status("DELETE_COMPLETE", token=token)
        self.save()

    def _delete_resources(
        self, stack: Stack, template: Template | None, order: Iterable[str], retain: set[str], rollback: bool
    ) -> list[str]:
        failed = []
        for logical_id in order:
            record = stack.resources.get(logical_id)
            if record is None or record.status in ("DELETE_COMPLETE", "DELETE_SKIPPED"):
                continue
            policy = _policy(template, logical_id, "DeletionPolicy")
            keep = logical_id in retain or policy == "Retain"
            if rollback and (policy == "RetainExceptOnCreate" or stack.retain_except_on_create):
                keep = False
            elif policy == "RetainExceptOnCreate":
                keep = True
            if not self._delete_one(stack, record, keep, rollback):
                failed.append(logical_id)
        return failed

    def _delete_one(self, stack: Stack, record: ResourceRecord, retain: bool, rollback: bool = False) -> bool:
        if retain:
            stack.resource_status(record, "DELETE_SKIPPED")
            return True
        if record.imported and rollback:  # it was there before the stack: a rollback leaves it
            stack.resource_status(record, "DELETE_SKIPPED", "Imported into the stack: a rollback keeps it")
            return True
        stack.resource_status(record, "DELETE_IN_PROGRESS")
        self.save()
        if (
            record.physical_id is not None and record.type not in NOT_LOCAL
        ):  # made (a failed create has no id)
            try:
                self.provisioner.delete(record.type, record.logical_id, record.physical_id, record.props)
            except ResourceFailed as exc:
                stack.resource_status(record, "DELETE_FAILED", _reason(exc))
                return False
        stack.resource_status(record, "DELETE_COMPLETE")
        return True
