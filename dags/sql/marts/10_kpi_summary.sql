{%- set ingest_date = params.ingest_date or ds -%}
-- One row per ingest date: the headline figures. AVG runs on DOUBLE PRECISION because Redshift's
-- AVG of an INTEGER column returns an integer. extracurricular_yes_pct counts rows with a known answer.
DELETE FROM marts.kpi_summary WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.kpi_summary (
    ingest_date, n, avg_attendance, avg_exam_score, avg_sleep_hours, avg_hours_studied,
    avg_physical_activity, extracurricular_yes_pct, sd_exam_score
)
SELECT
    ingest_date,
    COUNT(*),
    AVG(CAST(attendance AS DOUBLE PRECISION)),
    AVG(CAST(exam_score AS DOUBLE PRECISION)),
    AVG(CAST(sleep_hours AS DOUBLE PRECISION)),
    AVG(CAST(hours_studied AS DOUBLE PRECISION)),
    AVG(CAST(physical_activity AS DOUBLE PRECISION)),
    100 * CAST(SUM(CASE WHEN extracurricular_activities = 'Yes' THEN 1 ELSE 0 END) AS DOUBLE PRECISION)
        / NULLIF(COUNT(extracurricular_activities), 0),
    STDDEV_SAMP(CAST(exam_score AS DOUBLE PRECISION))
FROM public.student_performance_factors
WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE)
GROUP BY ingest_date;
