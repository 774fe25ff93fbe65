"""Custom classifiers: stored like AWS's, and custom CSV classifiers steer the crawl."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def glue(aws):
    return aws("glue")


def run(glue, endpoint, files: dict[str, str], classifiers: list[str]) -> tuple[str, dict]:
    bucket, name = f"cls-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:6]}"
    database = f"db_{uuid.uuid4().hex[:8]}"
    for key, text in files.items():
        path = endpoint.endpoint.context.s3_root / bucket / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    glue.create_crawler(
        Name=name,
        Role="r",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/data/"}]},
        Classifiers=classifiers,
    )
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + 30
    while (crawler := glue.get_crawler(Name=name)["Crawler"])["State"] != "READY":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    return database, glue.get_table(DatabaseName=database, Name="data")["Table"]


def columns(table: dict) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def test_header_present_names_the_columns_of_an_all_string_file(glue, endpoint):
    files = {"data/cities.csv": "City,Country\nparis,france\nrome,italy\n"}
    _, builtin = run(glue, endpoint, files, [])
    assert columns(builtin) == [("col0", "string"), ("col1", "string")]  # Glue's built-in rule
    name = f"hdr-{uuid.uuid4().hex[:6]}"
    glue.create_classifier(CsvClassifier={"Name": name, "Delimiter": ",", "ContainsHeader": "PRESENT"})
    _, table = run(glue, endpoint, files, [name])
    assert columns(table) == [("city", "string"), ("country", "string")]
    assert table["Parameters"]["skip.header.line.count"] == "1"


def test_header_list_quote_symbol_and_serde(glue, endpoint):
    name = f"q-{uuid.uuid4().hex[:6]}"
    glue.create_classifier(
        CsvClassifier={
            "Name": name,
            "Delimiter": ";",
            "QuoteSymbol": "'",
            "ContainsHeader": "ABSENT",
            "Header": ["Id", "Label"],
            "Serde": "OpenCSVSerDe",
        }
    )
    _, table = run(glue, endpoint, {"data/x.csv": "1;'a;b'\n2;'c'\n"}, [name])
    assert columns(table) == [("id", "bigint"), ("label", "string")]  # typed with OpenCSVSerDe too
    serde = table["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == "org.apache.hadoop.hive.serde2.OpenCSVSerde"
    assert serde["Parameters"] == {"separatorChar": ";", "quoteChar": "'"}
    assert "skip.header.line.count" not in table["Parameters"]


def test_classifier_crud_and_errors(glue, endpoint):
    name = f"crud-{uuid.uuid4().hex[:6]}"
    glue.create_classifier(CsvClassifier={"Name": name, "Delimiter": "|"})
    got = glue.get_classifier(Name=name)["Classifier"]["CsvClassifier"]
    assert (got["Delimiter"], got["Version"]) == ("|", 1)
    glue.update_classifier(CsvClassifier={"Name": name, "Delimiter": "\t"})
    got = glue.get_classifier(Name=name)["Classifier"]["CsvClassifier"]
    assert (got["Delimiter"], got["Version"]) == ("\t", 2)
    assert name in [next(iter(c.values()))["Name"] for c in glue.get_classifiers()["Classifiers"]]
    with pytest.raises(ClientError) as caught:
        glue.create_classifier(CsvClassifier={"Name": name})
    assert caught.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as caught:
        glue.create_classifier(CsvClassifier={"Name": "bad", "Delimiter": ",", "QuoteSymbol": ","})
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as caught:
        glue.create_crawler(
            Name="uses-ghost", Role="r", Targets={"S3Targets": [{"Path": "s3://b/p"}]}, Classifiers=["ghost"]
        )
    assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert "ghost" in caught.value.response["Error"]["Message"]

    grok = f"grok-{uuid.uuid4().hex[:6]}"
    glue.create_classifier(
        GrokClassifier={"Name": grok, "Classification": "logs", "GrokPattern": "%{GREEDYDATA:x}"}
    )
    database, table = run(glue, endpoint, {"data/a.csv": "id,v\n1,2\n"}, [grok])
    assert columns(table) == [("id", "bigint"), ("v", "bigint")]  # built-in classifiers did the work
    glue.delete_classifier(Name=name)
    with pytest.raises(ClientError) as caught:
        glue.get_classifier(Name=name)
    assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"
