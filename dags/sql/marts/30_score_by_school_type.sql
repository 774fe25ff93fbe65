{%- set ingest_date = params.ingest_date or ds -%}
-- Exam score by school type (Public / Private); rows with no school type are left out.
DELETE FROM marts.score_by_school_type WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.score_by_school_type (ingest_date, school_type, n, avg_exam_score, sd_exam_score)
SELECT
    ingest_date,
    school_type,
    COUNT(*),
    AVG(CAST(exam_score AS DOUBLE PRECISION)),
    STDDEV_SAMP(CAST(exam_score AS DOUBLE PRECISION))
FROM public.student_performance_factors
WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE)
    AND school_type IS NOT NULL
GROUP BY ingest_date, school_type;
