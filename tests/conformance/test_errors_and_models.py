"""AWS-shaped errors with AWS's HTTP status, and botocore's models as the contract both ways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.operations import Registry, handler
from awstwin.endpoint.protocol.models import service_model
from awstwin.endpoint.protocol.service import ServiceApp

MODELS = botocore.session.get_session()

CASES: list[tuple[str, str, Callable[[Any], Any], str, str]] = [
    (
        "glue",
        "GetTable",
        lambda c: c.get_table(DatabaseName="no_such_db", Name="t"),
        "EntityNotFoundException",
        "no_such_db",
    ),
    (
        "glue",
        "GetJobRun",
        lambda c: c.get_job_run(JobName="no-such-job", RunId="jr_1"),
        "EntityNotFoundException",
        "no-such-job",
    ),
    (
        "glue",
        "CreateDatabase",
        lambda c: [c.create_database(DatabaseInput={"Name": "errors_twice"}) for _ in range(2)],
        "AlreadyExistsException",
        "errors_twice",
    ),
    (
        "glue",
        "CreateCrawler",
        lambda c: c.create_crawler(Name="errors-no-targets", Role="r", Targets={}),
        "InvalidInputException",
        "errors-no-targets",
    ),
    (
        "athena",
        "GetQueryExecution",
        lambda c: c.get_query_execution(QueryExecutionId="no-such-query"),
        "InvalidRequestException",
        "no-such-query",
    ),
    (
        "athena",
        "StartQueryExecution",
        lambda c: c.start_query_execution(QueryString="SELECT 1", WorkGroup="no-such-group"),
        "InvalidRequestException",
        "no-such-group",
    ),
]


@pytest.mark.parametrize(("service", "operation", "call", "code", "named"), CASES, ids=[c[1] for c in CASES])
def test_errors_have_aws_codes_statuses_and_name_the_resource(aws, service, operation, call, code, named):
    client = aws(service)
    with pytest.raises(ClientError) as caught:
        call(client)
    response = caught.value.response
    assert response["Error"]["Code"] == code
    assert named in response["Error"]["Message"]
    # The code is one botocore's model lists for the operation, so clients raise the modeled class.
    operation_model = MODELS.get_service_model(service).operation_model(operation)
    shapes = {shape.name: shape for shape in operation_model.error_shapes}
    assert code in shapes, f"{code} is not an error of {service}:{operation} in botocore's model"
    assert isinstance(caught.value, getattr(client.exceptions, code))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == shapes[code].metadata.get("error", {}).get(
        "httpStatusCode", 400
    )


def _glue_app(*backends: object) -> ServiceApp:
    registry = Registry.of("glue", service_model("glue"), backends)
    return ServiceApp(registry, backends, invalid_input_code="InvalidInputException")


def test_requests_that_do_not_fit_the_model_are_refused_by_name(endpoint):
    service = _glue_app()
    with pytest.raises(AwsError) as caught:
        service.invoke("GetTable", {"DatabaseName": "d"})
    assert caught.value.code == "InvalidInputException" and "Name" in caught.value.message
    # A member the shape does not have is not data of this operation: a SerializationException naming it.
    with pytest.raises(AwsError) as caught:
        service.invoke("GetTable", {"DatabaseName": "d", "Name": "t", "Nonsense": 1})
    assert caught.value.code == "SerializationException" and "Nonsense" in caught.value.message
    with pytest.raises(AwsError) as caught:
        service.invoke("GetTable", {"DatabaseName": "d", "Name": 7})
    assert caught.value.code == "SerializationException" and "Name" in caught.value.message


class _Misshapen:
    @handler("GetTable")
    def get_table(self, DatabaseName: str, Name: str) -> dict[str, Any]:
        return {"Table": {"Name": "t", "NotAField": 1}}

    @handler("GetDatabase")
    def get_database(self, Name: str) -> dict[str, Any]:
        return {"Database": {"Description": "no Name: a required member"}}


def test_a_member_the_handler_does_not_take_is_named_not_dropped():
    service = _glue_app(_Misshapen())
    with pytest.raises(AwsError) as caught:
        service.invoke("GetDatabase", {"Name": "d", "CatalogId": "123456789012"})
    assert caught.value.status == 501 and "CatalogId" in caught.value.message


def test_responses_that_do_not_fit_the_model_fail_in_tests(monkeypatch):
    monkeypatch.setenv("AWSTWIN_STRICT_MODEL", "1")
    service = _glue_app(_Misshapen())
    for operation, params, problem in (
        ("GetTable", {"DatabaseName": "d", "Name": "t"}, "NotAField"),
        ("GetDatabase", {"Name": "d"}, "Name"),
    ):
        with pytest.raises(AwsError) as caught:
            service.invoke(operation, params)
        assert caught.value.status == 500 and "does not fit botocore's model" in caught.value.message
        assert problem in caught.value.message


def test_unimplemented_operations_are_501_naming_themselves(aws):
    with pytest.raises(ClientError) as caught:
        aws("glue").get_ml_transforms()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "glue:GetMLTransforms is not implemented" in caught.value.response["Error"]["Message"]
