-- Marts schema: the tables a BI tool (and the dashboard) reads. Valid on PostgreSQL and Amazon Redshift:
-- portable types only (DATE, INTEGER, BIGINT, DOUBLE PRECISION, VARCHAR), no SERIAL, no ON CONFLICT.
-- Every mart is keyed by ingest_date (one pipeline run) and every figure carries its n.
-- Means and sample standard deviations (STDDEV_SAMP) are DOUBLE PRECISION; regression sums are exact BIGINTs.
CREATE SCHEMA IF NOT EXISTS marts;

-- Band edges as data: the one place that says which values fall into which band.
-- upper_bound NULL means open-ended ("30+"). band_order is what readers sort by.
CREATE TABLE IF NOT EXISTS marts.band_edges (
    band_set    VARCHAR(32) NOT NULL,
    label       VARCHAR(16) NOT NULL,
    band_order  INTEGER     NOT NULL,
    lower_bound INTEGER     NOT NULL,
    upper_bound INTEGER
);

CREATE TABLE IF NOT EXISTS marts.kpi_summary (
    ingest_date             DATE    NOT NULL,
    n                       BIGINT  NOT NULL,
    avg_attendance          DOUBLE PRECISION,
    avg_exam_score          DOUBLE PRECISION,
    avg_sleep_hours         DOUBLE PRECISION,
    avg_hours_studied       DOUBLE PRECISION,
    avg_physical_activity   DOUBLE PRECISION,
    extracurricular_yes_pct DOUBLE PRECISION,
    sd_exam_score           DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS marts.score_by_attendance_tutoring (
    ingest_date             DATE        NOT NULL,
    attendance_band         VARCHAR(16) NOT NULL,
    attendance_band_order   INTEGER     NOT NULL,
    tutoring_sessions_group VARCHAR(16) NOT NULL,
    tutoring_order          INTEGER     NOT NULL,
    n                       BIGINT      NOT NULL,
    avg_exam_score          DOUBLE PRECISION,
    sd_exam_score           DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS marts.score_by_school_type (
    ingest_date    DATE        NOT NULL,
    school_type    VARCHAR(32) NOT NULL,
    n              BIGINT      NOT NULL,
    avg_exam_score DOUBLE PRECISION,
    sd_exam_score  DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS marts.score_by_study_hours_band (
    ingest_date       DATE        NOT NULL,
    hours_band        VARCHAR(16) NOT NULL,
    hours_band_order  INTEGER     NOT NULL,
    n                 BIGINT      NOT NULL,
    avg_hours_studied DOUBLE PRECISION,
    avg_exam_score    DOUBLE PRECISION,
    sd_exam_score     DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS marts.score_by_sleep_hours (
    ingest_date    DATE    NOT NULL,
    sleep_hours    INTEGER NOT NULL,
    n              BIGINT  NOT NULL,
    avg_exam_score DOUBLE PRECISION,
    sd_exam_score  DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS marts.extracurricular_share (
    ingest_date                DATE        NOT NULL,
    extracurricular_activities VARCHAR(32) NOT NULL,
    n                          BIGINT      NOT NULL,
    share_pct                  DOUBLE PRECISION,
    avg_exam_score             DOUBLE PRECISION,
    sd_exam_score              DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS marts.study_hours_regression (
    ingest_date DATE   NOT NULL,
    n           BIGINT NOT NULL,
    sum_x       BIGINT NOT NULL,
    sum_y       BIGINT NOT NULL,
    sum_xx      BIGINT NOT NULL,
    sum_yy      BIGINT NOT NULL,
    sum_xy      BIGINT NOT NULL
);

-- Rows of the date that failed validation, per list of reasons as the quarantine table holds it
-- ("Exam_Score:out_of_range", several joined by ';'): how many rows were left out of every figure, and why.
CREATE TABLE IF NOT EXISTS marts.quarantine_summary (
    ingest_date DATE          NOT NULL,
    reasons     VARCHAR(1024) NOT NULL,
    n           BIGINT        NOT NULL
);
