"""The endpoint routes each request to the right service, AWS-style."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def test_health_names_the_services(endpoint):
    with urllib.request.urlopen(f"{endpoint.url}/_awstwin/health") as response:
        health = json.load(response)
    assert health["status"] == "running"
    assert {"s3", "glue", "athena"} <= set(health["services"])


def test_moto_serves_sts_and_logs(aws):
    assert aws("sts").get_caller_identity()["Account"] == "123456789012"
    logs = aws("logs")
    logs.create_log_group(logGroupName="/routing/test")
    names = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/routing")["logGroups"]]
    assert names == ["/routing/test"]


def test_unknown_json_operation_is_an_aws_error(endpoint):
    request = urllib.request.Request(
        endpoint.url,
        data=b"{}",
        headers={"X-Amz-Target": "AWSGlue.NoSuchThing", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert json.load(caught.value)["__type"] == "UnknownOperationException"


def test_invalid_input_is_rejected_by_the_model(aws):
    with pytest.raises(ClientError) as caught:
        unchecked = aws("glue", config=Config(parameter_validation=False))
        unchecked.get_table(DatabaseName="", Name="x")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_only_filter_log_events_is_answered_in_front_of_moto():
    from awstwin.endpoint.routing import service_of

    assert service_of({"HTTP_X_AMZ_TARGET": "Logs_20140328.FilterLogEvents"}) == "logs"
    assert service_of({"HTTP_X_AMZ_TARGET": "Logs_20140328.GetLogEvents"}) == "moto:Logs_20140328"
    assert service_of({"HTTP_X_AMZ_TARGET": "AWSGlue.GetTable"}) == "glue"
