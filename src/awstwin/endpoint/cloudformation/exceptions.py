"""CloudFormation's errors, with the codes and HTTP statuses of botocore's model and AWS's texts."""

from __future__ import annotations

from awstwin.endpoint.errors import AwsError


class ValidationError(AwsError):
    """Most CloudFormation refusals: a bad template, a missing stack, a stack in the wrong state."""

    code = "ValidationError"


class TemplateError(ValidationError):
    """The template cannot be read or resolved; the message says where, in CloudFormation's words."""


class AlreadyExists(AwsError):
    code = "AlreadyExistsException"


class InsufficientCapabilities(AwsError):
    code = "InsufficientCapabilitiesException"

    def __init__(self, required: list[str]):
        super().__init__(f"Requires capabilities : [{', '.join(required)}]")


class ChangeSetNotFound(AwsError):
    code = "ChangeSetNotFound"
    status = 404

    def __init__(self, name: str):
        super().__init__(f"ChangeSet [{name}] does not exist")


class InvalidChangeSetStatus(AwsError):
    code = "InvalidChangeSetStatus"


def stack_not_found(name: str) -> ValidationError:
    """What DescribeStacks and friends answer for a stack that does not exist (or is deleted, by name).
    The AWS CLI's `deploy` reads this text to decide between a create and an update."""
    return ValidationError(f"Stack with id {name} does not exist")
