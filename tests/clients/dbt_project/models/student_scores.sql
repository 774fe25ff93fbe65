{{ config(materialized='table') }}

select s.student_id, s.name, s.school_type, avg(x.score) as avg_score, count(*) as exams
from {{ ref('students') }} s
join {{ ref('scores') }} x on x.student_id = s.student_id
group by s.student_id, s.name, s.school_type
