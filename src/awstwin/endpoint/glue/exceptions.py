"""Every error the local Glue returns, named and coded as AWS Glue names them."""

from __future__ import annotations

from awstwin.endpoint.errors import AwsError


class EntityNotFoundException(AwsError):
    code = "EntityNotFoundException"


class AlreadyExistsException(AwsError):
    code = "AlreadyExistsException"


class InvalidInputException(AwsError):
    code = "InvalidInputException"


class CrawlerRunningException(AwsError):
    code = "CrawlerRunningException"


class CrawlerNotRunningException(AwsError):
    code = "CrawlerNotRunningException"


class CrawlerStoppingException(AwsError):
    code = "CrawlerStoppingException"


class ConcurrentRunsExceededException(AwsError):
    code = "ConcurrentRunsExceededException"


class OperationTimeoutException(AwsError):
    code = "OperationTimeoutException"


class NoScheduleException(AwsError):
    code = "NoScheduleException"


class SchedulerRunningException(AwsError):
    code = "SchedulerRunningException"


class SchedulerNotRunningException(AwsError):
    code = "SchedulerNotRunningException"
