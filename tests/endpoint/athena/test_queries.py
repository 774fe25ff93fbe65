"""SELECTs compute their rows on a real engine; results land in S3 as Athena writes them."""

from __future__ import annotations

import pytest
from tests.endpoint.athena.conftest import all_rows


@pytest.fixture
def shop(lake):
    lake.put(
        "orders/o.csv",
        "1,ann,10.5,2024-01-03\n2,bob,20,2024-01-04\n3,ann,5,2024-02-01\n4,cy,7.25,2024-02-02\n",
    )
    lake.put("customers/c.csv", "ann|Paris\nbob|Oslo\ndee|Rome\n")
    lake.ok(
        f"""CREATE EXTERNAL TABLE orders (id bigint, customer string, amount double, day date)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{lake.bucket}/orders/'"""
    )
    lake.ok(
        f"""CREATE EXTERNAL TABLE customers (name string, city string)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' LOCATION 's3://{lake.bucket}/customers/'"""
    )
    return lake


def test_joins_aggregates_windows_ctes(shop):
    assert shop.rows(
        """SELECT c.city, count(*) AS n, sum(o.amount) AS total
        FROM orders o JOIN customers c ON o.customer = c.name GROUP BY c.city ORDER BY c.city"""
    ) == [["Oslo", "1", "20.0"], ["Paris", "2", "15.5"]]
    assert shop.rows(
        "SELECT o.id, c.city FROM orders o LEFT JOIN customers c ON o.customer = c.name ORDER BY o.id"
    ) == [["1", "Paris"], ["2", "Oslo"], ["3", "Paris"], ["4", None]]
    assert shop.rows(
        """SELECT id, customer, row_number() OVER (PARTITION BY customer ORDER BY day) AS nth,
                  sum(amount) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
           FROM orders ORDER BY id"""
    ) == [
        ["1", "ann", "1", "10.5"],
        ["2", "bob", "1", "30.5"],
        ["3", "ann", "2", "35.5"],
        ["4", "cy", "1", "42.75"],
    ]
    assert shop.rows(
        """WITH monthly AS (SELECT date_trunc('month', day) AS m, sum(amount) AS total FROM orders GROUP BY 1)
           SELECT date_format(m, '%Y-%m'), total FROM monthly ORDER BY 1"""
    ) == [["2024-01", "30.5"], ["2024-02", "12.25"]]


def test_trino_semantics_names_and_types(shop):
    execution = shop.ok(
        "SELECT 7 / 2, 7.0 / 2, count(*), approx_distinct(customer), customer FROM orders GROUP BY 5"
    )
    results = shop.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    columns = results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [c["Name"] for c in columns] == ["_col0", "_col1", "_col2", "_col3", "customer"]
    assert [c["Type"] for c in columns] == ["integer", "double", "bigint", "bigint", "varchar"]
    assert columns[4]["Precision"] == 2147483647 and columns[4]["CaseSensitive"] is True
    header, first = results["ResultSet"]["Rows"][:2]
    assert [d["VarCharValue"] for d in header["Data"]] == ["_col0", "_col1", "_col2", "_col3", "customer"]
    assert [d["VarCharValue"] for d in first["Data"]][:2] == ["3", "3.5"]


def test_unnest_arrays_maps_and_rendering(lake):
    rows = lake.rows("""SELECT n, x FROM UNNEST(ARRAY[10, 20]) WITH ORDINALITY AS t(x, n) ORDER BY n""")
    assert rows == [["1", "10"], ["2", "20"]]
    rendered = lake.rows(
        """SELECT ARRAY['a', 'b'], MAP(ARRAY['k'], ARRAY[1]), CAST(ROW(1, 'z') AS ROW(a integer, b varchar)),
                  TIMESTAMP '2024-05-06 07:08:09.123', DATE '2024-05-06', 1e7, 0.5e0,
                  CAST(2.5 AS decimal(10, 2)), CAST(NULL AS varchar), ''"""
    )[0]
    assert rendered == [
        "[a, b]",
        "{k=1}",
        "{a=1, b=z}",
        "2024-05-06 07:08:09.123",
        "2024-05-06",
        "1.0E7",
        "0.5",
        "2.50",
        None,
        "",
    ]


def test_result_csv_in_s3_has_a_header_every_value_quoted_and_null_empty(lake):
    execution = lake.ok("""SELECT 'a"b' AS q, CAST(NULL AS bigint) AS n, '' AS e, 1 AS one""")
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"{lake.output}{execution['QueryExecutionId']}.csv"
    key = location.split("/", 3)[3]
    body = lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read().decode()
    assert body == '"q","n","e","one"\n"a""b",,"","1"\n'
    metadata = lake.s3.get_object(Bucket=lake.bucket, Key=key + ".metadata")["Body"].read()
    assert b'"ColumnInfo"' in metadata


def test_pagination_with_next_token_and_max_results(lake):
    execution = lake.ok("SELECT x FROM UNNEST(sequence(1, 2500)) AS t(x) ORDER BY x")
    query_id = execution["QueryExecutionId"]
    first = lake.athena.get_query_results(QueryExecutionId=query_id, MaxResults=1000)
    assert len(first["ResultSet"]["Rows"]) == 1000
    assert first["ResultSet"]["Rows"][0]["Data"][0]["VarCharValue"] == "x"  # the header row
    second = lake.athena.get_query_results(
        QueryExecutionId=query_id, MaxResults=7, NextToken=first["NextToken"]
    )
    assert [r["Data"][0]["VarCharValue"] for r in second["ResultSet"]["Rows"]] == [
        str(i) for i in range(1000, 1007)
    ]
    rows = all_rows(lake.athena, query_id)
    assert len(rows) == 2501 and rows[-1] == ["2500"]
    with pytest.raises(lake.athena.exceptions.InvalidRequestException):
        lake.athena.get_query_results(QueryExecutionId=query_id, MaxResults=1001)


def test_data_scanned_counts_the_bytes_of_the_files_read(shop):
    execution = shop.ok("SELECT count(*) FROM orders")
    assert execution["Statistics"]["DataScannedInBytes"] == len(
        "1,ann,10.5,2024-01-03\n2,bob,20,2024-01-04\n3,ann,5,2024-02-01\n4,cy,7.25,2024-02-02\n"
    )
    assert shop.ok("SELECT 1")["Statistics"]["DataScannedInBytes"] == 0


def test_execution_parameters_fill_placeholders(shop):
    rows = shop.rows(
        "SELECT id FROM orders WHERE customer = ? AND amount > ? ORDER BY id",
        ExecutionParameters=["'ann'", "6"],
    )
    assert rows == [["1"]]
    status = shop.failed("SELECT id FROM orders WHERE customer = ?")
    assert status["StateChangeReason"].startswith("INVALID_PARAMETER_USAGE")


def test_information_schema_and_views(shop):
    shop.ok("CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 8")
    assert shop.rows("SELECT id FROM big_orders ORDER BY id") == [["1"], ["2"]]
    shop.ok("CREATE OR REPLACE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 15")
    assert shop.rows("SELECT id FROM big_orders") == [["2"]]
    tables = shop.rows(
        "SELECT table_name, table_type FROM information_schema.tables "
        f"WHERE table_schema = '{shop.database}' ORDER BY table_name"
    )
    assert tables == [["big_orders", "VIEW"], ["customers", "BASE TABLE"], ["orders", "BASE TABLE"]]
    view = shop.athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName=shop.database, TableName="big_orders"
    )
    assert view["TableMetadata"]["TableType"] == "VIRTUAL_VIEW"
    assert [c["Type"] for c in view["TableMetadata"]["Columns"]] == ["bigint", "double"]
    shop.ok("DROP VIEW big_orders")
    assert "TABLE_NOT_FOUND" in shop.failed("SELECT * FROM big_orders")["StateChangeReason"]


def test_date_arithmetic_on_dates_stays_a_date(shop):
    execution = shop.ok(
        "SELECT date_add('day', 1, day) AS next, date_trunc('month', day) AS m, "
        "day - interval '1' day AS prev, date_add('month', 1, DATE '2024-01-31') AS lit "
        + "FROM orders WHERE id = 1"
    )
    results = shop.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert [c["Type"] for c in results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]] == ["date"] * 4
    assert [d["VarCharValue"] for d in results["ResultSet"]["Rows"][1]["Data"]] == [
        "2024-01-04",
        "2024-01-01",
        "2024-01-02",
        "2024-02-29",
    ]


def test_unnest_several_arrays_and_rows(lake):
    assert lake.rows(
        "SELECT x, y, n FROM UNNEST(ARRAY[1, 2, 3], ARRAY['p', 'q']) WITH ORDINALITY AS t(x, y, n) ORDER BY n"
    ) == [["1", "p", "1"], ["2", "q", "2"], ["3", None, "3"]]
    rows = lake.rows(
        """SELECT id, a, b FROM (VALUES (1, ARRAY[CAST(ROW(10, 'x') AS ROW(a integer, b varchar)),
                                            CAST(ROW(20, 'y') AS ROW(a integer, b varchar))])) AS v(id, items)
           CROSS JOIN UNNEST(items) AS u(a, b) ORDER BY a"""
    )
    assert rows == [["1", "10", "x"], ["1", "20", "y"]]


def test_values_statement_names_its_columns_like_trino(lake):
    execution = lake.ok("VALUES (1, 'a'), (2, 'b')")
    rows = all_rows(lake.athena, execution["QueryExecutionId"])
    assert rows == [["_col0", "_col1"], ["1", "a"], ["2", "b"]]
