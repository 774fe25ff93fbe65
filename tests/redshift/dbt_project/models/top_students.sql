{{ config(materialized='view') }}

SELECT student_id, exam_score, NVL(hours_studied, 0) AS hours_studied,
       DECODE(school_type, 'Public', 'state', 'Private', 'independent', 'other') AS school_kind
FROM {{ ref('students') }}
WHERE exam_score >= 70
