"""Athena query latency, end to end through the API (run by hand or from `make bench`; not a test).

.venv/bin/python -m tests.endpoint.athena.bench_athena [ROWS]

Measures StartQueryExecution -> SUCCEEDED (polling every 10 ms) plus the first GetQueryResults page:
a count over the real dataset (when present) and aggregates over a generated CSV of ROWS rows
(default 1,000,000) with the real 20-column schema.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import boto3
from tests.conftest import REAL_DATASET
from tests.endpoint.athena.test_real_dataset import COLUMNS

from awstwin.core.config import EndpointSettings
from awstwin.data.generator import generate
from awstwin.endpoint.server import EndpointServer

REAL = REAL_DATASET


def run(athena, sql: str, output: str) -> tuple[float, dict]:  # noqa: ANN001
    start = time.perf_counter()
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": "bench"},
        ResultConfiguration={"OutputLocation": output},
    )["QueryExecutionId"]
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.01)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    athena.get_query_results(QueryExecutionId=query_id)
    return time.perf_counter() - start, execution


def report(label: str, athena, sql: str, output: str, repeat: int = 5) -> None:  # noqa: ANN001
    times, execution = [], {}
    for _ in range(repeat):
        seconds, execution = run(athena, sql, output)
        times.append(seconds)
    stats = execution["Statistics"]
    print(
        f"{label:<46} median {statistics.median(times) * 1000:8.0f} ms  min {min(times) * 1000:8.0f} ms  "
        f"engine {stats['EngineExecutionTimeInMillis']:6d} ms  "
        f"scanned {stats['DataScannedInBytes'] / 1e6:7.1f} MB"
    )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    state = Path(tempfile.mkdtemp(prefix="awstwin-athena-bench-"))
    server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=state)).start()
    try:
        clients = {
            name: boto3.client(
                name,
                endpoint_url=server.url,
                region_name="us-east-1",
                aws_access_key_id="t",
                aws_secret_access_key="t",
            )
            for name in ("athena", "s3")
        }
        athena, s3 = clients["athena"], clients["s3"]
        s3.create_bucket(Bucket="bench-bucket")
        output = "s3://bench-bucket/results/"
        columns = ", ".join(f"{n} {t}" for n, t in COLUMNS)
        run(athena, "CREATE DATABASE bench", output)
        if REAL.exists():
            s3.upload_file(str(REAL), "bench-bucket", "real/data.csv")
            run(
                athena,
                f"CREATE EXTERNAL TABLE real ({columns}) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                "LOCATION 's3://bench-bucket/real/' TBLPROPERTIES ('skip.header.line.count'='1')",
                output,
            )
            report("real dataset: SELECT count(*)", athena, "SELECT count(*) FROM real", output)
            report("real dataset: avg(exam_score) by gender", athena, _aggregate("real"), output)
        else:
            print(f"(real dataset not found at {REAL}: skipped)")
        generated = state / "generated.csv"
        made = generate(generated, rows=rows)
        s3.upload_file(str(generated), "bench-bucket", "big/data.csv")
        run(
            athena,
            f"CREATE EXTERNAL TABLE big ({columns}) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
            "LOCATION 's3://bench-bucket/big/' TBLPROPERTIES ('skip.header.line.count'='1')",
            output,
        )
        label = f"{rows:,} rows ({made.size_bytes / 1e6:.0f} MB)"
        report(f"{label}: SELECT count(*)", athena, "SELECT count(*) FROM big", output, repeat=3)
        report(f"{label}: 20-column GROUP BY aggregate", athena, _aggregate("big"), output, repeat=3)
        report(
            f"{label}: CTAS to Parquet",
            athena,
            "CREATE TABLE big_parquet WITH (format='PARQUET') AS SELECT * FROM big",
            output,
            repeat=1,
        )
    finally:
        server.stop()


def _aggregate(table: str) -> str:
    return (
        "SELECT gender, school_type, count(*) AS n, avg(exam_score) AS mean, "
        "approx_percentile(exam_score, 0.5), max(hours_studied), sum(attendance), "
        + "count_if(teacher_quality = '') "
        f"FROM {table} GROUP BY gender, school_type ORDER BY 1, 2"
    )


if __name__ == "__main__":
    main()
