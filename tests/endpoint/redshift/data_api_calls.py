"""Run in a side environment (another boto3): the Data API's round trip, printed as one JSON line.

python data_api_calls.py <endpoint url> <workgroup> <secret arn>
"""

from __future__ import annotations

import json
import sys
import time

import boto3
import botocore


def main(url: str, workgroup: str, secret: str) -> None:
    data = boto3.client(
        "redshift-data",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    where = {"WorkgroupName": workgroup, "Database": "dev", "SecretArn": secret}
    started = data.execute_statement(
        Sql="SELECT :n::INT * 2 AS twice, 'x' AS label", Parameters=[{"name": "n", "value": "21"}], **where
    )
    batch = data.batch_execute_statement(Sqls=["SELECT 1", "SELECT 2"], **where)
    for statement_id in (started["Id"], batch["Id"]):
        while data.describe_statement(Id=statement_id)["Status"] not in ("FINISHED", "FAILED", "ABORTED"):
            time.sleep(0.1)
    result = data.get_statement_result(Id=started["Id"])
    described = data.describe_statement(Id=batch["Id"])
    print(
        json.dumps(
            {
                "botocore": botocore.__version__,
                "records": result["Records"],
                "columns": [c["name"] for c in result["ColumnMetadata"]],
                "batch": [s["Status"] for s in described["SubStatements"]],
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
