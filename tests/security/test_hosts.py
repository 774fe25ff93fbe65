"""Only local callers: a request naming a foreign Host or Origin gets 403 and changes nothing.

DNS rebinding makes a web page's own name resolve to 127.0.0.1, so the browser sends
`Host: rebind.attacker.example:4566`; a foreign page calling 127.0.0.1 directly sends its `Origin`.
Both are refused in front of every service (ours and moto's), with an AWS-shaped error in the
request's protocol whose message says how to allow another name (AWSTWIN_ALLOWED_HOSTS).
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from awstwin.endpoint.security import hosts
from awstwin.endpoint.security.settings import SecuritySettings
from awstwin.endpoint.server import EndpointServer

ALLOWED_HOSTS = [
    "127.0.0.1:{port}",
    "127.0.0.1",
    "localhost:{port}",
    "LOCALHOST:{port}",
    "localhost.:{port}",
    "[::1]:{port}",
    "[0:0:0:0:0:0:0:1]:{port}",
    "[::ffff:127.0.0.1]:{port}",
    "127.0.0.2:{port}",
    "bucket.localhost:{port}",
    "s3.localhost.localstack.cloud:{port}",
    "localhost.localstack.cloud:{port}",
]
REFUSED_HOSTS = [
    "rebind.attacker.example:4566",
    "rebind.attacker.example",
    "REBIND.Attacker.Example.:4566",
    "localhost.attacker.example:4566",
    "127.0.0.1.nip.io:4566",
    "localtest.me:4566",
    "0.0.0.0:4566",
    "[::]:4566",
    "10.0.0.1:4566",
    "2130706433:4566",
    "0x7f000001:4566",
    "127.1:4566",
    "[::1:4566",
    "::1",
    "127.0.0.1:4566:80",
    "127.0.0.1:http",
    "user@127.0.0.1:4566",
    "127.0.0.1%2e:4566",
    "127.0.0.1 :4566",
    "l\u043ecalhost:4566",
    "",
]


def raw(
    endpoint: EndpointServer, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One request with exactly these headers (Host included: http.client adds none)."""
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value.encode("utf-8"))
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def start_job_run(
    endpoint: EndpointServer, host: str, job: str, origin: str | None = None
) -> tuple[int, Any]:
    headers = {
        "Host": host,
        "X-Amz-Target": "AWSGlue.StartJobRun",
        "Content-Type": "application/x-amz-json-1.1",
    }
    if origin is not None:
        headers["Origin"] = origin
    status, _, body = raw(endpoint, "POST", "/", headers, json.dumps({"JobName": job}).encode())
    return status, json.loads(body) if body else None


@pytest.fixture
def job(aws: Callable[..., Any]) -> str:
    """A pythonshell job that must never run."""
    s3 = aws("s3")
    bucket = f"sec-jobs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="job.py", Body=b"print('ran')\n")
    name = f"never-{uuid.uuid4().hex[:8]}"
    aws("glue").create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/job.py", "PythonVersion": "3.9"},
    )
    return name


def test_the_rebinding_attack_of_the_issue_starts_no_job(
    endpoint: EndpointServer, aws: Callable[..., Any], job: str
) -> None:
    """POST / with `Host: rebind.attacker.example:4566` and no Authorization used to start a job run."""
    status, body = start_job_run(endpoint, "rebind.attacker.example:4566", job)
    assert status == 403
    assert body["__type"] == "AccessDeniedException"
    assert "AWSTWIN_ALLOWED_HOSTS=rebind.attacker.example" in body["message"]
    assert aws("glue").get_job_runs(JobName=job)["JobRuns"] == []


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_foreign_hosts_are_refused_in_every_protocol(
    endpoint: EndpointServer, aws: Callable[..., Any], job: str, host: str
) -> None:
    status, body = start_job_run(endpoint, host, job)  # awsJson (ours)
    assert status == 403 and body["__type"] == "AccessDeniedException"
    bucket = f"sec-never-{uuid.uuid4().hex[:8]}"
    status, headers, data = raw(endpoint, "PUT", f"/{bucket}", {"Host": host})  # S3 rest-xml (ours)
    assert status == 403 and "access-control-allow-origin" not in headers
    assert ElementTree.fromstring(data).findtext("Code") == "AccessDenied"
    status, _, data = raw(
        endpoint,
        "POST",
        "/",
        {"Host": host, "Content-Type": "application/x-www-form-urlencoded"},
        b"Action=CreateUser&UserName=intruder&Version=2010-05-08",
    )  # IAM query protocol (moto)
    assert status == 403 and ElementTree.fromstring(data).findtext("Error/Code") == "AccessDenied"
    with pytest.raises(ClientError) as missing:
        aws("s3").head_bucket(Bucket=bucket)
    assert missing.value.response["Error"]["Code"] == "404"
    with pytest.raises(aws("iam").exceptions.NoSuchEntityException):
        aws("iam").get_user(UserName="intruder")
    assert aws("glue").get_job_runs(JobName=job)["JobRuns"] == []


@pytest.mark.parametrize("host", ALLOWED_HOSTS)
def test_the_endpoints_own_names_are_served(endpoint: EndpointServer, host: str) -> None:
    status, _, data = raw(endpoint, "GET", "/_awstwin/health", {"Host": host.format(port=endpoint.port)})
    assert status == 200, data[:300]


@pytest.mark.parametrize(
    "origin",
    [
        "https://attacker.example",
        "http://rebind.attacker.example:4566",
        "null",
        "http://localhost.attacker.example",
        "https://evil-bucket.s3.amazonaws.com",
        "file://",
        "http://127.0.0.1@attacker.example",
        "chrome-extension://abcdef",
    ],
)
def test_foreign_origins_are_refused_without_cors(
    endpoint: EndpointServer, aws: Callable[..., Any], job: str, origin: str
) -> None:
    status, body = start_job_run(endpoint, f"127.0.0.1:{endpoint.port}", job, origin=origin)
    assert status == 403 and body["__type"] == "AccessDeniedException"
    status, headers, _ = raw(
        endpoint,
        "OPTIONS",
        "/",
        {
            "Host": f"127.0.0.1:{endpoint.port}",
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-amz-target,content-type",
        },
    )
    assert status == 403
    assert not any(name.startswith("access-control-") for name in headers)
    assert aws("glue").get_job_runs(JobName=job)["JobRuns"] == []


@pytest.mark.parametrize("origin", ["http://localhost:8080", "http://127.0.0.1:3000", "http://[::1]:8080"])
def test_local_pages_are_served(endpoint: EndpointServer, origin: str) -> None:
    status, _, _ = raw(
        endpoint, "GET", "/_awstwin/health", {"Host": f"127.0.0.1:{endpoint.port}", "Origin": origin}
    )
    assert status == 200


def test_more_names_are_allowed_by_configuration(private_endpoint: Callable[..., EndpointServer]) -> None:
    """What compose and the profiles use: AWSTWIN_ALLOWED_HOSTS=emulator,localstack (and a subdomain rule)."""
    server = private_endpoint(AWSTWIN_ALLOWED_HOSTS="emulator, localstack,.corp.test")
    for host in ("emulator:4566", "EMULATOR", "localstack:4566", "dev.corp.test:4566"):
        assert raw(server, "GET", "/_awstwin/health", {"Host": host})[0] == 200, host
    for host in ("emulator.attacker.example", "corp.test.attacker.example", "xcorp.test"):
        status, _, data = raw(server, "GET", "/_awstwin/health", {"Host": host})
        assert status == 403 and b"AWSTWIN_ALLOWED_HOSTS" in data, host


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("Example.COM.:4566", "example.com"),
        ("[::1]:4566", "::1"),
        ("[0:0:0:0:0:0:0:1]", "::1"),
        ("localhost", "localhost"),
        ("a..b", None),
        ("::1", None),
        ("x:y", None),
        ("h\u00e9llo", None),
    ],
)
def test_parse_host(value: str, parsed: str | None) -> None:
    assert hosts.parse_host(value) == parsed


def test_settings_read_the_environment() -> None:
    settings = SecuritySettings.from_env(
        "192.168.1.5",
        {
            "AWSTWIN_ALLOWED_HOSTS": "emulator,*.corp.test",
            "AWS_ACCESS_KEY_ID": "a",
            "AWS_SECRET_ACCESS_KEY": "b",
        },
    )
    assert {"emulator", "192.168.1.5", "localhost"} <= settings.names
    assert ".corp.test" in settings.suffixes
    assert not settings.strict and settings.credentials == {"a": "b"}
    assert SecuritySettings.from_env("0.0.0.0", {}).names == frozenset(
        {"localhost", "localhost.localstack.cloud"}
    )
