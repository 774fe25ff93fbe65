{%- set ingest_date = params.ingest_date or ds -%}
-- Exam score for each whole number of nightly sleep hours.
DELETE FROM marts.score_by_sleep_hours WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.score_by_sleep_hours (ingest_date, sleep_hours, n, avg_exam_score, sd_exam_score)
SELECT
    ingest_date,
    sleep_hours,
    COUNT(*),
    AVG(CAST(exam_score AS DOUBLE PRECISION)),
    STDDEV_SAMP(CAST(exam_score AS DOUBLE PRECISION))
FROM public.student_performance_factors
WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE)
    AND sleep_hours IS NOT NULL
GROUP BY ingest_date, sleep_hours;
