"""Provisioning infra/pipeline.yaml on the local endpoint creates every resource whose name the DAG
reads from an Airflow Variable: a Variable naming a crawler, job, database, workgroup or bucket that
the template does not create would fail the first run on AWS as well."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from awstwin.core.paths import DAGS_DIR
from awstwin.core.profile import Profile, load_profile
from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import provision
from awstwin.orchestration.environment import VARIABLES, airflow_environment

# Variable -> how to look for the resource it names (a boto3 call that raises when it is not there).
RESOURCES: dict[str, Callable[[Callable[[str], Any], str], object]] = {
    "raw_crawler": lambda aws, name: aws("glue").get_crawler(Name=name),
    "curated_crawler": lambda aws, name: aws("glue").get_crawler(Name=name),
    "quarantine_crawler": lambda aws, name: aws("glue").get_crawler(Name=name),
    "glue_job": lambda aws, name: aws("glue").get_job(JobName=name),
    "glue_database": lambda aws, name: aws("glue").get_database(Name=name),
    "athena_workgroup": lambda aws, name: aws("athena").get_work_group(WorkGroup=name),
    "bucket": lambda aws, name: aws("s3").head_bucket(Bucket=name),
    "glue_role": lambda aws, name: aws("iam").get_role(RoleName=name),
    "curated_ruleset": lambda aws, name: aws("glue").get_data_quality_ruleset(Name=name),
    "redshift_workgroup": lambda aws, name: aws("redshift-serverless").get_workgroup(workgroupName=name),
    "warehouse_secret": lambda aws, name: aws("secretsmanager").describe_secret(SecretId=name),
}
# Variables that name no resource of the template, and what makes them instead.
NOT_TEMPLATE_RESOURCES = {
    "raw_table": "the raw crawler's first crawl",
    "curated_table": "the curated crawler's first crawl",
    "quarantine_table": "the quarantine crawler's first crawl",
    "warehouse_table": "postgres_init/ (the warehouse's DDL)",
    "warehouse_quarantine_table": "postgres_init/ (the warehouse's DDL)",
    "warehouse_database": "the namespace's first database (the WarehouseDatabase parameter)",
    "poll_seconds": "a number",
    "task_retries": "a number",
}


@pytest.fixture(scope="module")
def profile(endpoint: Any) -> Profile:
    names = {
        "aws_endpoint_url": endpoint.url,
        "stack_name": "profile-names",
        "bucket": "profile-names-bucket",
        "glue_database": "profile_names_db",
        "glue_role": "profile-names-role",
        "raw_crawler": "profile_names_raw",
        "glue_job": "profile_names_job",
        "glue_connection": "profile_names_connection",
        "athena_workgroup": "profile_names_wg",
    }
    optional = {"curated_crawler": "profile_names_curated", "quarantine_crawler": "profile_names_quarantine"}
    fields = set(Profile.__dataclass_fields__)
    return load_profile("local", {**names, **{k: v for k, v in optional.items() if k in fields}})


def test_every_variable_is_classified() -> None:
    unknown = set(VARIABLES) - set(RESOURCES) - set(NOT_TEMPLATE_RESOURCES)
    assert not unknown, f"say which resource these Variables name (RESOURCES) or what makes it: {unknown}"


def test_provisioning_creates_what_every_variable_names(
    profile: Profile, aws: Callable[[str], Any], tmp_path: Any
) -> None:
    provision(aws, template_parameters(profile), profile.stack_name)
    env = airflow_environment(profile, tmp_path, DAGS_DIR)
    checked = []
    for variable in sorted(set(VARIABLES) & set(RESOURCES)):
        name = env[f"AIRFLOW_VAR_{variable.upper()}"]
        RESOURCES[variable](aws, name)  # raises (EntityNotFound, 404, ...) when provisioning missed it
        checked.append(variable)
    assert {"raw_crawler", "glue_job", "glue_database", "athena_workgroup", "redshift_workgroup"} <= set(
        checked
    )
