"""The query protocol server side, checked against botocore's own client side: what botocore's
QuerySerializer sends reads back as the same parameters, and what the server writes botocore's
QueryParser reads back as the same result (in-process, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.protocol.models import service_model
from awstwin.endpoint.protocol.query import AwsQuery
from awstwin.endpoint.protocol.values import decode_input, encode_output

MODEL = service_model("cloudformation")
QUERY = AwsQuery(MODEL)


def _request(operation: str, params: dict) -> Request:
    serialized = QuerySerializer().serialize_to_request(params, MODEL.operation_model(operation))
    body = urlencode(serialized["body"])
    builder = EnvironBuilder(
        method="POST", path="/", data=body, content_type="application/x-www-form-urlencoded; charset=utf-8"
    )
    return Request(builder.get_environ())


def test_a_request_reads_back_as_botocore_wrote_it() -> None:
    params = {
        "StackName": "s",
        "TemplateBody": "Resources: {}",
        "Parameters": [
            {"ParameterKey": "A", "ParameterValue": "1"},
            {"ParameterKey": "B", "UsePreviousValue": True},
        ],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Tags": [],
        "TimeoutInMinutes": 5,
        "DisableRollback": False,
        "RollbackConfiguration": {"MonitoringTimeInMinutes": 3},
    }
    request = _request("CreateStack", params)
    assert AwsQuery.accepts(request) and QUERY.operation(request) == "CreateStack"
    op = MODEL.operation_model("CreateStack")
    assert decode_input(op.input_shape, QUERY.parse(request, op)) == params


def test_a_result_reads_back_with_botocores_parser() -> None:
    op = MODEL.operation_model("DescribeStacks")
    created = datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)
    result = {
        "Stacks": [
            {
                "StackName": "s",
                "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
                "CreationTime": created,
                "StackStatus": "CREATE_COMPLETE",
                "DisableRollback": True,
                "Capabilities": ["CAPABILITY_IAM"],
                "Outputs": [{"OutputKey": "K", "OutputValue": "v & <w>"}],
                "Tags": [],
            }
        ]
    }
    response = QUERY.reply(op, encode_output(op.output_shape, result, []), "req-1")
    parsed = QueryParser().parse(
        {"body": response.get_data(), "headers": dict(response.headers), "status_code": 200}, op.output_shape
    )
    stack = parsed["Stacks"][0]
    assert stack["CreationTime"] == created.replace(microsecond=250000)
    assert stack["DisableRollback"] is True and stack["Capabilities"] == ["CAPABILITY_IAM"]
    assert stack["Outputs"] == [{"OutputKey": "K", "OutputValue": "v & <w>"}]
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"


def test_an_error_reads_back_with_its_code_and_message() -> None:
    op = MODEL.operation_model("DescribeStacks")
    response = QUERY.error(AwsError("Stack with id s does not exist", code="ValidationError"), "req-2")
    parsed = QueryParser().parse(
        {"body": response.get_data(), "headers": dict(response.headers), "status_code": 400}, op.output_shape
    )
    assert response.status_code == 400
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "Stack with id s does not exist",
    }
