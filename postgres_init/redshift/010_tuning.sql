-- Amazon Redshift only (the local warehouse and the postgres:16 container apply the *.sql files
-- directly in postgres_init/, never this folder): apply after postgres_init/*.sql when deploying.
-- Every query and every reload of these tables filters on one ingest_date, so it leads the sort key.
-- Distribution stays Redshift's default (AUTO): no join would profit from a key. Re-running is harmless.
ALTER TABLE public.student_performance_factors ALTER SORTKEY (ingest_date, row_key);
ALTER TABLE public.student_performance_quarantine ALTER SORTKEY (ingest_date, row_key);
