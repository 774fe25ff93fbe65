"""Every error the local Athena returns: API errors (wire) and query failures (a FAILED execution).

API errors are raised from handlers and become HTTP 400/500 responses. `QueryFailed` never reaches
the wire: the worker turns it into `Status.State = FAILED` with Athena's `StateChangeReason`
(`TABLE_NOT_FOUND: line 1:15: ...`) and an `AthenaError` (category, type, retryable).
"""

from __future__ import annotations

from awstwin.endpoint.errors import AwsError

# AthenaError.ErrorCategory values (Athena error catalog)
SYSTEM, USER, OTHER = 1, 2, 3


class InvalidRequestException(AwsError):
    code = "InvalidRequestException"


class MetadataException(AwsError):
    code = "MetadataException"


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"


class InternalServerException(AwsError):
    code = "InternalServerException"
    status = 500


class QueryFailed(Exception):
    """A query that fails the way Athena fails it: `<NAME>: <message>` plus an AthenaError.

    `name` is the Trino/Hive error name (TABLE_NOT_FOUND, SYNTAX_ERROR, HIVE_BAD_DATA, ...); Hive DDL
    failures have no name and read `FAILED: SemanticException ...` as Athena reports them.
    """

    def __init__(
        self,
        name: str,
        message: str,
        error_type: int,
        *,
        category: int = USER,
        retryable: bool = False,
    ):
        self.name = name
        self.message = message
        self.error_type = error_type
        self.category = category
        self.retryable = retryable
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        return f"{self.name}: {self.message}" if self.name else self.message

    def athena_error(self) -> dict[str, object]:
        return {
            "ErrorCategory": self.category,
            "ErrorType": self.error_type,
            "Retryable": self.retryable,
            "ErrorMessage": self.reason,
        }


class QueryCancelled(Exception):
    """The query was stopped (StopQueryExecution) or the endpoint is shutting down."""
