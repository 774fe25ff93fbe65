{%- set ingest_date = params.ingest_date or ds -%}
-- Exam score by attendance band x tutoring sessions, one row per non-empty cell.
DELETE FROM marts.score_by_attendance_tutoring WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.score_by_attendance_tutoring (
    ingest_date, attendance_band, attendance_band_order, tutoring_sessions_group, tutoring_order,
    n, avg_exam_score, sd_exam_score
)
SELECT
    s.ingest_date,
    a.label,
    a.band_order,
    t.label,
    t.band_order,
    COUNT(*),
    AVG(CAST(s.exam_score AS DOUBLE PRECISION)),
    STDDEV_SAMP(CAST(s.exam_score AS DOUBLE PRECISION))
FROM public.student_performance_factors AS s
JOIN marts.band_edges AS a
    ON a.band_set = 'attendance'
    AND s.attendance >= a.lower_bound
    AND (a.upper_bound IS NULL OR s.attendance <= a.upper_bound)
JOIN marts.band_edges AS t
    ON t.band_set = 'tutoring_sessions'
    AND s.tutoring_sessions >= t.lower_bound
    AND (t.upper_bound IS NULL OR s.tutoring_sessions <= t.upper_bound)
WHERE s.ingest_date = CAST('{{ ingest_date }}' AS DATE)
GROUP BY s.ingest_date, a.label, a.band_order, t.label, t.band_order;
