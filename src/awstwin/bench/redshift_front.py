"""What the Redshift front costs: the same work straight to Postgres and through the front, and the
front's own COPY from S3 and UNLOAD (an in-process endpoint is the S3)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import psycopg2

from awstwin.core.ports import free_port

ROUND_TRIPS = 2000
ROWS = 200_000


def _timed(action) -> float:  # noqa: ANN001
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _work(connection) -> dict[str, float]:  # noqa: ANN001
    """Round trips, a pass-through COPY FROM STDIN and a large SELECT on one connection."""
    cursor = connection.cursor()
    trips = _timed(lambda: [cursor.execute("SELECT 1") or cursor.fetchall() for _ in range(ROUND_TRIPS)])
    cursor.execute("CREATE TEMP TABLE bench (id INT, name VARCHAR(20), score NUMERIC(6,2), day DATE)")
    data = "".join(f"{i},name{i},{i % 1000}.5,2024-01-{i % 28 + 1:02d}\n" for i in range(ROWS))
    copy = _timed(lambda: cursor.copy_expert("COPY bench FROM STDIN WITH (FORMAT csv)", io.StringIO(data)))
    select = _timed(lambda: cursor.execute("SELECT * FROM bench") or cursor.fetchall())
    return {
        "roundtrip_ms": trips / ROUND_TRIPS * 1000,
        "copy_stdin_rows_per_second": ROWS / copy,
        "select_rows_per_second": ROWS / select,
    }


def _connect_when_up(port: int, warehouse):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + 60
    while True:
        try:
            return psycopg2.connect(
                host="127.0.0.1", port=port, user=warehouse.user, password=warehouse.password, dbname="dev"
            )
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def measure() -> dict[str, float]:
    from awstwin.core.config import EndpointSettings
    from awstwin.endpoint.server import EndpointServer
    from awstwin.warehouse import Warehouse

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    folder = Path(tempfile.mkdtemp(prefix="awstwin-bench-rs-"))
    folder.chmod(0o755)
    endpoint = EndpointServer(EndpointSettings(host="127.0.0.1", port=0, state_dir=folder / "s3")).start()
    warehouse = Warehouse(folder / "wh", port=0, settings={"fsync": "off"}).start()
    port = free_port()
    env = {**os.environ, "AWSTWIN_WAREHOUSE_PASSWORD": warehouse.password, "AWS_ENDPOINT_URL": endpoint.url}
    front = subprocess.Popen(  # its own process, as the stacks run it (no GIL shared with the client)
        [
            sys.executable,
            "-m",
            "awstwin.redshift",
            "--port",
            str(port),
            "--backend-port",
            str(warehouse.port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    found: dict[str, float] = {}
    try:
        direct = warehouse.connect()
        for name, value in _work(direct).items():
            found[f"redshift_front.direct_{name}"] = value
        direct.close()
        through = _connect_when_up(port, warehouse)
        through.autocommit = True
        for name, value in _work(through).items():
            found[f"redshift_front.front_{name}"] = value
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        s3.create_bucket(Bucket="bench")
        cursor = through.cursor()
        cursor.execute("TRUNCATE bench")
        data = "".join(f"{i},name{i},{i % 1000}.5,2024-01-{i % 28 + 1:02d}\n" for i in range(ROWS))
        s3.put_object(Bucket="bench", Key="in/data.csv", Body=data.encode())
        seconds = _timed(
            lambda: cursor.execute("COPY bench FROM 's3://bench/in/' IAM_ROLE 'arn:aws:iam::1:role/r' CSV")
        )
        found["redshift_front.copy_s3_rows_per_second"] = ROWS / seconds
        seconds = _timed(
            lambda: cursor.execute(
                "UNLOAD ('SELECT * FROM bench') TO 's3://bench/out/' IAM_ROLE 'arn:aws:iam::1:role/r' PARQUET"
            )
        )
        found["redshift_front.unload_parquet_rows_per_second"] = ROWS / seconds
        through.close()
    finally:
        front.terminate()
        front.wait(timeout=30)
        warehouse.stop()
        endpoint.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return found


if __name__ == "__main__":
    for metric, number in measure().items():
        print(f"{metric:55s} {number:12.2f}")
