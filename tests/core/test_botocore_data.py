"""core/botocore_data: Sessions made after share() read botocore's data files once per process, and
their clients are the clients they were (same service models, endpoints, regions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.stub import Stubber

from awstwin.core import botocore_data


@pytest.fixture
def shared() -> Iterator[None]:
    before = botocore.session.create_loader
    botocore_data.share()
    yield
    botocore.session.create_loader = before


def _loader(session: boto3.session.Session) -> botocore.loaders.Loader:
    return session._session.get_component("data_loader")


def test_sessions_made_after_share_use_one_loader(shared: None) -> None:
    assert botocore_data.shared()
    one, two = boto3.session.Session(region_name="eu-west-1"), boto3.session.Session(region_name="us-east-1")
    assert _loader(one) is _loader(two)
    glue_one, glue_two = one.client("glue"), two.client("glue")
    assert glue_one.meta.service_model is not glue_two.meta.service_model  # each client its own model
    assert glue_one.meta.service_model.operation_names == glue_two.meta.service_model.operation_names
    assert glue_one.meta.region_name == "eu-west-1" and glue_two.meta.region_name == "us-east-1"
    assert glue_one.meta.endpoint_url == "https://glue.eu-west-1.amazonaws.com"
    assert one.get_available_regions("athena") == two.get_available_regions("athena")


def test_a_session_with_its_own_data_path_gets_its_own_loader(shared: None, tmp_path: Path) -> None:
    own = botocore.session.Session()
    own.set_config_variable("data_path", str(tmp_path))
    assert own.get_component("data_loader") is not _loader(boto3.session.Session())
    assert str(tmp_path) in own.get_component("data_loader").search_paths


def test_without_share_each_session_reads_its_own(tmp_path: Path) -> None:
    assert not botocore_data.shared()  # nothing in the test process turned it on for everyone
    assert _loader(boto3.session.Session()) is not _loader(boto3.session.Session())


def test_a_client_changes_the_shared_model_in_place_so_servers_must_not_share(shared: None) -> None:
    """Why the endpoint does not call share(): an S3 client's first call rewrites the loaded model's
    requestUri in place (botocore.handlers.remove_bucket_from_url_paths_from_model), and with one
    Loader a server reading the S3 model afterwards would see the client's version."""
    s3 = boto3.session.Session().client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(s3) as stub:  # answers before anything is sent, after botocore built the request
        stub.add_response("delete_bucket", {}, {"Bucket": "any-bucket"})
        s3.delete_bucket(Bucket="any-bucket")
    later = botocore.session.Session().get_service_model("s3").operation_model("DeleteBucket")
    assert later.http["requestUri"] == ""  # a fresh model says "/{Bucket}"
    botocore.session.create_loader = botocore.loaders.create_loader
    fresh = botocore.session.Session().get_service_model("s3").operation_model("DeleteBucket")
    assert fresh.http["requestUri"] == "/{Bucket}"
