"""TagResource / UntagResource / GetTags on Glue ARNs, and Tags given at creation."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.glue.tags import TagBackend

ARN = "arn:aws:glue:us-east-1:123456789012"


@pytest.fixture
def glue(aws):
    return aws("glue")


def test_tags_on_database_and_table(glue):
    db = f"db_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": db}, Tags={"team": "data"})
    assert glue.get_tags(ResourceArn=f"{ARN}:database/{db}")["Tags"] == {"team": "data"}
    glue.create_table(DatabaseName=db, TableInput={"Name": "t"})
    table_arn = f"{ARN}:table/{db}/t"
    glue.tag_resource(ResourceArn=table_arn, TagsToAdd={"pii": "no", "tier": "raw"})
    glue.untag_resource(ResourceArn=table_arn, TagsToRemove=["tier"])
    assert glue.get_tags(ResourceArn=table_arn)["Tags"] == {"pii": "no"}

    # Deleting the database forgets its tags and its tables' tags.
    glue.delete_database(Name=db)
    glue.create_database(DatabaseInput={"Name": db})
    assert glue.get_tags(ResourceArn=f"{ARN}:database/{db}")["Tags"] == {}


def test_unknown_resource_and_bad_arn(glue):
    with pytest.raises(ClientError) as caught:
        glue.get_tags(ResourceArn=f"{ARN}:database/never_created")
    assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert "never_created" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        glue.tag_resource(ResourceArn="not-an-arn", TagsToAdd={"a": "b"})
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_connection_tags(glue):
    name = f"conn-{uuid.uuid4().hex[:6]}"
    glue.create_connection(
        ConnectionInput={
            "Name": name,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://h/dev"},
        },
        Tags={"env": "local"},
    )
    assert glue.get_tags(ResourceArn=f"{ARN}:connection/{name}")["Tags"] == {"env": "local"}


def test_tags_survive_restart(tmp_path):
    def backend() -> TagBackend:
        return TagBackend(EndpointContext(settings=EndpointSettings(state_dir=tmp_path), state_dir=tmp_path))

    arn = backend().arn("job", "etl")
    backend().tag(arn, {"k": "v"})
    assert backend().tags_of(arn) == {"k": "v"}
