"""infra/pipeline.yaml: it parses with CloudFormation's tags, lints clean, and resolves for a profile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from awstwin.infra.parameters import PARAMETERS, template_parameters
from awstwin.infra.resources import RESOURCE_TYPES
from awstwin.infra.template import (
    Resolver,
    TemplateError,
    creation_order,
    load_template,
    parameter_values,
)
from awstwin.pipeline.paths import TEMPLATE
from awstwin.pipeline.profile import load_profile


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(TEMPLATE)


def test_short_tags_become_intrinsic_functions(template: dict) -> None:
    job = template["Resources"]["EtlJob"]["Properties"]
    assert job["Role"] == {"Fn::GetAtt": ["GlueRole", "Arn"]}
    assert job["Name"] == {"Ref": "GlueJobName"}
    assert job["Command"]["ScriptLocation"] == {"Fn::Sub": "s3://${BucketName}/${GlueScriptKey}"}
    assert job["GlueVersion"] == "5.0"


def test_every_resource_type_can_be_provisioned_locally(template: dict) -> None:
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert types <= set(RESOURCE_TYPES), types - set(RESOURCE_TYPES)
    assert {"AWS::S3::Bucket", "AWS::Glue::Job", "AWS::Glue::Crawler", "AWS::Athena::WorkGroup"} <= types


def test_every_parameter_comes_from_the_profile(template: dict) -> None:
    assert set(template["Parameters"]) == set(PARAMETERS)


def test_dependencies_come_first(template: dict) -> None:
    order = creation_order(template)
    assert order.index("GlueRole") < order.index("EtlJob")
    assert order.index("WarehouseConnection") < order.index("EtlJob")
    assert order.index("GlueDatabase") < order.index("RawCrawler")
    assert order.index("DataBucket") < order.index("AthenaWorkGroup")


def test_resolves_for_the_local_profile(template: dict) -> None:
    profile = load_profile("local")
    resolver = Resolver(
        parameters=parameter_values(template, template_parameters(profile)),
        pseudo={"AWS::AccountId": "123456789012", "AWS::Region": "us-east-1", "AWS::Partition": "aws"},
    )
    resolver.refs.update(GlueDatabase=profile.glue_database, WarehouseConnection=profile.glue_connection)
    resolver.attributes["GlueRole"] = {"Arn": "arn:aws:iam::123456789012:role/r"}
    job = resolver.resolve(template["Resources"]["EtlJob"]["Properties"], "EtlJob")
    assert job["Command"]["ScriptLocation"] == profile.script_location
    assert job["DefaultArguments"]["--TempDir"] == profile.temp_dir
    assert job["DefaultArguments"]["--raw_table"] == profile.raw_table
    assert job["Connections"] == {"Connections": [profile.glue_connection]}
    crawler = resolver.resolve(template["Resources"]["RawCrawler"]["Properties"], "RawCrawler")
    assert crawler["Targets"]["S3Targets"][0]["Path"] == profile.raw_location
    connection = resolver.resolve(template["Resources"]["WarehouseConnection"]["Properties"], "c")
    assert connection["ConnectionInput"]["ConnectionProperties"]["JDBC_CONNECTION_URL"] == (
        f"jdbc:postgresql://{profile.warehouse_host}:{profile.warehouse_port}/{profile.warehouse_db}"
    )
    workgroup = resolver.resolve(template["Resources"]["AthenaWorkGroup"]["Properties"], "w")
    output = workgroup["WorkGroupConfiguration"]["ResultConfiguration"]["OutputLocation"]
    assert output == profile.athena_output


def test_missing_parameter_is_named(template: dict) -> None:
    with pytest.raises(TemplateError, match="WarehousePassword"):
        parameter_values(template, {k: "x" for k in PARAMETERS if k != "WarehousePassword"})


def test_unknown_intrinsic_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Base64 x\n"
    )
    resolver = Resolver(parameters={}, pseudo={})
    with pytest.raises(TemplateError, match="Fn::Base64"):
        resolver.resolve(load_template(path)["Resources"]["B"]["Properties"], "B")


def test_cfn_lint_passes() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
