"""With S3 elsewhere (LocalStack in the compose stack), Athena reads and writes through the S3 API."""

from __future__ import annotations

from typing import Any

from tests.conftest import clients_for
from tests.endpoint.athena.conftest import all_rows, wait

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.server import EndpointServer


def _client(service, server) -> Any:
    return clients_for(server.url)(service)


def test_athena_over_an_external_s3(tmp_path):
    storage = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path / "s3")).start()
    athena_side = EndpointServer(
        EndpointSettings(host="127.0.0.1", port=0, state_dir=tmp_path / "athena", external_s3_url=storage.url)
    ).start()
    try:
        s3, athena = _client("s3", storage), _client("athena", athena_side)
        s3.create_bucket(Bucket="external-bucket")
        s3.put_object(Bucket="external-bucket", Key="t/dt=1/a.csv", Body=b"1\n2\n")
        s3.put_object(Bucket="external-bucket", Key="t/dt=2/a.csv", Body=b"5\n")

        def run(sql):
            query_id = athena.start_query_execution(
                QueryString=sql, ResultConfiguration={"OutputLocation": "s3://external-bucket/results/"}
            )["QueryExecutionId"]
            assert wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
            return query_id

        run("CREATE DATABASE ext")
        run("CREATE EXTERNAL TABLE ext.t (n int) PARTITIONED BY (dt int) LOCATION 's3://external-bucket/t/'")
        run("MSCK REPAIR TABLE ext.t")
        query_id = run("SELECT dt, sum(n) AS total FROM ext.t GROUP BY dt ORDER BY dt")
        assert all_rows(athena, query_id) == [["dt", "total"], ["1", "3"], ["2", "5"]]
        ctas = run("CREATE TABLE ext.copy AS SELECT n * 10 AS n FROM ext.t")
        assert all_rows(athena, run("SELECT sum(n) FROM ext.copy")) == [["_col0"], ["80"]]
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="external-bucket")["Contents"]}
        assert f"results/{query_id}.csv" in keys and f"results/{query_id}.csv.metadata" in keys
        assert any(k.startswith(f"results/tables/{ctas}/") for k in keys)
        assert not (tmp_path / "athena" / "s3").exists()  # nothing went to a local S3 tree
    finally:
        athena_side.stop()
        storage.stop()
