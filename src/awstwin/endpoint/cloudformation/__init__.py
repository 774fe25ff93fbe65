"""AWS CloudFormation, locally: stacks whose resources are made by the endpoint's own services.

A stack's Glue database is created by the endpoint's CreateDatabase, its bucket by its S3, its role
and secret by IAM and Secrets Manager behind the same port: what a stack creates is there for Athena,
crawlers and jobs, and a type the endpoint cannot create fails the stack, naming it.

- `template.py`      reading a template (YAML/JSON), its checks, dependency order, capabilities
- `parameters.py`    parameter values, types and constraints, NoEcho, SSM parameter types
- `intrinsics.py`    intrinsic, condition and rule functions, dynamic references
- `resources.py`     each resource type as data: its API calls, names, attributes; `NOT_LOCAL` stand-ins
- `provisioner.py`   creating, updating and deleting one resource through those calls
- `runs.py`          a stack's create / update / delete, events, rollbacks
- `changes.py`       what a change set would change
- `resolving.py`     the resolver of a deployment, stand-ins, outputs
- `deployments.py`   the checks CreateStack / UpdateStack / CreateChangeSet make at the call
- `stacks.py`        stack, resource and change set records, their wire shapes, persistence
- `models.py`        the state: stacks, templates from S3, lookups, the worker
- `api_stacks.py`, `api_change_sets.py`, `api_templates.py`   the operations; `backend.py` joins them
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.operations import Registry
from awstwin.endpoint.protocol.models import service_model
from awstwin.endpoint.protocol.service import ServiceApp

if TYPE_CHECKING:
    from awstwin.endpoint.cloudformation.backend import CloudFormationBackend

# CloudFormation answers a request that does not fit its model with this code.
INVALID_INPUT = "ValidationError"


def backend_classes() -> tuple[type, ...]:
    """The classes whose `@handler` methods are CloudFormation's operations (the actions table reads them)."""
    from awstwin.endpoint.cloudformation.backend import CloudFormationBackend

    return (CloudFormationBackend,)


@dataclass
class CloudFormation:
    backend: CloudFormationBackend
    app: ServiceApp


def build(ctx: EndpointContext) -> CloudFormation:
    from awstwin.endpoint.cloudformation.backend import CloudFormationBackend
    from awstwin.endpoint.cloudformation.models import CloudFormationState

    backend = CloudFormationBackend(CloudFormationState(ctx))
    registry = Registry.of("cloudformation", service_model("cloudformation"), [backend])
    return CloudFormation(backend, ServiceApp(registry, [backend], invalid_input_code=INVALID_INPUT))
