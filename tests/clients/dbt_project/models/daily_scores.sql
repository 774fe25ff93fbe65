{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partitioned_by=['taken_on'],
) }}

select school_type, avg(x.score) as avg_score, count(*) as exams, x.taken_on
from {{ ref('scores') }} x
join {{ ref('students') }} s on s.student_id = x.student_id
{% if is_incremental() %}
where x.taken_on >= (select max(taken_on) from {{ this }})
{% endif %}
group by school_type, x.taken_on
