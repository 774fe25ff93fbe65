"""Intrinsic functions, pseudo parameters, conditions, mappings, exports and dynamic references, resolved
as CloudFormation resolves them: one table row per function (in-process), then stacks that use them
all, among them a template shaped like `cdk synth` output.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.endpoint.cloudformation.helpers import FAST, create, error_of, events, outputs

from awstwin.endpoint.cloudformation.exceptions import TemplateError
from awstwin.endpoint.cloudformation.intrinsics import Resolver, check_rules
from awstwin.endpoint.cloudformation.template import parse


class Lookups:
    def availability_zones(self, region: str) -> list[str]:
        return [f"{region}a", f"{region}b"]

    def export(self, name: str) -> str:
        return {"shared-bucket": "the-bucket"}[name]

    def ssm_parameter(self, name: str) -> str:
        return {"/app/env": "prod"}[name]

    def secret(self, secret_id: str, json_key: str, stage: str, version: str) -> str:
        return {"user": "admin", "": '{"user": "admin"}'}[json_key]


def _resolver() -> Resolver:
    resolver = Resolver(
        parameters={"Env": "prod", "Subnets": ["a", "b"]},
        pseudo={"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::StackName": "s"},
        lookups=Lookups(),
        mappings={"Sizes": {"prod": {"Workers": 10}, "dev": {"Workers": 2}}},
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
    )
    resolver.refs["Bucket"] = "my-bucket"
    resolver.attributes["Bucket"] = {"Arn": "arn:aws:s3:::my-bucket"}
    return resolver


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        ("!Ref Env", "prod"),
        ("!Ref AWS::Region", "eu-west-1"),
        ("!Ref Bucket", "my-bucket"),
        ("!GetAtt Bucket.Arn", "arn:aws:s3:::my-bucket"),
        ("!Sub '${Bucket}-${AWS::AccountId}-${!Literal}'", "my-bucket-123456789012-${Literal}"),
        ("!Sub ['${A}/${Bucket.Arn}', {A: !Ref Env}]", "prod/arn:aws:s3:::my-bucket"),
        ("!Join ['-', [a, !Ref Env]]", "a-prod"),
        ("!Select [1, !Ref Subnets]", "b"),
        ("!Select [0, !Split [',', 'x,y']]", "x"),
        ("!If [IsProd, big, small]", "big"),
        ("!If [IsDev, big, small]", "small"),
        ("!FindInMap [Sizes, !Ref Env, Workers]", 10),
        ("!GetAZs ''", ["eu-west-1a", "eu-west-1b"]),
        ("!Select [0, !GetAZs us-east-1]", "us-east-1a"),
        ("!ImportValue shared-bucket", "the-bucket"),
        ("!Base64 hi", "aGk="),
        ("!Cidr [10.0.0.0/16, 2, 8]", ["10.0.0.0/24", "10.0.1.0/24"]),
        ("[a, !Ref AWS::NoValue, b]", ["a", "b"]),
        ("'{{resolve:ssm:/app/env}}'", "prod"),
        ("'{{resolve:secretsmanager:db:SecretString:user}}'", "admin"),
        ("!Sub 'user={{resolve:secretsmanager:db:SecretString:user}}'", "user=admin"),
    ],
)
def test_each_function(yaml: str, expected: Any) -> None:
    assert _resolver().resolve(parse(f"Value: {yaml}")["Value"], "Value") == expected


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("!GetAtt Nope.Arn", "Template error: instance of Fn::GetAtt references undefined resource Nope"),
        ("!GetAtt Bucket.Nope", "does not support attribute type Nope in Fn::GetAtt"),
        ("!Select [5, [a]]", "Template error: Fn::Select cannot select nonexistent value at index 5"),
        (
            "!FindInMap [Sizes, test, Workers]",
            "Template error: Unable to get mapping for Sizes::test::Workers",
        ),
        ("!Length [a]", "Template format error: Encountered unsupported function: Fn::Length"),
    ],
)
def test_each_error(yaml: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("[", r"\[")):
        _resolver().resolve(parse(f"Value: {yaml}")["Value"], "Value")


def test_rules_assertions() -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html"""
    rules = parse(
        """
ProdOnly:
  RuleCondition: !Equals [!Ref Env, prod]
  Assertions:
    - Assert: !Contains [[a, b], !Select [0, !Ref Subnets]]
    - Assert: !EachMemberIn [!Ref Subnets, [a, b, c]]
      AssertDescription: subnets must be a, b or c
"""
    )
    check_rules(rules, _resolver())
    rules["ProdOnly"]["Assertions"][1]["Assert"]["Fn::EachMemberIn"][1] = ["a"]
    with pytest.raises(TemplateError, match="subnets must be a, b or c"):
        check_rules(rules, _resolver())


EXPORTER = """
Parameters:
  Prefix: {Type: String}
Resources:
  Log:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /twin/${Prefix}
      RetentionInDays: 7
Outputs:
  Group:
    Value: !Ref Log
    Export: {Name: !Sub "${Prefix}-log-group"}
  GroupArn:
    Value: !GetAtt Log.Arn
"""

IMPORTER = """
Parameters:
  Prefix: {Type: String}
  Env:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /twin/env
  Tier:
    Type: String
    Default: small
    AllowedValues: [small, large]
Mappings:
  Workers:
    small: {Count: 2}
    large: {Count: 10}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Database:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput:
        Name: !Join ["_", [!Ref Prefix, !Ref Env, db]]
        Description: !Sub
          - "logs in ${Group}, workers ${Count}, zone ${Zone}, stack ${AWS::StackName}"
          - Group: !ImportValue {"Fn::Sub": "${Prefix}-log-group"}
            Count: !FindInMap [Workers, !Ref Tier, Count]
            Zone: !Select [0, !GetAZs ""]
        Parameters:
          owner: "{{resolve:secretsmanager:awstwin/intrinsics:SecretString:owner}}"
          prod: !If [IsProd, "yes", !Ref AWS::NoValue]
          region: !Ref AWS::Region
          stack_id: !Ref AWS::StackId
Outputs:
  Database: {Value: !Ref Database}
"""


def test_exports_imports_ssm_and_secrets_in_stacks(cfn: Any, aws: Callable[[str], Any], name: str) -> None:
    aws("ssm").put_parameter(Name="/twin/env", Value="prod", Type="String", Overwrite=True)
    secret = json.dumps({"owner": "data-team"})
    try:
        aws("secretsmanager").create_secret(Name="awstwin/intrinsics", SecretString=secret)
    except aws("secretsmanager").exceptions.ResourceExistsException:
        pass
    params = [{"ParameterKey": "Prefix", "ParameterValue": name}]
    exporter = create(cfn, f"{name}-exporter", EXPORTER, Parameters=params)
    assert outputs(exporter)["GroupArn"] == f"arn:aws:logs:us-east-1:123456789012:log-group:/twin/{name}:*"
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"/twin/{name}")["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [(f"/twin/{name}", 7)]
    exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    assert exports[f"{name}-log-group"] == f"/twin/{name}"

    importer = create(cfn, f"{name}-importer", IMPORTER, Parameters=params)
    assert importer["StackStatus"] == "CREATE_COMPLETE", events(cfn, importer["StackId"])
    resolved = {p["ParameterKey"]: p.get("ResolvedValue") for p in importer["Parameters"]}
    assert resolved["Env"] == "prod"
    database = aws("glue").get_database(Name=f"{name}_prod_db")["Database"]
    zone = aws("ec2").describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    assert database["Description"] == (f"logs in /twin/{name}, workers 2, zone {zone}, stack {name}-importer")
    assert database["Parameters"] == {
        "owner": "data-team",
        "prod": "yes",
        "region": "us-east-1",
        "stack_id": importer["StackId"],
    }
    assert cfn.list_imports(ExportName=f"{name}-log-group")["Imports"] == [f"{name}-importer"]

    # An export in use cannot go away with its stack
    cfn.delete_stack(StackName=f"{name}-exporter")
    with pytest.raises(Exception, match="DELETE_FAILED"):
        cfn.get_waiter("stack_delete_complete").wait(StackName=f"{name}-exporter", WaiterConfig=FAST)
    reason = cfn.describe_stacks(StackName=f"{name}-exporter")["Stacks"][0]["StackStatusReason"]
    assert reason == f"Export {name}-log-group cannot be deleted as it is in use by {name}-importer"
    for stack in (f"{name}-importer", f"{name}-exporter"):
        cfn.delete_stack(StackName=stack)
        cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig=FAST)
    assert aws("logs").describe_log_groups(logGroupNamePrefix=f"/twin/{name}")["logGroups"] == []


# What `cdk synth` writes for a small data stack (hand-written here in its shape): JSON, logical ids with
# hashes, aws:cdk:path metadata, the BootstrapVersion parameter read from SSM, the CDKMetadata resource
# under its region condition, and the CheckBootstrapVersion rule.
CDK_STYLE = {
    "Resources": {
        "RawBucket0C3EE094": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "Tags": [{"Key": "aws-cdk:auto-delete-objects", "Value": "false"}],
            },
            "UpdateReplacePolicy": "Retain",
            "DeletionPolicy": "Retain",
            "Metadata": {"aws:cdk:path": "DataStack/RawBucket/Resource"},
        },
        "RawBucketPolicy4C8E1B2F": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "RawBucket0C3EE094"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": "s3:*",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Resource": [
                                {"Fn::GetAtt": ["RawBucket0C3EE094", "Arn"]},
                                {"Fn::Join": ["", [{"Fn::GetAtt": ["RawBucket0C3EE094", "Arn"]}, "/*"]]},
                            ],
                        }
                    ],
                },
            },
            "Metadata": {"aws:cdk:path": "DataStack/RawBucket/Policy/Resource"},
        },
        "CatalogDatabase8E3C5F1A": {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseInput": {
                    "Name": "cdk_style_db",
                    "LocationUri": {"Fn::Join": ["", ["s3://", {"Ref": "RawBucket0C3EE094"}, "/"]]},
                },
            },
            "Metadata": {"aws:cdk:path": "DataStack/CatalogDatabase"},
        },
        "CrawlerRole9B2D4C1E": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Effect": "Allow",
                            "Principal": {"Service": "glue.amazonaws.com"},
                        }
                    ],
                    "Version": "2012-10-17",
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":iam::aws:policy/service-role/AWSGlueServiceRole",
                            ],
                        ]
                    }
                ],
            },
            "Metadata": {"aws:cdk:path": "DataStack/CrawlerRole/Resource"},
        },
        "RawCrawler6A1F3B7D": {
            "Type": "AWS::Glue::Crawler",
            "Properties": {
                "Role": {"Fn::GetAtt": ["CrawlerRole9B2D4C1E", "Arn"]},
                "DatabaseName": {"Ref": "CatalogDatabase8E3C5F1A"},
                "Targets": {
                    "S3Targets": [
                        {"Path": {"Fn::Join": ["", ["s3://", {"Ref": "RawBucket0C3EE094"}, "/raw/"]]}}
                    ]
                },
                "Schedule": {"ScheduleExpression": "cron(0 3 * * ? *)"},
            },
            "Metadata": {"aws:cdk:path": "DataStack/RawCrawler"},
        },
        "CDKMetadata": {
            "Type": "AWS::CDK::Metadata",
            "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA/zPSMzQ0MDA="},
            "Metadata": {"aws:cdk:path": "DataStack/CDKMetadata/Default"},
            "Condition": "CDKMetadataAvailable",
        },
    },
    "Outputs": {"CrawlerName": {"Value": {"Ref": "RawCrawler6A1F3B7D"}}},
    "Conditions": {
        "CDKMetadataAvailable": {
            "Fn::Or": [
                {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
            ]
        }
    },
    "Parameters": {
        "BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/cdk-bootstrap/hnb659fds/version",
            "Description": "Version of the CDK Bootstrap resources in this environment, automatically "
            "retrieved from SSM Parameter Store.",
        }
    },
    "Rules": {
        "CheckBootstrapVersion": {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Not": [
                            {"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}
                        ]
                    },
                    "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' "
                    "with a recent version of the CDK CLI.",
                }
            ]
        }
    },
}


def test_a_cdk_synthesized_template(cfn: Any, aws: Callable[[str], Any], name: str) -> None:
    """Deployed as `cdk deploy` deploys it: a change set, after `cdk bootstrap` left its version in SSM."""
    body = json.dumps(CDK_STYLE, indent=1)
    ssm = aws("ssm")
    ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="3", Type="String", Overwrite=True)
    code, message = error_of(
        lambda: cfn.create_change_set(
            StackName=name,
            ChangeSetName="cdk-deploy-change-set",
            ChangeSetType="CREATE",
            TemplateBody=body,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )  # fmt: skip
    )
    assert code == "ValidationError" and message.startswith("CDK bootstrap stack version 6 required.")
    ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="21", Type="String", Overwrite=True)
    cfn.create_change_set(
        StackName=name, ChangeSetName="cdk-deploy-change-set", ChangeSetType="CREATE", TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )  # fmt: skip
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="cdk-deploy-change-set", WaiterConfig=FAST
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="cdk-deploy-change-set")
    with contextlib.suppress(Exception):  # a failure shows below, with the stack's events
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    crawler = aws("glue").get_crawler(Name=outputs(stack)["CrawlerName"])["Crawler"]
    bucket = cfn.describe_stack_resource(StackName=name, LogicalResourceId="RawBucket0C3EE094")[
        "StackResourceDetail"
    ]
    assert json.loads(bucket["Metadata"]) == {"aws:cdk:path": "DataStack/RawBucket/Resource"}
    bucket_name = bucket["PhysicalResourceId"]
    assert bucket_name.startswith(f"{name}-rawbucket0c3ee094-")  # CloudFormation's lowercase name
    assert crawler["Targets"]["S3Targets"][0]["Path"] == f"s3://{bucket_name}/raw/"
    assert crawler["Schedule"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert crawler["DatabaseName"] == "cdk_style_db"
    policy = json.loads(aws("s3").get_bucket_policy(Bucket=bucket_name)["Policy"])
    assert policy["Statement"][0]["Resource"][1] == f"arn:aws:s3:::{bucket_name}/*"
    metadata = next(e for e in events(cfn, name) if e[0] == "CDKMetadata" and e[1] == "CREATE_COMPLETE")
    assert str(metadata[2]).startswith("Not created locally: no local counterpart: the CDK's version report")
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    aws("s3").head_bucket(Bucket=bucket_name)  # DeletionPolicy Retain, as the CDK's default for buckets
    aws("s3").delete_bucket(Bucket=bucket_name)
