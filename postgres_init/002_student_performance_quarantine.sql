-- Rows the Glue job rejected, with every reason and the values as they were in the raw file (text,
-- up to 256 characters each). Portable (PostgreSQL and Amazon Redshift). Same key and the same
-- replace-the-date rule as public.student_performance_factors; raw rows of a date = rows there +
-- rows here. reasons: "<CSV column>:<problem>" joined by ';', problems as in awstwin.data.schema
-- (missing, not_an_integer, out_of_range, unknown_category). VARCHAR lengths are bytes on Redshift.
CREATE TABLE IF NOT EXISTS public.student_performance_quarantine (
    ingest_date                DATE          NOT NULL,
    row_key                    VARCHAR(40)   NOT NULL,
    reasons                    VARCHAR(1024) NOT NULL,
    hours_studied              VARCHAR(1024),
    attendance                 VARCHAR(1024),
    parental_involvement       VARCHAR(1024),
    access_to_resources        VARCHAR(1024),
    extracurricular_activities VARCHAR(1024),
    sleep_hours                VARCHAR(1024),
    previous_scores            VARCHAR(1024),
    motivation_level           VARCHAR(1024),
    internet_access            VARCHAR(1024),
    tutoring_sessions          VARCHAR(1024),
    family_income              VARCHAR(1024),
    teacher_quality            VARCHAR(1024),
    school_type                VARCHAR(1024),
    peer_influence             VARCHAR(1024),
    physical_activity          VARCHAR(1024),
    learning_disabilities      VARCHAR(1024),
    parental_education_level   VARCHAR(1024),
    distance_from_home         VARCHAR(1024),
    gender                     VARCHAR(1024),
    exam_score                 VARCHAR(1024),
    loaded_at                  TIMESTAMP     NOT NULL
);
