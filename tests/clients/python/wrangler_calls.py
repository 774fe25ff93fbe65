"""awswrangler (AWS SDK for pandas) against the endpoint, the way its own tutorials use it: a Parquet
dataset written with its catalog table and partitions, the catalog read back, Athena queried with and
without the CTAS approach, the table dropped. Run by tests/clients/test_wrangler.py in the clients'
environment (AWS_ENDPOINT_URL points every client at the endpoint); prints a JSON report.

    python wrangler_calls.py <unique suffix>
"""

from __future__ import annotations

import json
import sys

import awswrangler as wr
import boto3
import pandas as pd

suffix = sys.argv[1]
bucket, database = f"wrangler-{suffix}", f"wrangler_{suffix}"
boto3.client("s3").create_bucket(Bucket=bucket)
report: dict[str, object] = {"awswrangler": wr.__version__}

frame = pd.DataFrame(
    {
        "student": ["ada", "bob", "cy", "dee"],
        "score": [90, 70, 85, 60],
        "passed": [True, True, True, False],
        "year": ["2023", "2023", "2024", "2024"],
    }
)
wr.catalog.create_database(name=database, exist_ok=True)
written = wr.s3.to_parquet(
    df=frame,
    path=f"s3://{bucket}/scores/",
    dataset=True,
    database=database,
    table="scores",
    partition_cols=["year"],
    mode="overwrite",
)
report["written_files"] = len(written["paths"])
report["partitions_written"] = sorted(written["partitions_values"])

tables = wr.catalog.tables(database=database)
report["tables"] = tables["Table"].tolist()
report["types"] = wr.catalog.get_table_types(database=database, table="scores")
report["partitions"] = sorted(
    v[0] for v in wr.catalog.get_parquet_partitions(database=database, table="scores").values()
)
report["exists"] = wr.catalog.does_table_exist(database=database, table="scores")
report["columns"] = wr.catalog.table(database=database, table="scores")["Column Name"].tolist()
# wr.catalog.databases() stops at its `limit` (100): the test endpoint is shared by the session and may
# hold more, so read every page of GetDatabases (its NextToken) as an account with many databases must
report["databases"] = database in [db["Name"] for db in wr.catalog.get_databases()]

back = wr.s3.read_parquet(path=f"s3://{bucket}/scores/", dataset=True)
report["read_parquet_rows"] = len(back)

sql = "SELECT year, count(*) AS n, sum(score) AS total FROM scores GROUP BY year ORDER BY year"
output = f"s3://{bucket}/athena/"
for ctas in (False, True):
    result = wr.athena.read_sql_query(sql, database=database, ctas_approach=ctas, s3_output=output)
    report[f"athena_ctas_{str(ctas).lower()}"] = result.astype(str).values.tolist()
    report[f"athena_ctas_{str(ctas).lower()}_dtypes"] = {k: str(v) for k, v in result.dtypes.items()}

# Appending a partition, then the catalog's partitions see it
wr.s3.to_parquet(
    df=frame.assign(year="2025"), path=f"s3://{bucket}/scores/", dataset=True, database=database,
    table="scores", partition_cols=["year"], mode="append",
)  # fmt: skip
report["partitions_after_append"] = sorted(
    v[0] for v in wr.catalog.get_parquet_partitions(database=database, table="scores").values()
)
report["count_after_append"] = int(
    wr.athena.read_sql_query("SELECT count(*) AS n FROM scores", database=database, ctas_approach=False,
                             s3_output=output)["n"][0]
)  # fmt: skip

try:
    wr.athena.to_iceberg(
        df=frame, database=database, table="scores_iceberg", temp_path=f"s3://{bucket}/iceberg-temp/",
        table_location=f"s3://{bucket}/iceberg/", s3_output=output,
    )  # fmt: skip
    report["to_iceberg"] = "written"
except Exception as exc:  # the endpoint's tables have no Iceberg format: Athena's own error
    report["to_iceberg"] = f"{type(exc).__name__}: {exc}"

report["deleted"] = wr.catalog.delete_table_if_exists(database=database, table="scores")
report["deleted_again"] = wr.catalog.delete_table_if_exists(database=database, table="scores")
print(json.dumps(report, default=str))
