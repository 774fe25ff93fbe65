"""Where each bullet of issue 6 is tested: one reviewable table, checked so it cannot point at nothing.

Every entry names tests that drive the endpoint through its API (boto3, the AWS CLI, awslocal or the
stock Airflow operators). The test below fails when a named test is renamed or removed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
G, A, J, C = "endpoint/glue/", "endpoint/athena/", "endpoint/glue/test_jobs_", "conformance/"

ISSUE6: dict[str, list[str]] = {
    # -- crawler
    "CSV header detection like Glue's classifier": [
        f"{G}test_crawler.py::test_real_dataset_crawls_into_twenty_typed_columns",
        f"{G}test_crawler_custom_classifiers.py::test_header_present_names_the_columns_of_an_all_string_file",
    ],
    "quoted fields -> OpenCSVSerde": [
        f"{G}test_crawler.py::test_quoted_csv_uses_open_csv_serde_and_is_typed"
    ],
    "comma/pipe/tab delimiters": [
        f"{C}test_glue.py::test_tab_and_plain_pipe_files_crawl_into_tables_athena_reads",
        f"{G}test_crawler.py::test_target_without_scheme_and_table_prefix",
    ],
    "JSON lines": [f"{G}test_crawler.py::test_one_table_per_folder_of_compatible_files_and_exclusions"],
    "Parquet": [
        f"{G}test_crawler.py::test_parquet_and_multi_level_hive_partitions",
        f"{G}test_crawler_lifecycle.py::test_over_an_external_s3_the_crawler_reads_ranges_never_whole_objects",
    ],
    "Hive-style partitions -> partition keys and partitions": [
        f"{G}test_crawler.py::test_parquet_and_multi_level_hive_partitions",
        f"{G}test_crawler.py::test_real_dataset_crawls_into_twenty_typed_columns",
    ],
    "one table per folder of compatible files": [
        f"{G}test_crawler.py::test_one_table_per_folder_of_compatible_files_and_exclusions",
        f"{G}test_crawler.py::test_grouping_configuration",
    ],
    "Exclusions globs": [f"{G}test_crawler.py::test_one_table_per_folder_of_compatible_files_and_exclusions"],
    "TablePrefix": [f"{G}test_crawler.py::test_target_without_scheme_and_table_prefix"],
    "SchemaChangePolicy UPDATE_IN_DATABASE / LOG, DeleteBehavior": [
        f"{G}test_crawler.py::test_update_behavior_log_leaves_the_table",
        f"{G}test_crawler.py::test_delete_behavior",
    ],
    "a re-crawl adds new partitions and columns": [
        f"{G}test_crawler.py::test_recrawl_adds_partitions_and_columns"
    ],
    "GetCrawlerMetrics, UpdateCrawler, ListCrawls": [
        f"{G}test_crawler.py::test_recrawl_adds_partitions_and_columns",
        f"{G}test_crawler.py::test_crawler_crud_and_errors",
    ],
    "StopCrawler": [f"{C}test_glue.py::test_stop_crawler_cancels_a_running_crawl"],
    "tag APIs": [
        f"{C}test_glue.py::test_tag_apis_on_crawlers_and_jobs",
        f"{G}test_tags.py::test_tags_on_database_and_table",
    ],
    "a missing target ends in LastCrawl FAILED with a message": [
        f"{G}test_crawler.py::test_missing_targets_fail_the_crawl_with_a_message"
    ],
    "S3 target paths with or without s3://": [
        f"{G}test_crawler.py::test_target_without_scheme_and_table_prefix"
    ],
    "crawler logs in /aws-glue/crawlers": [
        f"{G}test_crawler.py::test_real_dataset_crawls_into_twenty_typed_columns"
    ],
    "GetPartitions with an Expression (GlueCatalogPartitionSensor)": [
        f"{G}test_catalog_partitions.py::test_get_partitions_expression",
        f"{C}test_airflow_operators.py::test_stock_operators_and_sensors_in_a_dag_run",
    ],
    "schema inference reads a bounded sample": [
        f"{C}test_glue.py::test_schema_inference_reads_a_bounded_sample",
        f"{G}test_crawler_lifecycle.py::test_parquet_is_read_by_its_footer_only",
    ],
    # -- jobs
    "CreateJob/UpdateJob/GetJob/DeleteJob/GetJobs": [
        f"{J}api.py::test_create_get_update_delete",
        f"{J}api.py::test_listing_paging_batch_get_and_tags",
    ],
    "DefaultArguments merged with run Arguments; --JOB_NAME, --JOB_RUN_ID": [
        f"{J}lifecycle.py::test_success_merges_arguments_and_logs_both_streams"
    ],
    "Timeout -> TIMEOUT": [f"{J}lifecycle.py::test_timeout_kills_the_whole_process_group"],
    "BatchStopJobRun -> STOPPED": [f"{J}lifecycle.py::test_stop_ends_the_run_and_its_processes"],
    "MaxConcurrentRuns -> ConcurrentRunsExceededException": [
        f"{J}lifecycle.py::test_concurrency_limit_and_queued_runs"
    ],
    "GetJobRuns newest first; ExecutionTime, StartedOn, CompletedOn": [
        f"{J}lifecycle.py::test_retries_and_run_history_newest_first",
        f"{J}lifecycle.py::test_success_merges_arguments_and_logs_both_streams",
    ],
    "stdout and stderr to /aws-glue/jobs/output and /error": [
        f"{J}lifecycle.py::test_success_merges_arguments_and_logs_both_streams",
        f"{J}lifecycle.py::test_failure_reports_the_scripts_own_error",
    ],
    "pythonshell jobs on plain Python": [f"{J}lifecycle.py::test_a_local_script_path_runs_too"],
    "from_options csv/json/parquet; ResolveChoice, DropNullFields, Filter, Join, Select/Drop/RenameField": [
        f"{C}test_glue.py::test_a_glueetl_run_reads_and_writes_s3_with_from_options_and_transforms"
    ],
    "plain Spark I/O on s3:// paths": [f"{J}spark.py::test_plain_spark_io_on_s3_paths"],
    # -- athena
    "SHOW DATABASES/TABLES/COLUMNS/PARTITIONS, DESCRIBE": [
        f"{A}test_ddl.py::test_show_and_describe",
        f"{A}test_ddl.py::test_ctas_partitioned_with_external_location_then_insert",
    ],
    "joins, aggregates, window functions": [f"{A}test_queries.py::test_joins_aggregates_windows_ctes"],
    "CTAS writes Parquet to S3 and registers the table": [
        f"{A}test_ddl.py::test_ctas_writes_parquet_to_the_default_location_and_registers_it"
    ],
    "DDL: CREATE/DROP DATABASE [IF (NOT) EXISTS], CREATE EXTERNAL TABLE (SERDE, PROPERTIES), DROP": [
        f"{A}test_ddl.py::test_databases",
        f"{A}test_ddl.py::test_create_external_table_writes_the_glue_table",
        f"{A}test_ddl.py::test_show_and_describe",
    ],
    "SerDe semantics: LazySimpleSerDe keeps quotes, OpenCSVSerDe strips them": [
        f"{A}test_tables.py::test_lazy_simple_serde_keeps_quotes_and_nulls_what_does_not_parse",
        f"{A}test_tables.py::test_open_csv_serde_strips_quotes",
        f"{A}test_tables.py::test_lazy_simple_separators_follow_hive",
    ],
    "MSCK REPAIR TABLE": [f"{A}test_tables.py::test_partitions_from_msck_repair_and_pruning"],
    "results as <OutputLocation>/<QueryExecutionId>.csv + .csv.metadata": [
        f"{A}test_queries.py::test_result_csv_in_s3_has_a_header_every_value_quoted_and_null_empty",
        f"{C}test_cli.py::test_awslocal_drives_glue_and_athena",
    ],
    "workgroups (result location from the workgroup)": [
        f"{A}test_api.py::test_workgroups_supply_and_enforce_the_result_location"
    ],
    "GetQueryResults pagination with Athena column types": [
        f"{A}test_queries.py::test_pagination_with_next_token_and_max_results",
        f"{A}test_queries.py::test_trino_semantics_names_and_types",
    ],
    "Statistics (DataScannedInBytes, EngineExecutionTimeInMillis)": [
        f"{A}test_api.py::test_execution_record_has_athena_fields",
        f"{A}test_queries.py::test_data_scanned_counts_the_bytes_of_the_files_read",
    ],
    "FAILED with StateChangeReason and AthenaError": [
        f"{A}test_api.py::test_failed_queries_report_athena_errors"
    ],
    "StopQueryExecution, BatchGetQueryExecution, ListQueryExecutions": [
        f"{A}test_api.py::test_stop_query_execution_cancels_a_running_query",
        f"{A}test_api.py::test_batch_get_and_list_newest_first",
    ],
    # -- persistence, errors, models
    "STATE_DIR: catalog, jobs and runs, query history, S3 objects survive a restart (make emulator)": [
        f"{C}test_emulator_restart.py::test_sigterm_and_restart_keep_catalog_jobs_runs_queries_and_objects",
        f"{C}test_emulator_restart.py::test_a_sigkilled_emulator_takes_its_job_runs_with_it",
    ],
    "AWS-shaped errors with AWS's HTTP status": [
        f"{C}test_errors_and_models.py::test_errors_have_aws_codes_statuses_and_name_the_resource"
    ],
    "requests and responses checked against botocore's models": [
        f"{C}test_errors_and_models.py::test_requests_that_do_not_fit_the_model_are_refused_by_name",
        f"{C}test_errors_and_models.py::test_responses_that_do_not_fit_the_model_fail_in_tests",
    ],
    # -- clients named in "done when"
    "AWS CLI and awscli-local": [
        f"{C}test_cli.py::test_aws_cli_crawls_and_runs_a_job",
        f"{C}test_cli.py::test_awslocal_drives_glue_and_athena",
        f"{A}test_cli.py::test_cli_runs_a_query_and_reads_its_results",
        f"{G}test_catalog_cli.py::test_cli_tables_and_partition_expression",
    ],
    "stock Airflow operators: crawler with wait, GlueCrawlerSensor, GlueCatalogPartitionSensor, "
    "GlueJobOperator(wait, verbose), GlueJobSensor, AthenaOperator, AthenaSensor": [
        f"{C}test_airflow_operators.py::test_stock_operators_and_sensors_in_a_dag_run"
    ],
    "README table of supported actions": [
        "endpoint/test_actions.py::test_every_implemented_operation_says_what_it_does_locally"
    ],
}


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test")
    }


@pytest.mark.parametrize("bullet", sorted(ISSUE6))
def test_every_bullet_names_tests_that_exist(bullet):
    assert ISSUE6[bullet], f"no test covers: {bullet}"
    for node in ISSUE6[bullet]:
        file, _, name = node.partition("::")
        path = TESTS / file
        assert path.is_file(), f"{bullet}: {path} does not exist"
        assert name in _tests_in(path), f"{bullet}: {node} does not exist"
