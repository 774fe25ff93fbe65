"""Published Glue scripts as real job runs on the endpoint: CreateJob, StartJobRun, poll to SUCCEEDED.

- aws-samples/aws-glue-samples `examples/join_and_relationalize.py` (legislators: crawl JSON, join,
  write Parquet three ways, relationalize, load every table through a Glue connection);
- aws-samples/aws-glue-samples `examples/data_cleaning_and_lambda.py` (medicare: a choice column cast,
  a Spark UDF, apply_mapping into nested structs, Parquet);
- LocalStack's `glue-etl-jobs` sample pattern: catalog tables backed by a JDBC connection
  (`connectionName`, Location `database.table`), read from the warehouse, joined and loaded back.
The scripts below are our own, making the same calls as those samples (which are not copied here);
the data is made by the tests in the endpoint's S3 and the local warehouse. Each run is a one-shot
Spark process.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.endpoint.glue.jobruns import wait_run

pytestmark = pytest.mark.spark  # every test runs a Glue Spark job

BUCKET = "glue-sample-target"
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
GLUE_PARQUET = re.compile(r"^run-\d{13}-part-block-0-r-\d{5}-snappy\.parquet$")


def run_job(aws: Callable[[str], Any], name: str, script: str, connections: list[str] | None = None) -> dict:
    key = f"scripts/{name}.py"
    aws("s3").put_object(Bucket=BUCKET, Key=key, Body=textwrap.dedent(script).encode())
    extra = {"Connections": {"Connections": connections}} if connections else {}
    aws("glue").create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/{key}"},
        **extra,
    )
    run_id = aws("glue").start_job_run(JobName=name)["JobRunId"]
    run = wait_run(aws("glue"), name, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    return run


def data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))


def parquet_rows(folder: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in data_files(folder):
        rows.extend(pq.read_table(io.BytesIO(path.read_bytes())).to_pylist())
    return rows


@pytest.fixture(scope="module")
def s3_root(endpoint: Any) -> Path:
    return endpoint.endpoint.context.s3_root


@pytest.fixture(scope="module")
def target(aws: Callable[[str], Any]) -> Callable[[str], Any]:
    aws("s3").create_bucket(Bucket=BUCKET)
    return aws


def new_database(warehouse: Any, name: str) -> None:
    connection = warehouse.connect()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()


def query(warehouse: Any, database: str, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def glue_connection(aws: Callable[[str], Any], warehouse: Any, name: str, database: str) -> None:
    url = warehouse.jdbc_url.rsplit("/", 1)[0] + f"/{database}"
    aws("glue").create_connection(
        ConnectionInput={
            "Name": name,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": url.replace("jdbc:postgresql:", "jdbc:redshift:"),
                "USERNAME": warehouse.user,
                "PASSWORD": warehouse.password,
            },
        }
    )


# -- join_and_relationalize ------------------------------------------------------------------------
PERSONS = [
    {
        "id": "f4fc30ee",
        "name": "Mike Ross",
        "given_name": "Mike",
        "family_name": "Ross",
        "gender": "male",
        "birth_date": "1961-08-02",
        "image": "https://example.org/ross.jpg",
        "links": [{"note": "wikipedia", "url": "https://en.wikipedia.org/wiki/Mike_Ross"}],
        "images": [{"url": "https://example.org/ross.jpg"}],
        "identifiers": [{"scheme": "bioguide", "identifier": "R000573"}],
        "other_names": [{"lang": "en", "name": "Michael Ross", "note": "alternate"}],
        "contact_details": [
            {"type": "fax", "value": ""},
            {"type": "", "value": "202-225-1314"},
            {"type": "twitter", "value": "MikeRossUpdates"},
        ],
    },
    {
        "id": "e3c60f34",
        "name": "Shelley Capito",
        "given_name": "Shelley",
        "family_name": "Capito",
        "gender": "female",
        "birth_date": "1953-11-26",
        "death_date": None,
        "links": [{"note": "website", "url": "https://capito.senate.gov"}],
        "identifiers": [{"scheme": "bioguide", "identifier": "C001047"}],
        "contact_details": [{"type": "phone", "value": "202-225-2711"}],
    },
    {
        "id": "a0000001",
        "name": "No Contacts",
        "given_name": "No",
        "family_name": "Contacts",
        "gender": "male",
    },
]
MEMBERSHIPS = [
    {"person_id": "f4fc30ee", "organization_id": "house", "role": "member", "start_date": "2001-01-03"},
    {"person_id": "f4fc30ee", "organization_id": "party/democrat", "role": "member"},
    {"person_id": "e3c60f34", "organization_id": "senate", "role": "member", "start_date": "2015-01-03"},
    {"person_id": "e3c60f34", "organization_id": "house", "role": "member", "end_date": "2015-01-03"},
    {"person_id": "a0000001", "organization_id": "house", "role": "member"},
    {"person_id": "nobody", "organization_id": "house", "role": "member"},
]
ORGANIZATIONS = [
    {
        "id": "house",
        "name": "House of Representatives",
        "classification": "legislature",
        "seats": 435,
        "type": "lower house",
        "identifiers": [{"scheme": "wikidata", "identifier": "Q11701"}],
    },
    {
        "id": "senate",
        "name": "Senate",
        "classification": "legislature",
        "seats": 100,
        "type": "upper house",
        "other_names": [{"lang": "fr", "name": "Sénat", "note": "multilingual"}],
    },
    {
        "id": "party/democrat",
        "name": "Democrat",
        "classification": "party",
        "links": [{"note": "website", "url": "https://democrats.org"}],
        "image": "https://example.org/d.png",
    },
]

JOIN_AND_RELATIONALIZE = """
import sys
from awsglue.transforms import Join
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

glue_context = GlueContext(SparkContext.getOrCreate())
database = "legislators"
history_dir = "s3://glue-sample-target/output-dir/legislator_history"
single_dir = "s3://glue-sample-target/output-dir/legislator_single"
partitioned_dir = "s3://glue-sample-target/output-dir/legislator_part"
temp_dir = "s3://glue-sample-target/temp-dir/"

persons = glue_context.create_dynamic_frame.from_catalog(database=database, table_name="persons_json")
memberships = glue_context.create_dynamic_frame.from_catalog(
    database=database, table_name="memberships_json"
)
orgs = glue_context.create_dynamic_frame.from_catalog(database=database, table_name="organizations_json")

orgs = orgs.drop_fields(["other_names", "identifiers"])
orgs = orgs.rename_field("id", "org_id").rename_field("name", "org_name")
history = Join.apply(
    orgs, Join.apply(persons, memberships, "id", "person_id"), "org_id", "organization_id"
).drop_fields(["person_id", "org_id"])
print("history rows", history.count())

glue_context.write_dynamic_frame.from_options(
    frame=history, connection_type="s3", connection_options={"path": history_dir}, format="parquet"
)
history.toDF().repartition(1).write.parquet(single_dir)
history.toDF().write.parquet(partitioned_dir, partitionBy=["org_name"])

tables = history.relationalize("hist_root", temp_dir)
for name in tables.keys():
    print("loading", name)
    glue_context.write_dynamic_frame.from_jdbc_conf(
        frame=tables.select(name),
        catalog_connection="redshift3",
        connection_options={"dbtable": name, "database": "testdb"},
        redshift_tmp_dir=temp_dir,
    )
"""


def test_join_and_relationalize_sample_runs_as_a_job(
    target: Callable[[str], Any], warehouse: Any, s3_root: Path
) -> None:
    aws = target
    source = "awsglue-datasets"
    aws("s3").create_bucket(Bucket=source)
    for table, records in (
        ("persons", PERSONS),
        ("memberships", MEMBERSHIPS),
        ("organizations", ORGANIZATIONS),
    ):
        body = "\n".join(json.dumps(r) for r in records) + "\n"
        aws("s3").put_object(
            Bucket=source, Key=f"us-legislators/all/{table}_json/{table}.json", Body=body.encode()
        )
    glue = aws("glue")
    glue.create_database(DatabaseInput={"Name": "legislators"})
    glue.create_crawler(
        Name="legislators",
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName="legislators",
        Targets={"S3Targets": [{"Path": f"s3://{source}/us-legislators/all/"}]},
    )
    glue.start_crawler(Name="legislators")
    deadline = time.time() + 120
    while True:
        crawler = glue.get_crawler(Name="legislators")["Crawler"]
        if crawler["State"] == "READY" and "LastCrawl" in crawler:
            break
        assert time.time() < deadline, "crawler did not finish"
        time.sleep(0.5)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    tables = {t["Name"] for t in glue.get_tables(DatabaseName="legislators")["TableList"]}
    assert {"persons_json", "memberships_json", "organizations_json"} <= tables
    new_database(warehouse, "testdb")
    glue_connection(aws, warehouse, "redshift3", "testdb")

    run_job(aws, "join_and_relationalize", JOIN_AND_RELATIONALIZE)

    output = s3_root / BUCKET / "output-dir"
    history = parquet_rows(output / "legislator_history")
    # every membership whose person and organization exist: 5 of 6
    assert len(history) == 5
    assert all(GLUE_PARQUET.match(p.name) for p in data_files(output / "legislator_history"))
    single = data_files(output / "legislator_single")
    assert len(single) == 1 and single[0].name.startswith("part-00000-")  # plain Spark keeps its names
    assert sorted(p.name for p in (output / "legislator_part").iterdir() if p.is_dir()) == [
        "org_name=Democrat",
        "org_name=House of Representatives",
        "org_name=Senate",
    ]
    loaded = {
        name
        for (name,) in query(
            warehouse,
            "testdb",
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
    }
    assert {"hist_root", "hist_root_contact_details", "hist_root_links", "hist_root_identifiers"} <= loaded
    assert query(warehouse, "testdb", "SELECT count(*) FROM hist_root") == [(5,)]
    # Mike Ross holds two memberships: each history row keys its own copy of his contact details
    contacts = query(
        warehouse,
        "testdb",
        'SELECT r.org_name, c."index", c."contact_details.val.type", c."contact_details.val.value" '
        "FROM hist_root r JOIN hist_root_contact_details c ON c.id = r.contact_details "
        "WHERE r.given_name = 'Mike' ORDER BY r.org_name, c.\"index\"",
    )
    assert contacts == [
        ("Democrat", 0, "fax", ""),
        ("Democrat", 1, "", "202-225-1314"),
        ("Democrat", 2, "twitter", "MikeRossUpdates"),
        ("House of Representatives", 0, "fax", ""),
        ("House of Representatives", 1, "", "202-225-1314"),
        ("House of Representatives", 2, "twitter", "MikeRossUpdates"),
    ]
    assert query(warehouse, "testdb", "SELECT count(*) FROM hist_root_contact_details") == [(3 + 3 + 1 + 1,)]


# -- data_cleaning_and_lambda ----------------------------------------------------------------------
MEDICARE_HEADER = (
    "DRG Definition,Provider Id,Provider Name,Provider Street Address,Provider City,Provider State,"
    "Provider Zip Code,Hospital Referral Region Description,Total Discharges,Average Covered Charges,"
    "Average Total Payments,Average Medicare Payments"
)
MEDICARE_ROWS = [
    "039 - EXTRACRANIAL PROCEDURES W/O CC/MCC,10001,SOUTHEAST ALABAMA MEDICAL CENTER,1108 ROSS CLARK CIRCLE,"
    "DOTHAN,AL,36301,AL - Dothan,91,$32963.07,$5777.24,$4763.73",
    "039 - EXTRACRANIAL PROCEDURES W/O CC/MCC,10005,MARSHALL MEDICAL CENTER SOUTH,2505 U S HIGHWAY 431 NORTH,"
    "BOAZ,AL,35957,AL - Birmingham,14,$15131.85,$5787.57,$4976.71",
    "948 - SIGNS & SYMPTOMS W/O MCC,ABCDEF,FAKE HOSPITAL,1 FAKE STREET,MONTGOMERY,AL,36116,AL - Montgomery,"
    "11,$11494.17,$3897.71,$2876.31",
    "948 - SIGNS & SYMPTOMS W/O MCC,BCD,FAKE HOSPITAL 2,2 FAKE STREET,MONTGOMERY,AL,36116,AL - Montgomery,"
    "12,$12122.10,$4015.22,$2905.83",
]

DATA_CLEANING_AND_LAMBDA = """
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from pyspark.sql.functions import udf
from pyspark.sql.types import StringType

glue_context = GlueContext(SparkContext.getOrCreate())
output_dir = "s3://glue-sample-target/output-dir/medicare_parquet"

medicare = glue_context.create_dynamic_frame.from_catalog(database="payments", table_name="medicare")
medicare.printSchema()  # `provider id` is a choice of long and string
medicare_res = medicare.resolveChoice(specs=[("provider id", "cast:long")])
medicare_df = medicare_res.toDF().where("`provider id` is NOT NULL")

drop_dollar = udf(lambda value: value[1:], StringType())
medicare_df = (
    medicare_df.withColumn("ACC", drop_dollar(medicare_df["average covered charges"]))
    .withColumn("ATP", drop_dollar(medicare_df["average total payments"]))
    .withColumn("AMP", drop_dollar(medicare_df["average medicare payments"]))
)
medicare_tmp = DynamicFrame.fromDF(medicare_df, glue_context, "nested")
medicare_nest = medicare_tmp.apply_mapping([
    ("drg definition", "string", "drg", "string"),
    ("provider id", "long", "provider.id", "long"),
    ("provider name", "string", "provider.name", "string"),
    ("provider city", "string", "provider.city", "string"),
    ("provider state", "string", "provider.state", "string"),
    ("provider zip code", "long", "provider.zip", "long"),
    ("hospital referral region description", "string", "rr", "string"),
    ("ACC", "string", "charges.covered", "double"),
    ("ATP", "string", "charges.total_pay", "double"),
    ("AMP", "string", "charges.medicare_pay", "double"),
])
glue_context.write_dynamic_frame.from_options(
    frame=medicare_nest, connection_type="s3", connection_options={"path": output_dir}, format="parquet"
)
"""


def test_data_cleaning_and_lambda_sample_runs_as_a_job(target: Callable[[str], Any], s3_root: Path) -> None:
    aws = target
    body = MEDICARE_HEADER + "\n" + "\n".join(MEDICARE_ROWS) + "\n"
    aws("s3").put_object(
        Bucket=BUCKET, Key="input/medicare/Medicare_Hospital_Provider.csv", Body=body.encode()
    )
    # the table as the crawler wrote it on AWS (it sampled only numeric provider ids)
    names = [n.lower() for n in MEDICARE_HEADER.split(",")]
    types = {"provider id": "bigint", "provider zip code": "bigint", "total discharges": "bigint"}
    aws("glue").create_database(DatabaseInput={"Name": "payments"})
    aws("glue").create_table(
        DatabaseName="payments",
        TableInput={
            "Name": "medicare",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Location": f"s3://{BUCKET}/input/medicare/",
                "Columns": [{"Name": n, "Type": types.get(n, "string")} for n in names],
                "SerdeInfo": {"SerializationLibrary": LAZY, "Parameters": {"field.delim": ","}},
            },
        },
    )
    run = run_job(aws, "data_cleaning_and_lambda", DATA_CLEANING_AND_LAMBDA)
    events = aws("logs").get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run["Id"])[
        "events"
    ]
    printed = "\n".join(e["message"] for e in events)
    assert "|-- provider id: choice" in printed

    rows = sorted(
        parquet_rows(s3_root / BUCKET / "output-dir" / "medicare_parquet"), key=lambda r: r["provider"]["id"]
    )
    assert [r["provider"] for r in rows] == [
        {
            "id": 10001,
            "name": "SOUTHEAST ALABAMA MEDICAL CENTER",
            "city": "DOTHAN",
            "state": "AL",
            "zip": 36301,
        },
        {"id": 10005, "name": "MARSHALL MEDICAL CENTER SOUTH", "city": "BOAZ", "state": "AL", "zip": 35957},
    ]
    assert rows[0]["charges"] == {"covered": 32963.07, "total_pay": 5777.24, "medicare_pay": 4763.73}
    assert rows[0]["drg"].startswith("039") and rows[0]["rr"] == "AL - Dothan"


# -- LocalStack's glue-etl-jobs pattern: JDBC-backed catalog tables -------------------------------
JDBC_TABLES_JOB = """
from awsglue.transforms import Join
from pyspark.context import SparkContext
from awsglue.context import GlueContext

glue_context = GlueContext(SparkContext.getOrCreate())
persons = glue_context.create_dynamic_frame.from_catalog(
    database="legislators_jdbc", table_name="persons_json"
)
memberships = glue_context.create_dynamic_frame.from_catalog(
    database="legislators_jdbc", table_name="memberships_json"
)
orgs = glue_context.create_dynamic_frame.from_catalog(
    database="legislators_jdbc", table_name="organizations_json"
)
orgs = orgs.drop_fields(["other_names", "identifiers"])
orgs = orgs.rename_field("id", "org_id").rename_field("name", "org_name")
history = Join.apply(
    orgs, Join.apply(persons, memberships, "id", "person_id"), "org_id", "organization_id"
).drop_fields(["person_id", "org_id"])
glue_context.write_dynamic_frame.from_options(
    frame=history,
    connection_type="s3",
    connection_options={"path": "s3://glue-sample-target/output-dir/jdbc_history"},
    format="parquet",
)
tables = history.relationalize("hist_root", "s3://glue-sample-target/temp-dir/")
for name in tables.keys():
    glue_context.write_dynamic_frame.from_jdbc_conf(
        frame=tables.select(name),
        catalog_connection="glue-etl-cluster1-connection",
        connection_options={"dbtable": name, "database": "test"},
        redshift_tmp_dir="s3://glue-sample-target/temp-dir/",
    )
"""


def test_jdbc_backed_catalog_tables_localstack_pattern(
    target: Callable[[str], Any], warehouse: Any, s3_root: Path
) -> None:
    aws = target
    new_database(warehouse, "test")
    with warehouse.connect("test") as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE persons (id varchar, name varchar)")
        cursor.execute("CREATE TABLE organizations (org_id varchar, org_name varchar)")
        cursor.execute("CREATE TABLE memberships (person_id varchar, organization_id varchar)")
        cursor.execute("INSERT INTO persons VALUES ('p1', 'person 1'), ('p2', 'person 2')")
        cursor.execute("INSERT INTO organizations VALUES ('o1', 'org1'), ('o2', 'org2')")
        cursor.execute(
            "INSERT INTO memberships VALUES ('p1', 'o1'), ('p2', 'o1'), ('p2', 'o2'), ('p3', 'o1')"
        )
        cursor.execute(
            "CREATE TABLE hist_root (id varchar, name varchar, org_id varchar, org_name varchar, "
            "person_id varchar, organization_id varchar)"
        )
        connection.commit()
    glue_connection(aws, warehouse, "glue-etl-cluster1-connection", "test")
    glue = aws("glue")
    glue.create_database(DatabaseInput={"Name": "legislators_jdbc"})
    for table in ("memberships", "persons", "organizations"):
        glue.create_table(
            DatabaseName="legislators_jdbc",
            TableInput={
                "Name": f"{table}_json",
                "Parameters": {"connectionName": "glue-etl-cluster1-connection"},
                "StorageDescriptor": {"Location": f"test.{table}"},
            },
        )

    run_job(aws, "jdbc_tables", JDBC_TABLES_JOB, connections=["glue-etl-cluster1-connection"])

    loaded = query(
        warehouse, "test", "SELECT id, name, org_name, organization_id FROM hist_root ORDER BY 1, 3"
    )
    assert loaded == [
        ("p1", "person 1", "org1", "o1"),
        ("p2", "person 2", "org1", "o1"),
        ("p2", "person 2", "org2", "o2"),
    ]
    history = parquet_rows(s3_root / BUCKET / "output-dir" / "jdbc_history")
    assert sorted((r["id"], r["org_name"]) for r in history) == [
        ("p1", "org1"),
        ("p2", "org1"),
        ("p2", "org2"),
    ]


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Any]:
    """A warehouse of this module's own: the samples create databases in it."""
    import shutil
    import tempfile

    from awstwin.warehouse import Warehouse

    folder = Path(tempfile.mkdtemp(prefix="awstwin-samples-warehouse-"))
    server = Warehouse(folder, port=0, settings={"fsync": "off"}).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
