{{ config(materialized='table', dist='school_type', sort=['school_type'], backup=false) }}

SELECT school_type,
       COUNT(*) AS n,
       AVG(exam_score::float) AS mean_score,
       LISTAGG(student_id::varchar, ',') WITHIN GROUP (ORDER BY student_id) AS students,
       GETDATE() AS built_at
FROM {{ ref('students') }}
GROUP BY school_type
