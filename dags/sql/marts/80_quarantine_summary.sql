{%- set ingest_date = params.ingest_date or ds -%}
-- One row per distinct list of reasons among the date's quarantined rows, with how many rows had it
-- (the dashboard counts each single reason from these lists). Built in the transaction that publishes
-- the date's rows, so it always matches public.student_performance_quarantine.
DELETE FROM marts.quarantine_summary WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE);

INSERT INTO marts.quarantine_summary (ingest_date, reasons, n)
SELECT ingest_date, reasons, COUNT(*)
FROM public.student_performance_quarantine
WHERE ingest_date = CAST('{{ ingest_date }}' AS DATE)
GROUP BY ingest_date, reasons;
