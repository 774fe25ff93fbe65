"""Airflow's configuration for a profile, as environment variables only (nothing written to its DB).

Connections are `AIRFLOW_CONN_<ID>` JSON documents and Variables `AIRFLOW_VAR_<NAME>`: Airflow reads
both from the environment before its metadata database, so the DAG sees the profile's values and the
same DAG file runs against the local endpoint or AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from awstwin.core.profile import Profile
from awstwin.orchestration.home import home_environment

AWS_CONN_ID = "aws_default"
WAREHOUSE_CONN_ID = "redshift_default"  # the DAG's SQL checks use it; Postgres locally, Redshift on AWS

# Optional: a folder on the Airflow worker where the dashboard task also writes dashboard.html.
ARTIFACTS_DIR_VARIABLE = "artifacts_dir"

# Variable name -> its value from the profile: everything the DAG reads with `var.value.<name>`.
VARIABLES: dict[str, Callable[[Profile], object]] = {
    "raw_crawler": lambda p: p.raw_crawler,
    "raw_table": lambda p: p.raw_table,
    "glue_database": lambda p: p.glue_database,
    "glue_job": lambda p: p.glue_job,
    "athena_workgroup": lambda p: p.athena_workgroup,
    "warehouse_table": lambda p: p.warehouse_table,
    "bucket": lambda p: p.bucket,
    "curated_crawler": lambda p: p.curated_crawler,
    "quarantine_crawler": lambda p: p.quarantine_crawler,
    "curated_table": lambda p: p.curated_table,
    "quarantine_table": lambda p: p.quarantine_table,
    "warehouse_quarantine_table": lambda p: p.warehouse_quarantine_table,
    # The Redshift Data API's target (student_performance_copy_load): the stack's Serverless workgroup,
    # named after the stack, and its admin secret (infra/pipeline.yaml's WarehouseSecret, by name).
    "redshift_workgroup": lambda p: p.stack_name,
    "warehouse_secret": lambda p: f"{p.stack_name}/warehouse-admin",
    "warehouse_database": lambda p: p.warehouse_db,
    "poll_seconds": lambda p: f"{p.poll_seconds:g}",  # 1, not 1.0: as the profile says it
    "task_retries": lambda p: p.task_retries,
    "glue_role": lambda p: p.glue_role,
    "curated_ruleset": lambda p: p.curated_ruleset,
}


def aws_connection(profile: Profile) -> dict[str, object]:
    """With one endpoint for every service it is the connection's endpoint_url; with several (see
    `endpoint_variables`) the connection names none, as in docker-compose.yml."""
    extra: dict[str, object] = {"region_name": profile.aws_region}
    if profile.is_local and not profile.service_endpoints:
        extra["endpoint_url"] = profile.aws_endpoint_url
    connection: dict[str, object] = {"conn_type": "aws", "extra": extra}
    if profile.aws_access_key_id:
        connection.update(login=profile.aws_access_key_id, password=profile.aws_secret_access_key)
    return connection


def endpoint_variables(profile: Profile) -> dict[str, str]:
    """botocore's standard variables for a stack whose services answer on several endpoints:
    AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<service id> (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html),
    which every boto3 client in Airflow reads (hooks, operators, sensors); {} with one endpoint."""
    if not profile.service_endpoints:
        return {}
    import botocore.session

    session = botocore.session.get_session()
    variables = {"AWS_ENDPOINT_URL": profile.aws_endpoint_url}
    for service, url in profile.service_endpoints:
        service_id = session.get_service_model(service).service_id.hyphenize().replace("-", "_").upper()
        variables[f"AWS_ENDPOINT_URL_{service_id}"] = url
    return variables


def warehouse_connection(profile: Profile) -> dict[str, object]:
    return {
        "conn_type": "postgres",
        "host": profile.warehouse_host,
        "port": profile.warehouse_port,
        "login": profile.warehouse_user,
        "password": profile.warehouse_password,
        "schema": profile.warehouse_db,
    }


def airflow_environment(
    profile: Profile, home: Path, dags_folder: Path, artifacts_dir: Path | None = None
) -> dict[str, str]:
    """The variables to add to a process's environment so that Airflow runs this profile locally.
    `artifacts_dir`: where the dashboard task also writes its page (a local run's artifacts/)."""
    env = {
        **home_environment(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        f"AIRFLOW_CONN_{AWS_CONN_ID.upper()}": json.dumps(aws_connection(profile)),
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": json.dumps(warehouse_connection(profile)),
    }
    env.update(endpoint_variables(profile))
    for name, read in VARIABLES.items():
        env[f"AIRFLOW_VAR_{name.upper()}"] = str(read(profile))
    if artifacts_dir is not None:
        env[f"AIRFLOW_VAR_{ARTIFACTS_DIR_VARIABLE.upper()}"] = str(artifacts_dir)
    return env
