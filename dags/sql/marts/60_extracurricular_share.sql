{%- set ingest_date = params.ingest_date or ds -%}
-- Who takes part in extracurricular activities (share of rows with a known answer) and how they score.
DELETE FROM marts.extracurricular_share WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.extracurricular_share (
    ingest_date, extracurricular_activities, n, share_pct, avg_exam_score, sd_exam_score
)
SELECT
    g.ingest_date,
    g.extracurricular_activities,
    g.n,
    100 * CAST(g.n AS DOUBLE PRECISION) / total.n,
    g.avg_exam_score,
    g.sd_exam_score
FROM (
    SELECT
        ingest_date,
        extracurricular_activities,
        COUNT(*) AS n,
        AVG(CAST(exam_score AS DOUBLE PRECISION)) AS avg_exam_score,
        STDDEV_SAMP(CAST(exam_score AS DOUBLE PRECISION)) AS sd_exam_score
    FROM public.student_performance_factors
    WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE)
        AND extracurricular_activities IS NOT NULL
    GROUP BY ingest_date, extracurricular_activities
) AS g
CROSS JOIN (
    SELECT COUNT(*) AS n
    FROM public.student_performance_factors
    WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE)
        AND extracurricular_activities IS NOT NULL
) AS total;
