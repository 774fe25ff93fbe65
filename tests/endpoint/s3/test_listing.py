"""ListObjectsV2 and ListObjects: S3 key order, prefixes, delimiters, paging, URL encoding."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

KEYS = [
    "a.txt",
    "a/b/c.csv",
    "a/b/d.csv",
    "a/x.csv",
    "a0",
    "logs/2024/01/app.log",
    "logs/2024/02/app.log",
    "logs/readme",
    "z",
]


@pytest.fixture
def filled(s3, bucket):
    for key in reversed(KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def keys(page):
    return [c["Key"] for c in page.get("Contents", [])]


def prefixes(page):
    return [p["Prefix"] for p in page.get("CommonPrefixes", [])]


def test_keys_come_back_in_s3_byte_order(s3, filled):
    # '.' sorts before '/', which sorts before '0': a file tree walked naively gets this wrong.
    page = s3.list_objects_v2(Bucket=filled)
    assert keys(page) == sorted(KEYS) == KEYS
    assert page["KeyCount"] == len(KEYS)
    assert all(c["Size"] == len(c["Key"]) and c["StorageClass"] == "STANDARD" for c in page["Contents"])


def test_prefix_and_delimiter(s3, filled):
    top = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert keys(top) == ["a.txt", "a0", "z"]
    assert prefixes(top) == ["a/", "logs/"]
    assert top["KeyCount"] == 5
    inner = s3.list_objects_v2(Bucket=filled, Prefix="logs/", Delimiter="/")
    assert keys(inner) == ["logs/readme"] and prefixes(inner) == ["logs/2024/"]
    partial = s3.list_objects_v2(Bucket=filled, Prefix="logs/2024/0")
    assert keys(partial) == ["logs/2024/01/app.log", "logs/2024/02/app.log"]
    assert keys(s3.list_objects_v2(Bucket=filled, Prefix="a")) == [
        "a.txt",
        "a/b/c.csv",
        "a/b/d.csv",
        "a/x.csv",
        "a0",
    ]
    assert "Contents" not in s3.list_objects_v2(Bucket=filled, Prefix="nothing/")
    odd = s3.list_objects_v2(Bucket=filled, Delimiter=".")
    assert prefixes(odd) == ["a.", "a/b/c.", "a/b/d.", "a/x.", "logs/2024/01/app.", "logs/2024/02/app."]
    assert keys(odd) == ["a0", "logs/readme", "z"]


def test_paging_with_continuation_tokens_and_start_after(s3, filled):
    seen, token = [], None
    while True:
        kwargs = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=filled, MaxKeys=2, **kwargs)
        assert page["KeyCount"] <= 2
        seen += keys(page)
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == KEYS
    assert keys(s3.list_objects_v2(Bucket=filled, StartAfter="a0")) == KEYS[5:]
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=filled, Delimiter="/", PaginationConfig={"PageSize": 1}))
    assert [k for p in pages for k in keys(p)] == ["a.txt", "a0", "z"]
    assert [k for p in pages for k in prefixes(p)] == ["a/", "logs/"]


def test_list_objects_v1_markers(s3, filled):
    first = s3.list_objects(Bucket=filled, MaxKeys=3, Delimiter="/")
    assert keys(first) + prefixes(first) == ["a.txt", "a0", "a/"]
    assert first["IsTruncated"] and first["NextMarker"] == "a0"
    rest = s3.list_objects(Bucket=filled, Marker=first["NextMarker"], Delimiter="/")
    assert keys(rest) == ["z"] and prefixes(rest) == ["logs/"]
    assert all(c["Owner"]["ID"] for c in first["Contents"])
    everything = [
        k
        for p in s3.get_paginator("list_objects").paginate(Bucket=filled, PaginationConfig={"PageSize": 4})
        for k in keys(p)
    ]
    assert everything == KEYS


def test_fetch_owner_only_when_asked(s3, filled):
    assert "Owner" not in s3.list_objects_v2(Bucket=filled)["Contents"][0]
    assert s3.list_objects_v2(Bucket=filled, FetchOwner=True)["Contents"][0]["Owner"]["DisplayName"]


def test_url_encoding_type_round_trips_odd_keys(s3, bucket):
    odd = ["sp ace/a+b.csv", "ü/é%20.txt", "q?x=1&y"]
    for key in odd:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    # boto3 sends encoding-type=url and decodes the answer, as the AWS CLI does.
    assert sorted(keys(s3.list_objects_v2(Bucket=bucket))) == sorted(odd)
    assert prefixes(s3.list_objects_v2(Bucket=bucket, Delimiter="/")) == ["sp ace/", "ü/"]
    for key in odd:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"1"


def test_listing_a_missing_bucket(s3):
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket="no-such-bucket-at-all")
    assert caught.value.response["Error"]["Code"] == "NoSuchBucket"


def test_bad_continuation_token(s3, filled):
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="%%%")
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"


def test_list_object_versions_lists_the_only_version_of_each_key(s3, filled):
    page = s3.list_object_versions(Bucket=filled, Prefix="logs/")
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in page["Versions"]] == [
        ("logs/2024/01/app.log", "null", True),
        ("logs/2024/02/app.log", "null", True),
        ("logs/readme", "null", True),
    ]
    pages = list(
        s3.get_paginator("list_object_versions").paginate(Bucket=filled, PaginationConfig={"PageSize": 2})
    )
    assert [v["Key"] for p in pages for v in p.get("Versions", [])] == KEYS
