"""AWS-shaped errors. Every service raises these; the protocol layers turn them into wire errors."""

from __future__ import annotations


class AwsError(Exception):
    """An error AWS itself would return: an error code, a message and an HTTP status."""

    code: str = "InternalFailure"
    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        # Members of the error's shape besides its message (ResourceNotFoundException.ResourceId, ...).
        self.fields = dict(fields or {})
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotImplementedByEndpoint(AwsError):
    """An operation botocore knows but the local endpoint does not implement (yet)."""

    code = "NotImplementedError"
    status = 501

    def __init__(self, service: str, operation: str):
        super().__init__(
            f"{service}:{operation} is not implemented by the local endpoint; "
            "see the README's table of supported actions"
        )


class UnknownOperation(AwsError):
    code = "UnknownOperationException"
    status = 400
