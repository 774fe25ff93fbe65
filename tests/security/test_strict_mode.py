"""Strict mode (`AWSTWIN_AUTH=sigv4`): only requests signed with a configured key are served.

AWS's answers, per protocol (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, DynamoDB's documented JSON-protocol
errors https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html):
S3 (rest-xml) AccessDenied / InvalidAccessKeyId / SignatureDoesNotMatch / RequestTimeTooSkewed, 403;
awsJson (Glue, Athena) MissingAuthenticationTokenException / UnrecognizedClientException /
InvalidSignatureException, 400; query (STS, IAM) MissingAuthenticationToken / InvalidClientTokenId /
SignatureDoesNotMatch, 403. Clients used: boto3, the AWS CLI, a plain HTTP client on a presigned URL.
"""

from __future__ import annotations

import base64
import http.client
import os
import secrets as random_secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from awstwin.endpoint.server import EndpointServer

ATHENA_PROTOCOL = boto3.client("athena", region_name="us-east-1").meta.service_model.protocol

KEY = "AKIASTRICTMODE0001"
SECRET = random_secrets.token_urlsafe(30)
SECOND_KEY, SECOND_SECRET = "AKIASTRICTMODE0002", random_secrets.token_urlsafe(30)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointServer]:
    """An endpoint in strict mode whose keys differ from the test process's own AWS_ACCESS_KEY_ID."""
    from awstwin.core.config import EndpointSettings

    saved = {name: os.environ.get(name) for name in ("AWSTWIN_AUTH", "AWSTWIN_CREDENTIALS")}
    os.environ["AWSTWIN_AUTH"] = "sigv4"
    os.environ["AWSTWIN_CREDENTIALS"] = f"{KEY}:{SECRET},{SECOND_KEY}:{SECOND_SECRET}"
    try:
        state = tmp_path_factory.mktemp("strict-state")
        server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=state)).start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield server
    server.stop()


def client(server: EndpointServer, service: str, key: str = KEY, secret: str = SECRET, **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def unsigned(server: EndpointServer, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
    )


CALLS: dict[str, Callable[[Any], Any]] = {
    "s3": lambda c: c.list_buckets(),
    "glue": lambda c: c.get_databases(),
    "athena": lambda c: c.list_work_groups(),
    "sts": lambda c: c.get_caller_identity(),
    "iam": lambda c: c.list_users(),
    "logs": lambda c: c.describe_log_groups(),
}
# service -> (no signature, unknown key, wrong secret): (code, HTTP status)
EXPECTED: dict[str, tuple[tuple[str, int], tuple[str, int], tuple[str, int]]] = {
    "s3": (("AccessDenied", 403), ("InvalidAccessKeyId", 403), ("SignatureDoesNotMatch", 403)),
    "glue": (
        ("MissingAuthenticationTokenException", 400),
        ("UnrecognizedClientException", 400),
        ("InvalidSignatureException", 400),
    ),
    "athena": (
        ("MissingAuthenticationTokenException", 400),
        ("UnrecognizedClientException", 400),
        ("InvalidSignatureException", 400),
    ),
    "logs": (
        ("MissingAuthenticationTokenException", 400),
        ("UnrecognizedClientException", 400),
        ("InvalidSignatureException", 400),
    ),
    "sts": (
        ("MissingAuthenticationToken", 403),
        ("InvalidClientTokenId", 403),
        ("SignatureDoesNotMatch", 403),
    ),
    "iam": (
        ("MissingAuthenticationToken", 403),
        ("InvalidClientTokenId", 403),
        ("SignatureDoesNotMatch", 403),
    ),
}


def refused(call: Callable[[], Any]) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as error:
        call()
    response = error.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.mark.parametrize("service", sorted(CALLS))
def test_the_right_keys_pass(strict: EndpointServer, service: str) -> None:
    CALLS[service](client(strict, service))
    CALLS[service](client(strict, service, SECOND_KEY, SECOND_SECRET))


@pytest.mark.parametrize("service", sorted(CALLS))
def test_wrong_unknown_and_missing_signatures_get_aws_errors(strict: EndpointServer, service: str) -> None:
    missing, unknown, mismatch = EXPECTED[service]
    code, status, _ = refused(lambda: CALLS[service](unsigned(strict, service)))
    if service == "athena" and ATHENA_PROTOCOL == "rest-json":
        # One port serves every service: an unsigned rest-json request names no service (no target,
        # no credential scope), so it is S3's, as routing.py reads it, and refused as S3 refuses it.
        assert status == 403
    else:
        assert (code, status) == missing
    code, status, message = refused(
        lambda: CALLS[service](client(strict, service, "AKIAUNKNOWN00000000", SECRET))
    )
    assert (code, status) == unknown
    code, status, message = refused(lambda: CALLS[service](client(strict, service, KEY, "not-the-secret")))
    assert (code, status) == mismatch
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_refused_requests_change_nothing(strict: EndpointServer) -> None:
    name = f"strict_{uuid.uuid4().hex[:8]}"
    refused(
        lambda: client(strict, "glue", KEY, "not-the-secret").create_database(DatabaseInput={"Name": name})
    )
    refused(lambda: unsigned(strict, "glue").create_database(DatabaseInput={"Name": name}))
    refused(lambda: unsigned(strict, "s3").create_bucket(Bucket=name.replace("_", "-")))
    glue = client(strict, "glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_database(Name=name)
    assert name.replace("_", "-") not in [b["Name"] for b in client(strict, "s3").list_buckets()["Buckets"]]


def test_a_date_more_than_15_minutes_off_is_refused(
    strict: EndpointServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = strict.endpoint.guard.verifier
    monkeypatch.setattr(verifier, "clock", lambda: time.time() + 3600)  # the endpoint an hour ahead
    code, status, _ = refused(lambda: client(strict, "s3").list_buckets())
    assert (code, status) == ("RequestTimeTooSkewed", 403)
    code, status, message = refused(lambda: client(strict, "glue").get_databases())
    assert (code, status) == ("InvalidSignatureException", 400) and message.startswith("Signature expired: ")
    code, status, message = refused(lambda: client(strict, "sts").get_caller_identity())
    assert (code, status) == ("SignatureDoesNotMatch", 403) and message.startswith("Signature expired: ")


def test_presigned_urls(strict: EndpointServer, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = client(strict, "s3", signature_version="s3v4")
    bucket = f"strict-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="report.txt", Body=b"signed content")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "report.txt"}, ExpiresIn=300
    )
    assert urllib.request.urlopen(url, timeout=30).read() == b"signed content"
    upload = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "up.txt"}, ExpiresIn=300
    )
    urllib.request.urlopen(urllib.request.Request(upload, data=b"uploaded", method="PUT"), timeout=30)
    assert s3.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"uploaded"

    def http_error(target: str) -> tuple[int, bytes]:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(target, timeout=30)
        return error.value.code, error.value.read()

    status, body = http_error(url.replace("report.txt", "other.txt"))
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    sigv2 = client(strict, "s3", signature_version="s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "report.txt"}
    )
    status, body = http_error(sigv2)
    assert status == 400 and b"<Code>InvalidRequest</Code>" in body
    monkeypatch.setattr(strict.endpoint.guard.verifier, "clock", lambda: time.time() + 301)
    status, body = http_error(url)
    assert status == 403 and b"<Message>Request has expired</Message>" in body


def test_s3_payload_forms_are_accepted(strict: EndpointServer, tmp_path: Path) -> None:
    """UNSIGNED-PAYLOAD, streaming chunked uploads with trailing checksums, multipart: as AWS accepts them."""
    s3 = client(strict, "s3")
    bucket = f"strict-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="checksum.txt", Body=b"x" * 1000, ChecksumAlgorithm="CRC32")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    s3.upload_file(
        str(big), bucket, "big.bin", Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 2**20)
    )
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ContentLength"] == big.stat().st_size
    unsigned_payload = client(strict, "s3", s3={"payload_signing_enabled": False})
    unsigned_payload.put_object(Bucket=bucket, Key="unsigned.txt", Body=b"body")
    assert s3.get_object(Bucket=bucket, Key="unsigned.txt")["Body"].read() == b"body"


def test_the_health_check_needs_no_signature(strict: EndpointServer) -> None:
    with urllib.request.urlopen(f"{strict.url}/_awstwin/health", timeout=30) as response:
        assert response.status == 200


def _aws_cli() -> str | None:
    beside = Path(sys.executable).parent / "aws"
    return str(beside) if beside.exists() else shutil.which("aws")


@pytest.mark.slow  # one AWS CLI process per command
@pytest.mark.skipif(_aws_cli() is None, reason="the AWS CLI is not installed in this environment")
def test_the_aws_cli(strict: EndpointServer) -> None:
    cli = _aws_cli()
    assert cli is not None
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": strict.url,
        "AWS_MAX_ATTEMPTS": "1",
    }
    ok = subprocess.run([cli, "glue", "get-databases"], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    ok = subprocess.run([cli, "s3", "ls"], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    wrong = subprocess.run(
        [cli, "sts", "get-caller-identity"],
        env={**env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode != 0 and "SignatureDoesNotMatch" in wrong.stderr


def test_a_glue_job_calls_back_with_the_endpoints_own_keys(strict: EndpointServer) -> None:
    """The job runner hands a job the first AWSTWIN_CREDENTIALS pair, so its boto3 calls pass."""
    s3 = client(strict, "s3")
    bucket = f"strict-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    script = (
        "import boto3\n"
        f"boto3.client('s3').put_object(Bucket='{bucket}', Key='from-job.txt', Body=b'job wrote this')\n"
    )
    s3.put_object(Bucket=bucket, Key="job.py", Body=script.encode())
    glue = client(strict, "glue")
    name = f"strict-job-{uuid.uuid4().hex[:8]}"
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/job.py", "PythonVersion": "3.9"},
    )
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    deadline = time.monotonic() + 180
    while (run := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"] not in (
        "SUCCEEDED",
        "FAILED",
        "ERROR",
        "TIMEOUT",
        "STOPPED",
    ):
        assert time.monotonic() < deadline, run
        time.sleep(0.5)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert s3.get_object(Bucket=bucket, Key="from-job.txt")["Body"].read() == b"job wrote this"


def _streaming_put(server: EndpointServer, bucket: str, key: str, secret: str, data: bytes) -> int:
    """A PUT with an aws-chunked body and a trailing CRC32, signed the way botocore signs it over HTTPS
    (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`)."""
    checksum = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    body = f"{len(data):x}\r\n".encode() + data + f"\r\n0\r\nx-amz-checksum-crc32:{checksum}\r\n\r\n".encode()
    request = AWSRequest(
        method="PUT",
        url=f"{server.url}/{bucket}/{key}",
        headers={
            "Content-Encoding": "aws-chunked",
            "x-amz-trailer": "x-amz-checksum-crc32",
            "x-amz-decoded-content-length": str(len(data)),
        },
        data=body,
    )
    request.context["checksum"] = {"request_algorithm": {"in": "trailer", "name": "x-amz-checksum-crc32"}}
    S3SigV4Auth(Credentials(KEY, secret), "s3", "us-east-1").add_auth(request)
    assert request.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("PUT", f"/{bucket}/{key}", body=body, headers=dict(request.headers.items()))
    status = connection.getresponse().status
    connection.close()
    return status


def test_streaming_uploads_with_trailing_checksums(strict: EndpointServer) -> None:
    s3 = client(strict, "s3")
    bucket = f"strict-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    data = b"streamed and checksummed " * 2000
    assert _streaming_put(strict, bucket, "streamed.txt", SECRET, data) == 200
    assert s3.get_object(Bucket=bucket, Key="streamed.txt")["Body"].read() == data
    assert _streaming_put(strict, bucket, "forged.txt", "not-the-secret", data) == 403
    assert "forged.txt" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
