"""The CloudFormation backend: the stack, change set and template operations over one state."""

from __future__ import annotations

from awstwin.endpoint.cloudformation.api_change_sets import ChangeSetApi
from awstwin.endpoint.cloudformation.api_stacks import StackApi
from awstwin.endpoint.cloudformation.api_templates import TemplateApi
from awstwin.endpoint.cloudformation.models import CloudFormationState


class CloudFormationBackend(StackApi, ChangeSetApi, TemplateApi):
    def __init__(self, state: CloudFormationState):
        self.state = state

    def close(self) -> None:
        """Let a running stack operation finish its current step."""
        self.state.close()
