-- The warehouse table the Glue job loads. Valid on PostgreSQL and on Amazon Redshift alike:
-- only portable types, no SERIAL, no Postgres-only syntax. One row per raw CSV row of an ingest date;
-- a re-run of a date replaces that date's rows (the job deletes them first, in the load's transaction).
CREATE TABLE IF NOT EXISTS public.student_performance_factors (
    ingest_date                DATE        NOT NULL,
    hours_studied              INTEGER,
    attendance                 INTEGER,
    parental_involvement       VARCHAR(32),
    access_to_resources        VARCHAR(32),
    extracurricular_activities VARCHAR(32),
    sleep_hours                INTEGER,
    previous_scores            INTEGER,
    motivation_level           VARCHAR(32),
    internet_access            VARCHAR(32),
    tutoring_sessions          INTEGER,
    family_income              VARCHAR(32),
    teacher_quality            VARCHAR(32),
    school_type                VARCHAR(32),
    peer_influence             VARCHAR(32),
    physical_activity          INTEGER,
    learning_disabilities      VARCHAR(32),
    parental_education_level   VARCHAR(32),
    distance_from_home         VARCHAR(32),
    gender                     VARCHAR(32),
    exam_score                 INTEGER,
    loaded_at                  TIMESTAMP
);
