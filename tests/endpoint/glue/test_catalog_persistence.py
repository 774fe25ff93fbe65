"""Stopping and restarting the endpoint on the same state dir keeps the catalog, crawlers and tags."""

from __future__ import annotations

import boto3

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer


def glue_client(server: EndpointServer):
    return boto3.client(
        "glue",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_restart_keeps_catalog_crawlers_and_tags(tmp_path):
    settings = EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)
    first = EndpointServer(settings).start()
    try:
        glue = glue_client(first)
        glue.create_database(DatabaseInput={"Name": "kept"}, Tags={"k": "v"})
        glue.create_table(
            DatabaseName="kept", TableInput={"Name": "t", "PartitionKeys": [{"Name": "dt", "Type": "string"}]}
        )
        glue.create_partition(DatabaseName="kept", TableName="t", PartitionInput={"Values": ["2024-01-01"]})
        glue.update_table(DatabaseName="kept", TableInput={"Name": "t", "Description": "v2"})
        glue.create_crawler(
            Name="c", Role="r", DatabaseName="kept", Targets={"S3Targets": [{"Path": "s3://b/p"}]}
        )
    finally:
        first.stop()

    second = EndpointServer(settings).start()
    try:
        glue = glue_client(second)
        assert glue.get_table(DatabaseName="kept", Name="t")["Table"]["Description"] == "v2"
        versions = glue.get_table_versions(DatabaseName="kept", TableName="t")["TableVersions"]
        assert [v["VersionId"] for v in versions] == ["1", "0"]
        parts = glue.get_partitions(DatabaseName="kept", TableName="t", Expression="dt='2024-01-01'")
        assert [p["Values"] for p in parts["Partitions"]] == [["2024-01-01"]]
        assert glue.get_crawler(Name="c")["Crawler"]["State"] == "READY"
        arn = "arn:aws:glue:us-east-1:123456789012:database/kept"
        assert glue.get_tags(ResourceArn=arn)["Tags"] == {"k": "v"}
    finally:
        second.stop()
