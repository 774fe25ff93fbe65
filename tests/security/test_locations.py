"""Tables live in S3: a LOCATION that is a host path, `file:` or `http:` URL is refused as Athena
refuses it, and no location reaches past the S3 tree (a bucket named `..`).

Athena answers such a DDL statement at submission: HTTP 400 InvalidRequestException, "Invalid
location <location> for table. Only S3 locations are allowed" (quoted in
https://github.com/awsdocs/amazon-athena-user-guide/pull/4), and documents the accepted forms at
https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from tests.security.conftest import Lake, Secrets

FOREIGN = ["file://{folder}/", "{folder}/", "http://127.0.0.1:9/data/", "hdfs://namenode/data/", "s3:////x/"]


def _submit(lake: Lake, sql: str) -> None:
    lake.athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": lake.database},
        ResultConfiguration={"OutputLocation": lake.output},
    )


@pytest.mark.parametrize("location", FOREIGN)
def test_create_external_table_outside_s3_is_refused_at_submission(
    lake: Lake, secrets: Secrets, location: str
) -> None:
    where = location.format(folder=secrets.folder)
    with pytest.raises(ClientError) as refused:
        _submit(lake, f"CREATE EXTERNAL TABLE stolen (line string) LOCATION '{where}'")
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidRequestException"
    assert error["Error"]["Message"] == f"Invalid location {where} for table. Only S3 locations are allowed"
    with pytest.raises(lake.glue.exceptions.EntityNotFoundException):
        lake.glue.get_table(DatabaseName=lake.database, Name="stolen")


def test_alter_table_and_partitions_stay_in_s3(lake: Lake, secrets: Secrets) -> None:
    lake.ok(
        f"CREATE EXTERNAL TABLE parts (line string) PARTITIONED BY (d string) LOCATION 's3://{lake.bucket}/parts/'"
    )
    for sql in (
        f"ALTER TABLE parts SET LOCATION 'file://{secrets.folder}/'",
        f"ALTER TABLE parts ADD PARTITION (d = '1') LOCATION '{secrets.folder}/'",
        f"ALTER TABLE parts PARTITION (d = '1') SET LOCATION '{secrets.folder}/'",
    ):
        with pytest.raises(ClientError) as refused:
            _submit(lake, sql)
        assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    table = lake.glue.get_table(DatabaseName=lake.database, Name="parts")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"s3://{lake.bucket}/parts/"
    assert lake.glue.get_partitions(DatabaseName=lake.database, TableName="parts")["Partitions"] == []


def test_ctas_and_unload_write_only_to_s3(lake: Lake, secrets: Secrets) -> None:
    before = sorted(secrets.folder.rglob("*"))
    status = lake.refused(
        f"CREATE TABLE out WITH (format = 'TEXTFILE', external_location = 'file://{secrets.folder}/out/') "
        "AS SELECT name FROM t",
        secrets.marker,
    )
    assert status["StateChangeReason"].startswith("INVALID_TABLE_PROPERTY: External location file://")
    status = lake.refused(
        f"UNLOAD (SELECT name FROM t) TO '{secrets.folder}/unload/' WITH (format = 'TEXTFILE')",
        secrets.marker,
    )
    assert status["StateChangeReason"].startswith("INVALID_TABLE_PROPERTY: UNLOAD location")
    assert sorted(secrets.folder.rglob("*")) == before


@pytest.mark.parametrize("location", ["{folder}/", "file://{folder}/", "s3://../", "s3://../emulator/"])
def test_a_catalog_table_pointing_outside_s3_reads_nothing(
    lake: Lake, secrets: Secrets, location: str
) -> None:
    """Glue's CreateTable takes any Location string (as on AWS); the query that reads it fails."""
    where = location.format(folder=secrets.folder)
    lake.glue.create_table(
        DatabaseName=lake.database,
        TableInput={
            "Name": "planted",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": "line", "Type": "string"}],
                "Location": where,
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
            },
        },
    )
    status = lake.refused("SELECT * FROM planted", secrets.marker)
    assert status["StateChangeReason"].startswith("HIVE_INVALID_METADATA: Invalid location")


def test_a_bucket_named_dot_dot_does_not_reach_the_state_directory(lake: Lake) -> None:
    """`s3://../x` would be the state directory itself if bucket names were not checked."""
    with pytest.raises(ClientError):
        lake.s3.get_object(Bucket="..", Key="athena/state.json")
    execution = lake.run(
        "CREATE TABLE escape WITH (format = 'TEXTFILE', external_location = 's3://../escape/') "
        "AS SELECT 1 AS a"
    )
    assert execution["Status"]["State"] == "FAILED"
    assert not (lake.state_dir / "escape").exists()
