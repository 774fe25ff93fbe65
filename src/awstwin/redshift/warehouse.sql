-- What the Redshift front installs in each database it serves (idempotent; run by awstwin.redshift.install).
-- Redshift's functions, types and system views live in pg_catalog, so they resolve unqualified there
-- too; the front's own records live in schema awstwin_redshift.
SET allow_system_table_mods = on;

CREATE SCHEMA IF NOT EXISTS awstwin_redshift;
GRANT USAGE ON SCHEMA awstwin_redshift TO PUBLIC;

-- DISTSTYLE / DISTKEY / SORTKEY / ENCODE / BACKUP as written in CREATE TABLE or ALTER TABLE.
CREATE TABLE IF NOT EXISTS awstwin_redshift.table_attributes (
    reloid oid PRIMARY KEY,
    diststyle text NOT NULL DEFAULT 'AUTO',
    distkey text,
    sortkey text[] NOT NULL DEFAULT '{}',
    sortkey_kind text NOT NULL DEFAULT 'COMPOUND',
    backup boolean NOT NULL DEFAULT true,
    encodings jsonb NOT NULL DEFAULT '{}'
);
GRANT SELECT, INSERT, UPDATE, DELETE ON awstwin_redshift.table_attributes TO PUBLIC;

-- Rows rejected by COPY, written by the front outside the load's transaction (as Redshift logs them).
CREATE TABLE IF NOT EXISTS awstwin_redshift.load_errors (
    userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
    filename text, line_number bigint, colname text, type text, col_length text, position integer,
    raw_line text, raw_field_value text, err_code integer, err_reason text, is_partial integer,
    start_offset bigint, copy_job_id bigint, table_name text
);
GRANT SELECT ON awstwin_redshift.load_errors TO PUBLIC;
CREATE SEQUENCE IF NOT EXISTS awstwin_redshift.query_ids START 1000;
GRANT USAGE ON SEQUENCE awstwin_redshift.query_ids TO PUBLIC;

-- External schemas (Spectrum): a name for a Glue database.
CREATE TABLE IF NOT EXISTS awstwin_redshift.external_schemas (
    schemaname text PRIMARY KEY, databasename text NOT NULL, iam_role text, region text,
    esoptions text, owner name NOT NULL DEFAULT current_user
);
GRANT SELECT, INSERT, UPDATE, DELETE ON awstwin_redshift.external_schemas TO PUBLIC;
CREATE TABLE IF NOT EXISTS awstwin_redshift.external_tables (
    schemaname text, tablename text, location text, input_format text, output_format text,
    serialization_lib text, serde_parameters text, compressed integer, parameters text,
    columns jsonb, partition_keys jsonb, PRIMARY KEY (schemaname, tablename)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON awstwin_redshift.external_tables TO PUBLIC;

-- Drop a table's attributes with the table.
CREATE OR REPLACE FUNCTION awstwin_redshift.forget_dropped() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM awstwin_redshift.table_attributes a USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = a.reloid;
END $$;
DROP EVENT TRIGGER IF EXISTS awstwin_redshift_forget_dropped;
CREATE EVENT TRIGGER awstwin_redshift_forget_dropped ON sql_drop
    EXECUTE FUNCTION awstwin_redshift.forget_dropped();

-- ---- types -----------------------------------------------------------------------------------
DO $$ BEGIN
    CREATE DOMAIN pg_catalog.super AS jsonb;  -- SUPER holds JSON values here
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

-- ---- functions (https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions.html) -----------
-- GETDATE: the statement's start, to the second; SYSDATE: the transaction's start (written sysdate()).
CREATE OR REPLACE FUNCTION pg_catalog.getdate() RETURNS timestamp LANGUAGE sql STABLE
    AS $$ SELECT date_trunc('second', statement_timestamp() AT TIME ZONE current_setting('TimeZone')) $$;
CREATE OR REPLACE FUNCTION pg_catalog.sysdate() RETURNS timestamp LANGUAGE sql STABLE
    AS $$ SELECT transaction_timestamp() AT TIME ZONE current_setting('TimeZone') $$;
CREATE OR REPLACE FUNCTION pg_catalog.nvl2(anyelement, anycompatible, anycompatible) RETURNS anycompatible
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $1 IS NOT NULL THEN $2 ELSE $3 END $$;
CREATE OR REPLACE FUNCTION pg_catalog.charindex(text, text) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT strpos($2, $1) $$;
CREATE OR REPLACE FUNCTION pg_catalog.convert_timezone(text, text, timestamp) RETURNS timestamp
    LANGUAGE sql STABLE AS $$ SELECT ($3 AT TIME ZONE $1) AT TIME ZONE $2 $$;
CREATE OR REPLACE FUNCTION pg_catalog.convert_timezone(text, timestamp) RETURNS timestamp
    LANGUAGE sql STABLE AS $$ SELECT ($2 AT TIME ZONE 'UTC') AT TIME ZONE $1 $$;
-- DATEADD(part, n, ts): a timestamp, months clamped to the month's end as Redshift does.
CREATE OR REPLACE FUNCTION pg_catalog.dateadd(text, bigint, timestamp) RETURNS timestamp
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE lower($1)
        WHEN 'quarter' THEN $3 + make_interval(months => 3 * $2::int)
        WHEN 'week' THEN $3 + make_interval(weeks => $2::int)
        WHEN 'decade' THEN $3 + make_interval(years => 10 * $2::int)
        WHEN 'century' THEN $3 + make_interval(years => 100 * $2::int)
        WHEN 'millennium' THEN $3 + make_interval(years => 1000 * $2::int)
        ELSE $3 + ($2 || ' ' || lower($1))::interval END $$;
CREATE OR REPLACE FUNCTION pg_catalog.dateadd(text, bigint, date) RETURNS timestamp
    LANGUAGE sql IMMUTABLE AS $$ SELECT pg_catalog.dateadd($1, $2, $3::timestamp) $$;
CREATE OR REPLACE FUNCTION pg_catalog.dateadd(text, bigint, timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$ SELECT pg_catalog.dateadd($1, $2, $3::timestamp)::timestamptz $$;
-- DATEDIFF(part, a, b): how many part boundaries lie between a and b (not elapsed time / length).
CREATE OR REPLACE FUNCTION pg_catalog.datediff(text, timestamp, timestamp) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE lower($1)
        WHEN 'year' THEN extract(year FROM $3) - extract(year FROM $2)
        WHEN 'quarter' THEN (extract(year FROM $3) * 4 + extract(quarter FROM $3))
                          - (extract(year FROM $2) * 4 + extract(quarter FROM $2))
        WHEN 'month' THEN (extract(year FROM $3) * 12 + extract(month FROM $3))
                        - (extract(year FROM $2) * 12 + extract(month FROM $2))
        WHEN 'week' THEN (date_trunc('week', $3)::date - date_trunc('week', $2)::date) / 7
        WHEN 'day' THEN $3::date - $2::date
        WHEN 'hour' THEN floor(extract(epoch FROM date_trunc('hour', $3) - date_trunc('hour', $2)) / 3600)
        WHEN 'minute' THEN floor(extract(epoch FROM date_trunc('minute', $3) - date_trunc('minute', $2)) / 60)
        WHEN 'second' THEN floor(extract(epoch FROM date_trunc('second', $3) - date_trunc('second', $2)))
        WHEN 'milliseconds' THEN floor(extract(epoch FROM date_trunc('milliseconds', $3)
                                                    - date_trunc('milliseconds', $2)) * 1000)
        WHEN 'microseconds' THEN floor(extract(epoch FROM $3 - $2) * 1000000)
        ELSE extract(year FROM $3) - extract(year FROM $2) END::bigint $$;
CREATE OR REPLACE FUNCTION pg_catalog.datediff(text, date, date) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT pg_catalog.datediff($1, $2::timestamp, $3::timestamp) $$;
CREATE OR REPLACE FUNCTION pg_catalog.datediff(text, timestamptz, timestamptz) RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT pg_catalog.datediff($1, $2::timestamp, $3::timestamp) $$;
-- LISTAGG(expr [, delimiter]): the front moves WITHIN GROUP (ORDER BY ...) inside the call.
CREATE OR REPLACE FUNCTION awstwin_redshift.listagg_step(text, text, text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2
                                             ELSE $1 || coalesce($3, '') || $2 END $$;
CREATE OR REPLACE FUNCTION awstwin_redshift.listagg_step(text, text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $2 IS NULL THEN $1 ELSE coalesce($1, '') || $2 END $$;
CREATE OR REPLACE AGGREGATE pg_catalog.listagg(text, text) (sfunc = awstwin_redshift.listagg_step, stype = text);
CREATE OR REPLACE AGGREGATE pg_catalog.listagg(text) (sfunc = awstwin_redshift.listagg_step, stype = text);

-- The front passes the session's values in: pg_last_copy_count() reaches Postgres as pg_last_copy_count(n).
CREATE OR REPLACE FUNCTION pg_catalog.pg_last_copy_count(integer DEFAULT -1) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$;
CREATE OR REPLACE FUNCTION pg_catalog.pg_last_copy_id(integer DEFAULT -1) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$;
CREATE OR REPLACE FUNCTION pg_catalog.pg_last_unload_count(bigint DEFAULT -1) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$;

-- Redshift's extra catalog columns, as functions (the front rewrites alias.attisdistkey and the like).
CREATE OR REPLACE FUNCTION awstwin_redshift.encodings() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['none', 'raw', 'bytedict', 'delta', 'delta32k', 'lzo', 'mostly8', 'mostly16', 'mostly32',
                 'runlength', 'text255', 'text32k', 'az64', 'zstd'] $$;
CREATE OR REPLACE FUNCTION pg_catalog.format_encoding(integer) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce((awstwin_redshift.encodings())[$1 + 1], 'none') $$;
CREATE OR REPLACE FUNCTION pg_catalog.attencodingtype(oid, name) RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_position(awstwin_redshift.encodings(), t.encodings ->> $2::text) - 1, 0)::smallint
    FROM (SELECT $1) x LEFT JOIN awstwin_redshift.table_attributes t ON t.reloid = $1 $$;
CREATE OR REPLACE FUNCTION pg_catalog.attisdistkey(oid, name) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT distkey = $2::text FROM awstwin_redshift.table_attributes WHERE reloid = $1), false) $$;
CREATE OR REPLACE FUNCTION pg_catalog.attsortkeyord(oid, name) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT array_position(sortkey, $2::text) FROM awstwin_redshift.table_attributes
                     WHERE reloid = $1), 0) $$;
CREATE OR REPLACE FUNCTION pg_catalog.reldiststyle(oid) RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT CASE (SELECT diststyle FROM awstwin_redshift.table_attributes WHERE reloid = $1)
        WHEN 'EVEN' THEN 0 WHEN 'KEY' THEN 1 WHEN 'ALL' THEN 8 ELSE 10 END::smallint $$;
-- Late-binding views (WITH NO SCHEMA BINDING) do not exist here: none to list.
CREATE OR REPLACE FUNCTION pg_catalog.pg_get_late_binding_view_cols() RETURNS SETOF record LANGUAGE sql AS $$
    SELECT NULL::name, NULL::name, NULL::name, NULL::varchar, NULL::integer WHERE false $$;

-- ---- system views (https://docs.aws.amazon.com/redshift/latest/dg/cm_chap_system-tables.html) ---
CREATE OR REPLACE VIEW pg_catalog.pg_table_def AS
SELECT n.nspname::name AS schemaname, c.relname::name AS tablename, a.attname::name AS "column",
       format_type(a.atttypid, a.atttypmod)::varchar(128) AS type,
       coalesce(t.encodings ->> a.attname, 'none')::varchar(32) AS encoding,
       (t.distkey IS NOT DISTINCT FROM a.attname::text AND t.distkey IS NOT NULL) AS distkey,
       coalesce(array_position(t.sortkey, a.attname::text), 0)::integer AS sortkey,
       a.attnotnull AS notnull
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN awstwin_redshift.table_attributes t ON t.reloid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY (current_schemas(false));

CREATE OR REPLACE VIEW pg_catalog.svv_table_info AS
SELECT current_database()::text AS database, n.nspname::text AS schema, c.oid::integer AS table_id,
       c.relname::text AS "table",
       CASE WHEN t.encodings IS NOT NULL AND t.encodings <> '{}' THEN 'Y' ELSE 'N' END::char(1) AS encoded,
       CASE WHEN coalesce(t.diststyle, 'AUTO') = 'KEY' THEN 'KEY(' || t.distkey || ')'
            WHEN coalesce(t.diststyle, 'AUTO') = 'AUTO' THEN 'AUTO(ALL)'
            ELSE t.diststyle END::text AS diststyle,
       CASE WHEN t.sortkey_kind = 'INTERLEAVED' AND cardinality(t.sortkey) > 0
            THEN 'INTERLEAVED' ELSE t.sortkey[1] END::text AS sortkey1,
       cardinality(coalesce(t.sortkey, '{}'))::integer AS sortkey_num,
       (pg_total_relation_size(c.oid) / 1048576)::bigint AS size,
       greatest(c.reltuples, 0)::numeric(38, 0) AS tbl_rows,
       greatest(c.reltuples, 0)::numeric(38, 0) AS estimated_visible_rows,
       0::numeric(5, 2) AS unsorted, 0::numeric(5, 2) AS stats_off, 0::numeric(13, 2) AS skew_rows,
       coalesce(t.backup, true) AS backup
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN awstwin_redshift.table_attributes t ON t.reloid = c.oid
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'awstwin_redshift')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%';

CREATE OR REPLACE VIEW pg_catalog.stv_sessions AS
SELECT backend_start::timestamp AS starttime, pid::integer AS process, usename::char(50) AS user_name,
       datname::char(50) AS db_name, 0 AS timeout_sec
FROM pg_stat_activity WHERE backend_type = 'client backend';

CREATE OR REPLACE VIEW pg_catalog.stl_load_errors AS
SELECT userid, slice, tbl, starttime, session, query, filename::char(256) AS filename, line_number,
       colname::char(127) AS colname, type::char(10) AS type, col_length::char(10) AS col_length,
       position, left(raw_line, 1024)::char(1024) AS raw_line,
       left(raw_field_value, 1024)::char(1024) AS raw_field_value, err_code,
       left(err_reason, 100)::char(100) AS err_reason, is_partial, start_offset, copy_job_id
FROM awstwin_redshift.load_errors;

CREATE OR REPLACE VIEW pg_catalog.sys_load_error_detail AS
SELECT userid AS user_id, query AS query_id, NULL::bigint AS transaction_id, session AS session_id,
       starttime AS start_time, filename::char(256) AS file_name, line_number,
       colname::char(127) AS column_name, type::char(10) AS column_type, col_length::char(10) AS column_length,
       position, raw_line::char(1024) AS raw_line, raw_field_value::char(1024) AS raw_field_value,
       err_code AS error_code, err_reason::char(100) AS error_message, table_name::char(136) AS table_id
FROM awstwin_redshift.load_errors;

CREATE OR REPLACE VIEW pg_catalog.svv_external_schemas AS
SELECT 0 AS esoid, 1 AS eskind, e.schemaname::name AS schemaname, coalesce(u.usesysid, 0)::integer AS esowner,
       e.databasename::text AS databasename, e.esoptions::text AS esoptions
FROM awstwin_redshift.external_schemas e LEFT JOIN pg_user u ON u.usename = e.owner;

CREATE OR REPLACE VIEW pg_catalog.svv_external_tables AS
SELECT 'awsdatacatalog'::text AS redshift_database_name, t.schemaname::text, t.tablename::text,
       t.location::text, t.input_format::text, t.output_format::text, t.serialization_lib::text,
       t.serde_parameters::text, t.compressed, t.parameters::text, e.databasename::text AS databasename
FROM awstwin_redshift.external_tables t JOIN awstwin_redshift.external_schemas e USING (schemaname);

CREATE OR REPLACE VIEW pg_catalog.svv_external_columns AS
SELECT t.schemaname::text, t.tablename::text, col ->> 'name' AS columnname, col ->> 'type' AS external_type,
       (ord)::integer AS columnnum, (col ->> 'part_key')::integer AS part_key, false AS is_nullable
FROM awstwin_redshift.external_tables t,
     jsonb_array_elements(t.columns || coalesce(t.partition_keys, '[]')) WITH ORDINALITY AS x(col, ord);

RESET allow_system_table_mods;
