{%- set ingest_date = params.ingest_date or ds -%}
{%- set marts = [
    "kpi_summary",
    "score_by_attendance_tutoring",
    "score_by_school_type",
    "score_by_study_hours_band",
    "score_by_sleep_hours",
    "extracurricular_share",
    "study_hours_regression",
    "quarantine_summary",
] -%}
-- The date's marts as Parquet for BI tools that read S3 (QuickSight and others, through Athena):
-- s3://<bucket>/marts/<date>/<mart>/, one folder per mart, and the band edges they are keyed by.
-- IAM_ROLE default is the namespace's default role (RedshiftCopyRole in infra/pipeline.yaml, allowed
-- to write marts/*); CLEANPATH first removes what an earlier run of the date unloaded there.
{% for mart in marts %}
UNLOAD ('SELECT * FROM marts.{{ mart }} WHERE ingest_date = ''{{ ingest_date }}''')
TO 's3://{{ var.value.bucket }}/marts/{{ ingest_date }}/{{ mart }}/'
IAM_ROLE default
FORMAT AS PARQUET
CLEANPATH;
{% endfor %}
UNLOAD ('SELECT * FROM marts.band_edges')
TO 's3://{{ var.value.bucket }}/marts/{{ ingest_date }}/band_edges/'
IAM_ROLE default
FORMAT AS PARQUET
CLEANPATH;
