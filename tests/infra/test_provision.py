"""Provisioning infra/pipeline.yaml on a fresh local endpoint deploys it as a CloudFormation stack on the
endpoint (a change set, as on AWS): every resource is created by the endpoint's own services, the job's
script is uploaded, and provisioning again updates the stack (or changes nothing)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from awstwin.core.paths import JOB_LIBRARIES, SPARK_JOBS_DIR, TEMPLATE
from awstwin.core.profile import SCHEMA_MODULE_KEY, Profile, load_profile
from awstwin.data.quality_rules import curated_ruleset
from awstwin.endpoint.cloudformation.resources import NOT_LOCAL, RESOURCE_TYPES
from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import ProvisionError, provision
from awstwin.infra.template import load_template


@pytest.fixture(scope="module")
def profile(endpoint: Any) -> Profile:
    # A bucket and names of its own, so other tests on the shared endpoint are not disturbed.
    return load_profile(
        "local",
        {
            "aws_endpoint_url": endpoint.url,
            "bucket": "provision-test-bucket",
            "glue_database": "provision_test_db",
            "glue_role": "provision-test-role",
            "raw_crawler": "provision_test_crawler",
            "curated_crawler": "provision_test_curated",
            "quarantine_crawler": "provision_test_quarantine",
            "glue_job": "provision_test_job",
            "glue_connection": "provision_test_connection",
            "athena_workgroup": "provision_test_wg",
        },
    )


@pytest.fixture(scope="module")
def first(profile: Profile, aws: Callable[[str], Any]):
    return provision(aws, template_parameters(profile), "provision-test")


def test_every_resource_is_created_or_says_what_serves_it(first) -> None:
    resources = load_template(TEMPLATE)["Resources"]
    local = {name for name, r in resources.items() if r["Type"] in RESOURCE_TYPES}
    assert first.action == "create"
    assert sorted(first.created) == sorted(set(resources) - {"WarehouseClientIngress"})
    assert set(first.physical_ids) == local
    assert first.updated == []
    assert first.conditioned_out == {"WarehouseClientIngress": "AllowClient"}  # no client CIDR given
    assert set(first.not_local) == set(resources) - local - {"WarehouseClientIngress"}
    for name, served_by in first.not_local.items():
        assert served_by == NOT_LOCAL[resources[name]["Type"]].served_by
    assert {"WarehouseNamespace", "WarehouseWorkgroup"} <= set(first.created)
    assert sorted(first.dropped) == [
        "WarehouseConnection.ConnectionInput.PhysicalConnectionRequirements",
        "WarehouseWorkgroup.SecurityGroupIds",
        "WarehouseWorkgroup.SubnetIds",
    ]


def test_every_resource_is_there(first, profile: Profile, aws: Callable[[str], Any]) -> None:
    glue, s3 = aws("glue"), aws("s3")
    s3.head_bucket(Bucket=profile.bucket)
    assert glue.get_database(Name=profile.glue_database)["Database"]["Name"] == profile.glue_database
    crawler = glue.get_crawler(Name=profile.raw_crawler)["Crawler"]
    assert crawler["Targets"]["S3Targets"][0]["Path"] == profile.raw_location
    # The crawler catalogs every run (runs_raw_...); the DAG publishes raw_... itself.
    assert crawler["TablePrefix"] + "student_performance" == profile.runs_table(profile.raw_table)
    assert crawler["Role"].endswith(f":role/{profile.glue_role}")
    job = glue.get_job(JobName=profile.glue_job)["Job"]
    assert job["Command"]["Name"] == "glueetl"
    assert job["Command"]["ScriptLocation"] == profile.script_location
    assert job["GlueVersion"] == "5.0"
    assert job["DefaultArguments"]["--TempDir"] == profile.temp_dir
    assert job["DefaultArguments"]["--connection_name"] == profile.glue_connection
    assert job["Connections"]["Connections"] == [profile.glue_connection]
    connection = glue.get_connection(Name=profile.glue_connection, HidePassword=False)["Connection"]
    properties = connection["ConnectionProperties"]
    assert properties["JDBC_CONNECTION_URL"] == profile.warehouse_jdbc_url
    assert "PASSWORD" not in properties and "USERNAME" not in properties
    assert "PhysicalConnectionRequirements" not in connection
    assert properties["SECRET_ID"] == first.outputs["WarehouseSecretArn"]
    workgroup = aws("athena").get_work_group(WorkGroup=profile.athena_workgroup)["WorkGroup"]
    result = workgroup["Configuration"]["ResultConfiguration"]
    assert result["OutputLocation"] == profile.athena_output
    role = aws("iam").get_role(RoleName=profile.glue_role)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"]["Service"] == "glue.amazonaws.com"
    policies = aws("iam").list_role_policies(RoleName=profile.glue_role)["PolicyNames"]
    assert {"pipeline-bucket", "glue-catalog", "glue-logs", "warehouse-secret"} <= set(policies)
    secret_policy = aws("iam").get_role_policy(RoleName=profile.glue_role, PolicyName="warehouse-secret")
    document = secret_policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"][0]["Resource"] == first.outputs["WarehouseSecretArn"]
    ruleset = glue.get_data_quality_ruleset(Name=profile.curated_ruleset)
    assert ruleset["Name"] == "provision_test_db_curated_student_performance"
    assert ruleset["Ruleset"] == curated_ruleset()
    copy_role = aws("iam").get_role(RoleName="provision-test-redshift-copy")["Role"]
    assert "redshift.amazonaws.com" in json.dumps(copy_role["AssumeRolePolicyDocument"])


def test_the_secret_holds_the_warehouse_credentials(
    first, profile: Profile, aws: Callable[[str], Any]
) -> None:
    arn = first.outputs["WarehouseSecretArn"]
    assert arn.startswith("arn:aws:secretsmanager:") and ":secret:provision-test/warehouse-admin" in arn
    value = json.loads(aws("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
    assert value == {"username": profile.warehouse_user, "password": profile.warehouse_password}


def test_the_stacks_namespace_and_workgroup_are_named_after_it(
    first, profile: Profile, aws: Callable[[str], Any]
) -> None:
    """The admin user and password come from the secret through dynamic references, as on AWS."""
    serverless = aws("redshift-serverless")
    namespace = serverless.get_namespace(namespaceName="provision-test")["namespace"]
    assert (namespace["dbName"], namespace["adminUsername"]) == (profile.warehouse_db, profile.warehouse_user)
    copy_role = aws("iam").get_role(RoleName="provision-test-redshift-copy")["Role"]["Arn"]
    assert namespace["defaultIamRoleArn"] == copy_role
    workgroup = serverless.get_workgroup(workgroupName="provision-test")["workgroup"]
    assert workgroup["namespaceName"] == "provision-test" and workgroup["baseCapacity"] == 8
    assert first.outputs["WarehouseEndpoint"] == workgroup["endpoint"]["address"]


def test_the_outputs_name_the_local_stand_ins(first, profile: Profile) -> None:
    assert first.outputs["WarehouseEndpoint"] == profile.warehouse_host
    assert first.outputs["WarehouseJdbcUrl"] == profile.warehouse_jdbc_url
    assert first.outputs["WarehouseWorkgroup"] == "provision-test"
    assert first.outputs["Bucket"] == profile.bucket
    assert first.outputs["ScriptLocation"] == profile.script_location


def test_bucket_is_encrypted_and_private(first, profile: Profile, aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    rules = s3.get_bucket_encryption(Bucket=profile.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=profile.bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_the_script_in_s3_is_the_one_in_spark_jobs(
    first, profile: Profile, aws: Callable[[str], Any]
) -> None:
    local = SPARK_JOBS_DIR / "student_performance_etl.py"
    rules = JOB_LIBRARIES["student_performance_schema.py"]  # the job's --extra-py-files
    rules_location = f"s3://{profile.bucket}/{SCHEMA_MODULE_KEY}"
    assert first.scripts == {profile.script_location: str(local), rules_location: str(rules)}
    for location, source in first.scripts.items():
        key = location.removeprefix(f"s3://{profile.bucket}/")
        body = aws("s3").get_object(Bucket=profile.bucket, Key=key)["Body"].read()
        assert body == Path(source).read_bytes()


def test_provisioning_again_updates(
    first, profile: Profile, aws: Callable[[str], Any], tmp_path: Path
) -> None:
    script = tmp_path / "other_etl.py"
    script.write_text("raise SystemExit('not run here')\n")
    params = template_parameters(profile, GlueScriptKey="scripts/other_etl.py")
    again = provision(aws, params, "provision-test", scripts_dir=tmp_path)
    assert again.action == "update"
    assert again.created == [] and again.updated == ["EtlJob"]  # the one resource that reads the key
    assert again.outputs["WarehouseSecretArn"] == first.outputs["WarehouseSecretArn"]
    job = aws("glue").get_job(JobName=profile.glue_job)["Job"]
    assert job["Command"]["ScriptLocation"] == f"s3://{profile.bucket}/scripts/other_etl.py"
    # and back, so the module leaves the job as the template says
    back = provision(aws, template_parameters(profile), "provision-test")
    job = aws("glue").get_job(JobName=profile.glue_job)["Job"]
    assert job["Command"]["ScriptLocation"] == profile.script_location
    same = provision(aws, template_parameters(profile), "provision-test")
    assert back.action == "update" and same.action == "none" and same.updated == []


def test_a_missing_script_is_named(
    first, profile: Profile, aws: Callable[[str], Any], tmp_path: Path
) -> None:
    with pytest.raises(ProvisionError, match="student_performance_etl.py, which does not exist"):
        provision(aws, template_parameters(profile), "provision-test", scripts_dir=tmp_path)
