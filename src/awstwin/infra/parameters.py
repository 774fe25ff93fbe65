"""The template's parameter values for a profile: one row per parameter, nothing computed elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from awstwin.core.profile import SCHEMA_MODULE_KEY, SCRIPT_KEY, Profile
from awstwin.data.quality_rules import curated_ruleset

PARAMETERS: dict[str, Callable[[Profile], object]] = {
    "BucketName": lambda p: p.bucket,
    "GlueDatabaseName": lambda p: p.glue_database,
    "GlueRoleName": lambda p: p.glue_role,
    "RawCrawlerName": lambda p: p.raw_crawler,
    "RawTablePrefix": lambda p: p.raw_table_prefix,
    "CuratedCrawlerName": lambda p: p.curated_crawler,
    "CuratedTablePrefix": lambda p: p.curated_table_prefix,
    "QuarantineCrawlerName": lambda p: p.quarantine_crawler,
    "QuarantineTablePrefix": lambda p: p.quarantine_table_prefix,
    "GlueJobName": lambda p: p.glue_job,
    "GlueScriptKey": lambda p: SCRIPT_KEY,
    "GlueSchemaModuleKey": lambda p: SCHEMA_MODULE_KEY,
    "GlueConnectionName": lambda p: p.glue_connection,
    "AthenaWorkGroupName": lambda p: p.athena_workgroup,
    "WarehouseTable": lambda p: p.warehouse_table,
    "WarehouseQuarantineTable": lambda p: p.warehouse_quarantine_table,
    # A profile without a warehouse host (aws.env) leaves the URL to the Redshift Serverless workgroup.
    "WarehouseJdbcUrl": lambda p: p.warehouse_jdbc_url if p.warehouse_host else "",
    "WarehouseDatabase": lambda p: p.warehouse_db,
    "WarehouseUser": lambda p: p.warehouse_user,
    "WarehousePassword": lambda p: p.warehouse_password,  # empty (aws.env): Secrets Manager generates it
    # The curated zone's Data Quality ruleset: named from the profile, generated from the dataset's rules.
    "CuratedRulesetName": lambda p: p.curated_ruleset,
    "CuratedRuleset": lambda p: curated_ruleset(),
    # Not a profile key: who may reach the warehouse from outside AWS is `make deploy`'s --client-cidr.
    "WarehouseClientCidr": lambda p: "",
}


def template_parameters(profile: Profile, **overrides: str) -> dict[str, str]:
    """Every parameter of infra/pipeline.yaml from the profile; `overrides` win (tests, one-off runs)."""
    values = {name: str(read(profile)) for name, read in PARAMETERS.items()}
    values.update(overrides)
    return values
