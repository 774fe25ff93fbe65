-- The warehouse table the Glue job loads: the valid rows, typed. Valid on PostgreSQL and on Amazon
-- Redshift alike: only portable types, no SERIAL, no Postgres-only syntax. Redshift-only tuning
-- (sort and distribution keys) lives in postgres_init/redshift/, which the local warehouse skips.
-- One row per valid raw CSV row of an ingest date, keyed by (ingest_date, row_key); a re-run of a
-- date replaces that date's rows in one transaction (see spark_jobs/student_performance_etl.py).
-- The column order is the job's: its COPY may match columns by position. row_key and loaded_at are
-- the job's to fill (the DAG's gate_columns checks they are never NULL); rows loaded by other means
-- (the dashboard's tests) may leave them empty.
CREATE TABLE IF NOT EXISTS public.student_performance_factors (
    ingest_date                DATE        NOT NULL,
    row_key                    VARCHAR(40),
    hours_studied              INTEGER     NOT NULL,
    attendance                 INTEGER     NOT NULL,
    parental_involvement       VARCHAR(32),
    access_to_resources        VARCHAR(32),
    extracurricular_activities VARCHAR(32),
    sleep_hours                INTEGER     NOT NULL,
    previous_scores            INTEGER     NOT NULL,
    motivation_level           VARCHAR(32),
    internet_access            VARCHAR(32),
    tutoring_sessions          INTEGER     NOT NULL,
    family_income              VARCHAR(32),
    teacher_quality            VARCHAR(32),
    school_type                VARCHAR(32),
    peer_influence             VARCHAR(32),
    physical_activity          INTEGER     NOT NULL,
    learning_disabilities      VARCHAR(32),
    parental_education_level   VARCHAR(32),
    distance_from_home         VARCHAR(32),
    gender                     VARCHAR(32),
    exam_score                 INTEGER     NOT NULL,
    loaded_at                  TIMESTAMP
);
