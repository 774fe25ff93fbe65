"""Buckets: create/head/delete, location, and the settings CloudFormation-style provisioning sets."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def code(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_lifecycle(s3, tree):
    s3.create_bucket(Bucket="life-cycle", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert (tree / "life-cycle").is_dir()
    assert "life-cycle" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_location(Bucket="life-cycle")["LocationConstraint"] == "eu-central-1"
    assert s3.head_bucket(Bucket="life-cycle")["BucketRegion"] == "eu-central-1"
    with pytest.raises(ClientError) as caught:
        s3.create_bucket(Bucket="life-cycle")
    assert code(caught) == ("BucketAlreadyOwnedByYou", 409)
    s3.put_object(Bucket="life-cycle", Key="k", Body=b"1")
    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket="life-cycle")
    assert code(caught) == ("BucketNotEmpty", 409)
    # AWS's own text; which key is still there goes to the endpoint's log
    assert caught.value.response["Error"]["Message"] == "The bucket you tried to delete is not empty"
    s3.delete_object(Bucket="life-cycle", Key="k")
    s3.delete_bucket(Bucket="life-cycle")
    assert not (tree / "life-cycle").exists()
    with pytest.raises(ClientError) as caught:
        s3.head_bucket(Bucket="life-cycle")
    assert code(caught) == ("404", 404)
    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket="life-cycle")
    assert code(caught) == ("NoSuchBucket", 404)


def test_us_east_1_location_is_empty_and_spark_only_leftovers_do_not_block_delete(s3, bucket, tree):
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None
    (tree / bucket / "out" / "_temporary").mkdir(parents=True)
    (tree / bucket / "out" / "_temporary" / "x").write_bytes(b"x")
    s3.delete_bucket(Bucket=bucket)
    assert not (tree / bucket).exists()


@pytest.mark.parametrize("name", ["ab", "Upper-Case", "under_score", "-dash", "192.168.1.1", "a..b"])
def test_invalid_bucket_names(aws, name):
    # Skip botocore's own checks so the server's are what answers.
    unchecked = aws("s3", config=Config(parameter_validation=False, s3={"addressing_style": "path"}))
    with pytest.raises(ClientError) as caught:
        unchecked.create_bucket(Bucket=name)
    assert code(caught) == ("InvalidBucketName", 400)


def test_a_folder_made_by_another_tool_is_a_bucket(s3, tree):
    (tree / "made-by-spark").mkdir()
    (tree / "made-by-spark" / "f.txt").write_bytes(b"hi")
    assert "made-by-spark" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_object(Bucket="made-by-spark", Key="f.txt")["Body"].read() == b"hi"


def test_bucket_tagging(s3, bucket):
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code(caught) == ("NoSuchTagSet", 404)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "local"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "env", "Value": "local"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_bucket_encryption(s3, bucket):
    default = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert default["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    rule = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"},
        "BucketKeyEnabled": True,
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"] == [rule]
    s3.delete_bucket_encryption(Bucket=bucket)


def test_public_access_block(s3, bucket):
    with pytest.raises(ClientError) as caught:
        s3.get_public_access_block(Bucket=bucket)
    assert code(caught) == ("NoSuchPublicAccessBlockConfiguration", 404)
    config = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == config
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_public_access_block(Bucket=bucket)


def test_bucket_policy(s3, bucket):
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket=bucket)
    assert code(caught) == ("NoSuchBucketPolicy", 404)
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket=bucket, Policy="{not json")
    assert code(caught) == ("MalformedPolicy", 400)
    s3.delete_bucket_policy(Bucket=bucket)


def test_versioning_setting_is_stored(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_bucket_acl_reports_the_owner(s3, bucket):
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
