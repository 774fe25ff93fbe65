{%- set ingest_date = params.ingest_date or ds -%}
-- Exam score by band of weekly study hours; avg_hours_studied places each band on a chart's x axis.
DELETE FROM marts.score_by_study_hours_band WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.score_by_study_hours_band (
    ingest_date, hours_band, hours_band_order, n, avg_hours_studied, avg_exam_score, sd_exam_score
)
SELECT
    s.ingest_date,
    h.label,
    h.band_order,
    COUNT(*),
    AVG(CAST(s.hours_studied AS DOUBLE PRECISION)),
    AVG(CAST(s.exam_score AS DOUBLE PRECISION)),
    STDDEV_SAMP(CAST(s.exam_score AS DOUBLE PRECISION))
FROM public.student_performance_factors AS s
JOIN marts.band_edges AS h
    ON h.band_set = 'hours_studied'
    AND s.hours_studied >= h.lower_bound
    AND (h.upper_bound IS NULL OR s.hours_studied <= h.upper_bound)
WHERE s.ingest_date = CAST('{{ ingest_date }}' AS DATE)
GROUP BY s.ingest_date, h.label, h.band_order;
