-- Redshift DDL, applied after postgres_init/*.sql: to Redshift by `make run PROFILE=aws`, and by the
-- embedded stack through its Redshift front (the postgres:16 container applies postgres_init/*.sql only).
-- Every query and every reload of these tables filters on one ingest_date, so it leads the sort key.
-- Distribution stays Redshift's default (AUTO): no join would profit from a key. Re-running is harmless.
ALTER TABLE public.student_performance_factors ALTER SORTKEY (ingest_date, row_key);
ALTER TABLE public.student_performance_quarantine ALTER SORTKEY (ingest_date, row_key);
