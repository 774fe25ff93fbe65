{%- set ingest_date = params.ingest_date or ds -%}
{%- set table = var.value.warehouse_table -%}
{%- set quarantine = var.value.warehouse_quarantine_table -%}
-- Publish the run's rows: the date's rows and quarantined rows become the run's staging tables' (the
-- Glue job loaded them, the gates checked them), and the staging tables go. The DAG runs this file and
-- then sql/marts/*.sql in one transaction, so a reader sees the old date or the new one, marts
-- included, never a mix. Portable: PostgreSQL and Amazon Redshift. The staging tables were created
-- LIKE their tables, so their columns are in the same order.
DELETE FROM {{ table }} WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO {{ table }}
SELECT * FROM {{ table }}_stage_{{ params.run }} WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

DELETE FROM {{ quarantine }} WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO {{ quarantine }}
SELECT * FROM {{ quarantine }}_stage_{{ params.run }} WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

DROP TABLE {{ table }}_stage_{{ params.run }};

DROP TABLE {{ quarantine }}_stage_{{ params.run }};
