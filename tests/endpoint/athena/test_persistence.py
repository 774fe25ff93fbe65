"""Query history, results and workgroups survive a restart of the endpoint on the same state dir."""

from __future__ import annotations

import time

from tests.conftest import clients_for
from tests.endpoint.athena.conftest import all_rows, wait

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer


def _clients(server):
    make = clients_for(server.url)
    return make("athena"), make("s3")


def test_history_results_and_workgroups_survive_a_restart(tmp_path):
    output = "s3://persisted-bucket/results/"
    server = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)).start()
    try:
        athena, s3 = _clients(server)
        s3.create_bucket(Bucket="persisted-bucket")
        s3.put_object(Bucket="persisted-bucket", Key="t/a.csv", Body=b"1\n2\n3\n")
        athena.create_work_group(
            Name="kept", Configuration={"ResultConfiguration": {"OutputLocation": output}}
        )

        def run(sql):
            query_id = athena.start_query_execution(QueryString=sql, WorkGroup="kept")["QueryExecutionId"]
            assert wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
            return query_id

        run("CREATE DATABASE kept_db")
        run("CREATE EXTERNAL TABLE kept_db.t (n int) LOCATION 's3://persisted-bucket/t/'")
        summed = run("SELECT sum(n) AS total FROM kept_db.t")
        athena.create_named_query(Name="q", Database="kept_db", QueryString="SELECT 1", WorkGroup="kept")
        slow = athena.start_query_execution(
            QueryString="SELECT count(*) FROM UNNEST(sequence(1, 100000)) a(x) "
            "CROSS JOIN UNNEST(sequence(1, 100000)) b(y) WHERE (x * y) % 1000003 = 7",
            WorkGroup="kept",
        )["QueryExecutionId"]
        deadline = time.monotonic() + 20
        while (
            athena.get_query_execution(QueryExecutionId=slow)["QueryExecution"]["Status"]["State"]
            != "RUNNING"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        server.stop()

    again = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path)).start()
    try:
        athena, _ = _clients(again)
        group = athena.get_work_group(WorkGroup="kept")["WorkGroup"]
        assert group["Configuration"]["ResultConfiguration"]["OutputLocation"] == output
        execution = athena.get_query_execution(QueryExecutionId=summed)["QueryExecution"]
        assert (
            execution["Status"]["State"] == "SUCCEEDED" and execution["Statistics"]["DataScannedInBytes"] == 6
        )
        assert all_rows(athena, summed) == [["total"], ["6"]]
        assert summed in athena.list_query_executions(WorkGroup="kept")["QueryExecutionIds"]
        assert athena.list_named_queries(WorkGroup="kept")["NamedQueryIds"]
        cut_off = athena.get_query_execution(QueryExecutionId=slow)["QueryExecution"]["Status"]
        assert cut_off["State"] == "FAILED"
        assert "endpoint stopped" in cut_off["StateChangeReason"] and cut_off["AthenaError"]["Retryable"]
        query_id = athena.start_query_execution(QueryString="SELECT max(n) FROM kept_db.t", WorkGroup="kept")[
            "QueryExecutionId"
        ]
        wait(athena, query_id)
        assert all_rows(athena, query_id)[1] == ["3"]
    finally:
        again.stop()
