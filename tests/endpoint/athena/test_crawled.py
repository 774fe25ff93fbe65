"""A table the Glue crawler wrote is queryable by Athena as it is (issue 2's flow: crawl -> count)."""

from __future__ import annotations

import time
import uuid

from tests.endpoint.athena.conftest import wait


def test_crawled_csv_table_with_a_partition_is_queryable(aws, lake):
    glue = aws("glue")
    body = "Hours_Studied,Gender,Exam_Score\r\n23,Male,67\r\n19,,61\r\n"
    for day in ("2024-01-01", "2024-01-02"):
        lake.put(f"raw/student_performance/ingest_date={day}/data.csv", body)
    crawler = f"crawl-{uuid.uuid4().hex[:8]}"
    glue.create_crawler(
        Name=crawler,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName=lake.database,
        Targets={"S3Targets": [{"Path": f"s3://{lake.bucket}/raw/student_performance/"}]},
    )
    glue.start_crawler(Name=crawler)
    deadline = time.monotonic() + 60
    while (
        glue.get_crawler(Name=crawler)["Crawler"]["State"] != "READY"
        or not glue.get_tables(DatabaseName=lake.database)["TableList"]
    ):
        assert time.monotonic() < deadline, "the crawler did not finish"
        time.sleep(0.2)
    table = glue.get_tables(DatabaseName=lake.database)["TableList"][0]["Name"]
    rows = lake.rows(
        f"SELECT ingest_date, count(*), avg(exam_score), count_if(gender = '') FROM {table} "
        "GROUP BY ingest_date ORDER BY ingest_date"
    )
    assert rows == [["2024-01-01", "2", "64.0", "1"], ["2024-01-02", "2", "64.0", "1"]]


def test_workgroup_bytes_scanned_cutoff_cancels_a_big_query(lake, athena):
    lake.put("big/a.csv", "1\n" * 5_500_000)  # 11 MB, above the smallest cutoff AWS allows (10 MB)
    lake.put("small/a.csv", "1\n2\n")
    lake.ok(f"CREATE EXTERNAL TABLE big (n int) LOCATION 's3://{lake.bucket}/big/'")
    lake.ok(f"CREATE EXTERNAL TABLE small (n int) LOCATION 's3://{lake.bucket}/small/'")
    group = f"capped-{uuid.uuid4().hex[:8]}"
    athena.create_work_group(
        Name=group,
        Configuration={
            "ResultConfiguration": {"OutputLocation": lake.output},
            "BytesScannedCutoffPerQuery": 10485760,
        },
    )
    assert lake.value("SELECT sum(n) FROM small", WorkGroup=group) == "3"
    status = wait(athena, lake.start("SELECT count(*) FROM big", WorkGroup=group))["Status"]
    assert status["State"] == "CANCELLED"
    assert "Bytes scanned limit was exceeded" in status["StateChangeReason"]
    assert lake.value("SELECT count(*) FROM big") == "5500000"  # primary has no cutoff


def test_query_runtime_statistics(lake, athena):
    execution = lake.ok("SELECT x FROM UNNEST(sequence(1, 5)) AS t(x)")
    statistics = athena.get_query_runtime_statistics(QueryExecutionId=execution["QueryExecutionId"])
    assert statistics["QueryRuntimeStatistics"]["Rows"]["OutputRows"] == 5
    assert statistics["QueryRuntimeStatistics"]["Timeline"]["TotalExecutionTimeInMillis"] >= 0
