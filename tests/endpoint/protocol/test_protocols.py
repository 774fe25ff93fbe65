"""Every protocol a service has been spoken in, answered in kind: clients built from botocore's models.

The locked botocore sends Athena as rest-json; older SDKs send it as awsJson 1.1 (the model of
botocore <= 1.44.8, rebuilt here from today's by putting back that metadata); a service AWS moves to
Smithy RPC v2 CBOR next is simulated by Glue's model with that protocol. Each client is stock botocore.
"""

from __future__ import annotations

import copy
import gzip
import json
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import ClientError

from awstwin.endpoint.protocol.models import EARLIER_PROTOCOLS

VERSIONS = {"glue": "2017-03-31", "athena": "2017-05-18"}


def _strip_bindings(value: Any) -> Any:
    """An awsJson / RPC v2 model has no HTTP bindings: every member goes in the body by its name."""
    if isinstance(value, dict):
        return {k: _strip_bindings(v) for k, v in value.items() if k not in ("location", "locationName")}
    if isinstance(value, list):
        return [_strip_bindings(v) for v in value]
    return value


def _client(tmp_path: Path, endpoint_url: str, service: str, metadata: dict[str, Any]) -> Any:
    """A stock botocore client whose model for `service` declares `metadata`'s protocol."""
    model = copy.deepcopy(botocore.loaders.Loader().load_service_model(service, "service-2"))
    model["metadata"].update(metadata)
    if metadata["protocol"] != "rest-json":
        model["shapes"] = _strip_bindings(model["shapes"])
    folder = tmp_path / "models" / service / VERSIONS[service]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(tmp_path / "models"))
    return session.create_client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _sent(client: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-send",
        lambda request, **_: seen.append({"url": request.url, "headers": dict(request.headers)}),
    )
    return seen


def test_athena_as_older_sdks_send_it_aws_json(tmp_path, endpoint):
    athena = _client(
        tmp_path,
        endpoint.url,
        "athena",
        {"protocol": "json", "protocols": ["json"], **EARLIER_PROTOCOLS["athena"]["json"]},
    )
    sent = _sent(athena)
    groups = athena.list_work_groups()["WorkGroups"]
    assert "primary" in [g["Name"] for g in groups]
    assert sent[-1]["headers"]["X-Amz-Target"] == b"AmazonAthena.ListWorkGroups"
    with pytest.raises(ClientError) as caught:
        athena.get_query_execution(QueryExecutionId=str(uuid.uuid4()))
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"


def test_athena_as_the_locked_botocore_sends_it_rest_json(aws):
    athena = aws("athena")
    sent = _sent(athena)
    athena.get_work_group(WorkGroup="primary")
    assert sent[-1]["url"].endswith("/workgroups/primary") and "X-Amz-Target" not in sent[-1]["headers"]
    with pytest.raises(ClientError) as caught:
        athena.get_work_group(WorkGroup="no_such_group")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_glue_over_smithy_rpc_v2_cbor(tmp_path, endpoint):
    glue = _client(
        tmp_path,
        endpoint.url,
        "glue",
        {"protocol": "smithy-rpc-v2-cbor", "protocols": ["smithy-rpc-v2-cbor"]},
    )
    sent = _sent(glue)
    name = f"cbor_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": name, "Parameters": {"k": "v"}})
    assert sent[-1]["url"].endswith("/service/AWSGlue/operation/CreateDatabase")
    database = glue.get_database(Name=name)["Database"]
    assert database["Parameters"] == {"k": "v"} and isinstance(database["CreateTime"], datetime)
    page = glue.get_databases(MaxResults=1)
    assert len(page["DatabaseList"]) == 1 and page["NextToken"]
    with pytest.raises(ClientError) as caught:
        glue.get_database(Name="no_such_database_here")
    assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_an_unsigned_aws_json_request_reaches_its_service_by_target(endpoint):
    request = urllib.request.Request(
        endpoint.url + "/",
        data=b"{}",
        headers={"X-Amz-Target": "AmazonAthena.ListWorkGroups", "Content-Type": "application/x-amz-json-1.1"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
        assert "primary" in [g["Name"] for g in json.loads(response.read())["WorkGroups"]]


def test_earlier_protocols_match_an_older_botocore_when_one_is_installed():
    """The AWS CLI v1 vendors its own, older botocore: its Athena model is the awsJson one."""
    awscli = pytest.importorskip("awscli")
    folder = Path(awscli.__file__).parent / "botocore" / "data" / "athena" / VERSIONS["athena"]
    files = sorted(folder.glob("service-2.json*"))
    if not files:
        pytest.skip(f"awscli {awscli.__version__} vendors no Athena model")
    raw = files[0].read_bytes()
    metadata = json.loads(gzip.decompress(raw) if files[0].suffix == ".gz" else raw)["metadata"]
    if metadata["protocol"] != "json":
        pytest.skip("this awscli's botocore already models Athena as rest-json")
    earlier = EARLIER_PROTOCOLS["athena"]["json"]
    assert {k: metadata[k] for k in earlier} == earlier
