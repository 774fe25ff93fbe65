"""infra/pipeline.yaml: it parses with CloudFormation's tags, lints clean, and resolves for a profile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from awstwin.core.paths import TEMPLATE
from awstwin.core.profile import SCHEMA_MODULE_KEY, load_profile
from awstwin.endpoint.cloudformation.exceptions import TemplateError
from awstwin.endpoint.cloudformation.intrinsics import Resolver
from awstwin.endpoint.cloudformation.resources import NOT_LOCAL, RESOURCE_TYPES
from awstwin.infra.parameters import PARAMETERS, template_parameters
from awstwin.infra.template import load_template, parameter_values, read_template


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(TEMPLATE)


def test_short_tags_become_intrinsic_functions(template: dict) -> None:
    job = template["Resources"]["EtlJob"]["Properties"]
    assert job["Role"] == {"Fn::GetAtt": ["GlueRole", "Arn"]}
    assert job["Name"] == {"Ref": "GlueJobName"}
    assert job["Command"]["ScriptLocation"] == {"Fn::Sub": "s3://${BucketName}/${GlueScriptKey}"}
    assert job["GlueVersion"] == "5.0"


def test_every_resource_type_is_provisioned_locally_or_says_what_serves_it(template: dict) -> None:
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert not set(RESOURCE_TYPES) & set(NOT_LOCAL), "a type is either created locally or served otherwise"
    assert types <= set(RESOURCE_TYPES) | set(NOT_LOCAL), types - set(RESOURCE_TYPES) - set(NOT_LOCAL)
    assert {
        "AWS::S3::Bucket",
        "AWS::Glue::Job",
        "AWS::Glue::Crawler",
        "AWS::Athena::WorkGroup",
        "AWS::SecretsManager::Secret",
        "AWS::IAM::Role",
        "AWS::RedshiftServerless::Namespace",  # the endpoint serves them on its warehouse
        "AWS::RedshiftServerless::Workgroup",
    } <= types & set(RESOURCE_TYPES)
    for kind in NOT_LOCAL.values():
        assert kind.served_by.startswith(("served by", "no local counterpart"))


def test_the_aws_side_is_complete(template: dict) -> None:
    """What issue 5 asks of the AWS side: each part, and how the parts are tied together."""
    resources = template["Resources"]
    types = {r["Type"] for r in resources.values()}
    assert {"AWS::Glue::Database", "AWS::Glue::Connection", "AWS::EC2::VPC", "AWS::EC2::VPCEndpoint"} <= types
    bucket = resources["DataBucket"]["Properties"]
    assert bucket["BucketEncryption"] and all(bucket["PublicAccessBlockConfiguration"].values())
    assert resources["EtlJob"]["Properties"]["GlueVersion"] == "5.0"
    connection = resources["WarehouseConnection"]["Properties"]["ConnectionInput"]["ConnectionProperties"]
    assert connection["SECRET_ID"] == {"Ref": "WarehouseSecret"}
    assert not {"USERNAME", "PASSWORD"} & set(connection), "credentials live in Secrets Manager only"
    namespace = resources["WarehouseNamespace"]["Properties"]
    assert "{{resolve:secretsmanager:${WarehouseSecret}:SecretString:password}}" in str(
        namespace["AdminUserPassword"]
    )
    assert resources["WarehouseWorkgroup"]["Properties"]["NamespaceName"] == {"Ref": "WarehouseNamespace"}
    assert {"Bucket", "WarehouseEndpoint", "WarehouseSecretArn", "WarehouseJdbcUrl", "GlueJob"} <= set(
        template["Outputs"]
    )


def test_the_glue_role_is_scoped(template: dict) -> None:
    """No wildcard over a whole service: bucket prefixes, the secret, Glue's log groups, named catalog
    resources; the EC2 actions Glue needs for the VPC take no resource ARNs: held to the region."""
    policies = {
        p["PolicyName"]: p["PolicyDocument"]
        for p in template["Resources"]["GlueRole"]["Properties"]["Policies"]
    }
    for name, document in policies.items():
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (name, actions)
            if statement["Resource"] == "*":
                assert "Condition" in statement, (name, actions)
    bucket = str(policies["pipeline-bucket"])
    assert "${BucketName}/*" not in bucket and "${BucketName}/raw/*" in bucket
    assert policies["warehouse-secret"]["Statement"][0]["Resource"] == {"Ref": "WarehouseSecret"}
    assert "log-group:/aws-glue/jobs/*" in str(policies["glue-logs"])


def test_every_parameter_comes_from_the_profile(template: dict) -> None:
    assert set(template["Parameters"]) == set(PARAMETERS)


def test_dependencies_come_first() -> None:
    order = read_template(TEMPLATE).creation_order
    assert order.index("GlueRole") < order.index("EtlJob")
    assert order.index("WarehouseConnection") < order.index("EtlJob")
    assert order.index("GlueDatabase") < order.index("RawCrawler")
    assert order.index("DataBucket") < order.index("AthenaWorkGroup")


def test_resolves_for_the_local_profile(template: dict) -> None:
    profile = load_profile("local")
    resolver = Resolver(
        parameters=parameter_values(template, template_parameters(profile)),
        pseudo={"AWS::AccountId": "123456789012", "AWS::Region": "us-east-1", "AWS::Partition": "aws"},
        conditions=template["Conditions"],
    )
    resolver.refs.update(
        GlueDatabase=profile.glue_database,
        WarehouseConnection=profile.glue_connection,
        WarehouseSecret="arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
        SubnetA="subnet-1",
        GlueSecurityGroup="sg-1",
        RawCsvClassifier=f"{profile.raw_crawler}_csv",
    )
    resolver.attributes["SubnetA"] = {"AvailabilityZone": "us-east-1a"}
    resolver.attributes["GlueRole"] = {"Arn": "arn:aws:iam::123456789012:role/r"}
    job = resolver.resolve(template["Resources"]["EtlJob"]["Properties"], "EtlJob")
    assert job["Command"]["ScriptLocation"] == profile.script_location
    assert job["DefaultArguments"]["--TempDir"] == profile.temp_dir
    assert job["DefaultArguments"]["--raw_table"] == profile.runs_table(profile.raw_table)  # every run's
    assert job["Connections"] == {"Connections": [profile.glue_connection]}
    crawler = resolver.resolve(template["Resources"]["RawCrawler"]["Properties"], "RawCrawler")
    assert crawler["Targets"]["S3Targets"][0]["Path"] == profile.raw_location
    assert crawler["Classifiers"] == [f"{profile.raw_crawler}_csv"]  # the header is declared, not guessed
    assert job["DefaultArguments"]["--extra-py-files"] == f"s3://{profile.bucket}/{SCHEMA_MODULE_KEY}"
    connection = resolver.resolve(template["Resources"]["WarehouseConnection"]["Properties"], "c")
    assert connection["ConnectionInput"]["ConnectionProperties"]["JDBC_CONNECTION_URL"] == (
        f"jdbc:postgresql://{profile.warehouse_host}:{profile.warehouse_port}/{profile.warehouse_db}"
    )
    workgroup = resolver.resolve(template["Resources"]["AthenaWorkGroup"]["Properties"], "w")
    output = workgroup["WorkGroupConfiguration"]["ResultConfiguration"]["OutputLocation"]
    assert output == profile.athena_output


def test_missing_parameter_is_named(template: dict) -> None:
    with pytest.raises(TemplateError, match="BucketName"):
        parameter_values(template, {k: "x" for k in PARAMETERS if k != "BucketName"})


def test_unknown_intrinsic_is_named(tmp_path: Path) -> None:
    """Fn::Length needs the AWS::LanguageExtensions transform, which the local endpoint does not run."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Length [a]\n"
    )
    resolver = Resolver(parameters={}, pseudo={})
    with pytest.raises(TemplateError, match="unsupported function: Fn::Length"):
        resolver.resolve(load_template(path)["Resources"]["B"]["Properties"], "B")


@pytest.mark.slow  # cfn-lint loads every resource specification
def test_cfn_lint_passes() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
