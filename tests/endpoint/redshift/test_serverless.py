"""Redshift Serverless's control plane through boto3, and temporary credentials that log in for real.

https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/Welcome.html
https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_GetCredentials.html
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redshift_connector
from botocore.exceptions import ClientError
from tests.endpoint.redshift.conftest import Stack

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import Endpoint


@pytest.fixture
def serverless(stack: Stack) -> Any:
    return stack.client("redshift-serverless")


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


def test_the_workgroups_endpoint_is_the_local_warehouse(stack: Stack, serverless) -> None:
    workgroup = serverless.get_workgroup(workgroupName=stack.workgroup)["workgroup"]
    assert workgroup["status"] == "AVAILABLE" and workgroup["namespaceName"] == stack.namespace
    assert workgroup["endpoint"]["address"] == "127.0.0.1"
    assert workgroup["endpoint"]["port"] == stack.front.port == workgroup["port"]
    assert workgroup["workgroupArn"] == (
        f"arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/{workgroup['workgroupId']}"
    )
    namespace = serverless.get_namespace(namespaceName=stack.namespace)["namespace"]
    assert namespace["dbName"] == "dev" and namespace["adminUsername"] == stack.warehouse.user
    assert "adminUserPassword" not in namespace
    assert stack.workgroup in [w["workgroupName"] for w in serverless.list_workgroups()["workgroups"]]
    assert stack.namespace in [n["namespaceName"] for n in serverless.list_namespaces()["namespaces"]]


def test_create_update_delete_and_their_errors(stack: Stack, serverless) -> None:
    name = f"wg-{uuid.uuid4().hex[:8]}"
    created = serverless.create_namespace(
        namespaceName=name,
        adminUsername=stack.warehouse.user,
        adminUserPassword=stack.warehouse.password,
        iamRoles=["arn:aws:iam::123456789012:role/copy"],
        defaultIamRoleArn="arn:aws:iam::123456789012:role/copy",
    )["namespace"]
    assert created["iamRoles"] == [
        "IamRole(applyStatus=in-sync, iamRoleArn=arn:aws:iam::123456789012:role/copy)"
    ]
    roles = ["arn:aws:iam::123456789012:role/copy", "arn:aws:iam::123456789012:role/unload"]
    changed = serverless.update_namespace(namespaceName=name, iamRoles=roles)["namespace"]
    assert [r.rsplit("/", 1)[1].rstrip(")") for r in changed["iamRoles"]] == ["copy", "unload"]
    half = error_of(serverless.update_namespace, namespaceName=name, adminUsername="someone")
    assert half["Error"]["Code"] == "ValidationException"  # user and password go together
    again = error_of(serverless.create_namespace, namespaceName=name)
    assert again["Error"]["Code"] == "ConflictException"
    workgroup = serverless.create_workgroup(
        workgroupName=name,
        namespaceName=name,
        baseCapacity=8,
        configParameters=[{"parameterKey": "search_path", "parameterValue": "marts, public"}],
    )["workgroup"]
    assert workgroup["baseCapacity"] == 8
    assert {"parameterKey": "search_path", "parameterValue": "marts, public"} in workgroup["configParameters"]
    second = error_of(serverless.create_workgroup, workgroupName=f"{name}-2", namespaceName=name)
    assert second["Error"]["Code"] == "ConflictException"  # one workgroup per namespace
    updated = serverless.update_workgroup(workgroupName=name, baseCapacity=32)["workgroup"]
    assert updated["baseCapacity"] == 32
    in_use = error_of(serverless.delete_namespace, namespaceName=name)
    assert in_use["Error"]["Code"] == "ConflictException"
    assert serverless.delete_workgroup(workgroupName=name)["workgroup"]["status"] == "DELETING"
    assert serverless.delete_namespace(namespaceName=name)["namespace"]["status"] == "DELETING"
    gone = error_of(serverless.get_workgroup, workgroupName=name)
    assert gone["Error"]["Code"] == "ResourceNotFoundException"
    assert gone["Error"]["Message"] == f"Serverless workgroup {name} not found."
    assert gone["resourceName"] == name


def test_get_credentials_logs_in_with_psycopg2_and_redshift_connector(stack: Stack, serverless) -> None:
    before = datetime.now(UTC)
    found = serverless.get_credentials(workgroupName=stack.workgroup, dbName="dev", durationSeconds=1800)
    assert found["dbUser"] == "IAM:moto"  # moto's caller identity: arn:aws:sts::123456789012:user/moto
    expiration = found["expiration"]
    assert timedelta(seconds=1790) <= expiration - before <= timedelta(seconds=1810)
    host, port = "127.0.0.1", stack.front.port
    with (
        psycopg2.connect(
            host=host, port=port, user=found["dbUser"], password=found["dbPassword"], dbname="dev"
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == ("IAM:moto",)
    connection.close()
    driver = redshift_connector.connect(
        host=host, port=port, user=found["dbUser"], password=found["dbPassword"], database="dev", ssl=False
    )
    try:
        cursor = driver.cursor()
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "IAM:moto"
    finally:
        driver.close()
    # The password expires when AWS said: Postgres refuses it after VALID UNTIL.
    admin = psycopg2.connect(
        host=host, port=port, user=stack.warehouse.user, password=stack.warehouse.password, dbname="dev"
    )
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT rolvaliduntil FROM pg_roles WHERE rolname = 'IAM:moto'")
            assert cursor.fetchone()[0] >= expiration
    finally:
        admin.close()
    wrong = found["dbPassword"][::-1]
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(host=host, port=port, user="IAM:moto", password=wrong, dbname="dev").close()


def test_credentials_handed_out_earlier_stay_valid(stack: Stack, serverless) -> None:
    first = serverless.get_credentials(workgroupName=stack.workgroup, durationSeconds=900)
    second = serverless.get_credentials(workgroupName=stack.workgroup, durationSeconds=3600)
    for found in (first, second):
        psycopg2.connect(
            host="127.0.0.1",
            port=stack.front.port,
            user=found["dbUser"],
            password=found["dbPassword"],
            dbname="dev",
        ).close()


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"workgroupName": "no-such-workgroup"}, "ResourceNotFoundException"),
        ({"durationSeconds": 60}, "ValidationException"),
        ({"durationSeconds": 7200}, "ValidationException"),
        ({}, "ValidationException"),
    ],
)
def test_get_credentials_refuses_what_aws_refuses(stack: Stack, serverless, arguments, code) -> None:
    if "workgroupName" not in arguments and arguments:
        arguments = {**arguments, "workgroupName": stack.workgroup}
    answer = error_of(serverless.get_credentials, **arguments)
    assert answer["Error"]["Code"] == code


def test_the_endpoint_builds_redshift_when_a_call_first_needs_it(tmp_path: Path) -> None:
    """Lazy start: Redshift Serverless and the Data API are built on their first request, without
    Glue, Athena or CloudFormation, and the health answer names them."""
    settings = EndpointSettings(
        host="127.0.0.1", port=0, state_dir=tmp_path, warehouse_endpoint="127.0.0.1:1"
    )
    endpoint = Endpoint(settings)
    try:
        assert {"redshift-serverless", "redshift-data"} <= set(endpoint.health()["services"])
        assert "redshift-data" not in endpoint.apps
        app = endpoint._app("redshift-data")
        assert app is endpoint.apps["redshift-data"] and "redshift-serverless" in endpoint.apps
        assert "glue" not in endpoint.apps and "athena" not in endpoint.apps
    finally:
        endpoint.close()
