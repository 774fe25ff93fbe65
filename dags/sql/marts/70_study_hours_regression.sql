{%- set ingest_date = params.ingest_date or ds -%}
-- Sums for the least-squares line and Pearson r of exam score (y) on weekly study hours (x).
-- Redshift has no CORR aggregate; these exact integer sums give slope, intercept and r on any engine.
DELETE FROM marts.study_hours_regression WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.study_hours_regression (ingest_date, n, sum_x, sum_y, sum_xx, sum_yy, sum_xy)
SELECT
    ingest_date,
    COUNT(*),
    SUM(CAST(hours_studied AS BIGINT)),
    SUM(CAST(exam_score AS BIGINT)),
    SUM(CAST(hours_studied AS BIGINT) * hours_studied),
    SUM(CAST(exam_score AS BIGINT) * exam_score),
    SUM(CAST(hours_studied AS BIGINT) * exam_score)
FROM public.student_performance_factors
WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE)
    AND hours_studied IS NOT NULL
    AND exam_score IS NOT NULL
GROUP BY ingest_date;
