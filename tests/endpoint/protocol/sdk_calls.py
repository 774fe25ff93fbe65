"""Run by another botocore in a side environment: S3, Glue, Athena and Logs calls against the endpoint.

    <side python> sdk_calls.py <endpoint url>

Prints one JSON line (botocore's version and the protocol it speaks to Athena); any failed call or
check exits non-zero with the error. Only boto3 is imported: this runs outside the project's venv.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import boto3
import botocore


def main(url: str) -> None:
    def client(service: str):  # noqa: ANN202
        return boto3.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    tag = uuid.uuid4().hex[:8]
    s3, glue, athena, logs = client("s3"), client("glue"), client("athena"), client("logs")

    bucket = f"sdk-{tag}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data/rows.csv", Body=b"1,a\n2,b\n")
    assert s3.get_object(Bucket=bucket, Key="data/rows.csv")["Body"].read() == b"1,a\n2,b\n"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="data/")["Contents"]] == [
        "data/rows.csv"
    ]

    database = f"sdk_{tag}"
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": "rows",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv"},
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "int"}, {"Name": "name", "Type": "string"}],
                "Location": f"s3://{bucket}/data/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                    "Parameters": {"field.delim": ","},
                },
            },
        },
    )
    assert glue.get_table(DatabaseName=database, Name="rows")["Table"]["Name"] == "rows"
    names = [
        d["Name"] for page in glue.get_paginator("get_databases").paginate() for d in page["DatabaseList"]
    ]
    assert database in names

    query = athena.start_query_execution(
        QueryString="SELECT sum(id) AS total FROM rows",
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/results/"},
    )["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while True:
        state = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"]
    assert [r["Data"][0]["VarCharValue"] for r in rows] == ["total", "3"], rows

    group = f"/sdk/{tag}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello"}],
    )
    events = logs.filter_log_events(logGroupName=group)["events"]
    assert [e["message"] for e in events] == ["hello"], events

    print(json.dumps({"botocore": botocore.__version__, "athena": athena.meta.service_model.protocol}))


if __name__ == "__main__":
    main(sys.argv[1])
