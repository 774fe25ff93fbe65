"""Every difference between Redshift SQL and Postgres that the front handles, as data.

Three kinds: token rewrites the front applies to a statement before Postgres sees it (tables here),
functions and types installed in the warehouse's pg_catalog (`warehouse.sql`, so they resolve
unqualified as Redshift's do), and statements the front runs itself (COPY from S3, UNLOAD, external
schemas: `copy.py`, `unload.py`, `spectrum.py`). A statement that contains none of the trigger words
below is passed through byte for byte.

Function reference: https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions.html
"""

from __future__ import annotations

import re

# Words that make the front look at a statement (case-insensitive, whole words).
TRIGGER_WORDS = [
    "copy",
    "unload",
    "external",
    "distkey",
    "sortkey",
    "diststyle",
    "encode",
    "backup",
    "identity",
    "interleaved",
    "compound",
    "sysdate",
    "nvl",
    "decode",
    "top",
    "len",
    "dateadd",
    "datediff",
    "date_part",
    "listagg",
    "approximate",
    "median",
    "max",
    "nvarchar",
    "nchar",
    "varbyte",
    "varbinary",
    "pg_last_copy_count",
    "pg_last_copy_id",
    "pg_last_unload_count",
    "svv_external_tables",
    "svv_external_columns",
    "svv_external_schemas",
    "attencodingtype",
    "attisdistkey",
    "attsortkeyord",
    "reldiststyle",
    "adsrc",
]
TRIGGER = re.compile(r"\b(" + "|".join(TRIGGER_WORDS) + r"|where\s+[01])\b", re.IGNORECASE)

# Redshift's own columns of pg_attribute / pg_class / pg_attrdef (tools such as sqlalchemy-redshift
# read them) -> functions in warehouse.sql over Postgres' columns; {q} is the table alias and a dot.
CATALOG_COLUMNS = {
    "ATTENCODINGTYPE": "pg_catalog.attencodingtype({q}attrelid, {q}attname)",
    "ATTISDISTKEY": "pg_catalog.attisdistkey({q}attrelid, {q}attname)",
    "ATTSORTKEYORD": "pg_catalog.attsortkeyord({q}attrelid, {q}attname)",
    "RELDISTSTYLE": "pg_catalog.reldiststyle({q}oid)",
    "ADSRC": "pg_catalog.pg_get_expr({q}adbin, {q}adrelid)",
}

# Function renames where the arguments mean the same.
FUNCTION_RENAMES = {"NVL": "COALESCE", "LEN": "LENGTH"}

# Functions whose first argument is a date part written as a bare word (DATEADD(day, 1, d)).
DATEPART_FIRST = {"DATEADD", "DATEDIFF", "DATE_PART"}

# Redshift's date part names and abbreviations -> the Postgres name.
# https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html
DATEPARTS = {
    **dict.fromkeys(("millennium", "millennia", "mil", "mils"), "millennium"),
    **dict.fromkeys(("century", "centuries", "c", "cent", "cents"), "century"),
    **dict.fromkeys(("decade", "decades", "dec", "decs"), "decade"),
    **dict.fromkeys(("epoch",), "epoch"),
    **dict.fromkeys(("year", "years", "y", "yr", "yrs"), "year"),
    **dict.fromkeys(("quarter", "quarters", "qtr", "qtrs"), "quarter"),
    **dict.fromkeys(("month", "months", "mon", "mons"), "month"),
    **dict.fromkeys(("week", "weeks", "w"), "week"),
    **dict.fromkeys(("dayofweek", "dow", "dw", "weekday"), "dow"),
    **dict.fromkeys(("dayofyear", "doy", "dy", "yearday"), "doy"),
    **dict.fromkeys(("day", "days", "d"), "day"),
    **dict.fromkeys(("hour", "hours", "h", "hr", "hrs"), "hour"),
    **dict.fromkeys(("minute", "minutes", "m", "min", "mins"), "minute"),
    **dict.fromkeys(("second", "seconds", "s", "sec", "secs"), "second"),
    **dict.fromkeys(
        (
            "millisecond",
            "milliseconds",
            "ms",
            "msec",
            "msecs",
            "msecond",
            "mseconds",
            "millisec",
            "millisecs",
            "millisecon",
        ),
        "milliseconds",
    ),
    **dict.fromkeys(
        (
            "microsecond",
            "microseconds",
            "microsec",
            "microsecs",
            "microsecond",
            "usecond",
            "useconds",
            "us",
            "usec",
            "usecs",
        ),
        "microseconds",
    ),
}

# Type names Postgres lacks -> its spelling. VARCHAR(MAX) is handled apart (MAX -> 65535).
TYPE_RENAMES = {"NVARCHAR": "VARCHAR", "NCHAR": "CHAR", "VARBYTE": "BYTEA", "VARBINARY": "BYTEA"}
VARCHAR_MAX = 65535  # bytes, Redshift's largest VARCHAR
VARCHAR_TYPES = {"VARCHAR", "NVARCHAR", "CHARACTER VARYING", "CHAR", "CHARACTER", "NCHAR", "BPCHAR"}

# Redshift table attributes the front accepts and records (reported by pg_table_def, svv_table_info).
DISTSTYLES = {"AUTO", "EVEN", "KEY", "ALL"}
SORTKEY_KINDS = {"COMPOUND", "INTERLEAVED"}

# Redshift's system views that the warehouse holds in pg_catalog (see warehouse.sql).
SYSTEM_VIEWS = [
    "pg_table_def",
    "svv_table_info",
    "stv_sessions",
    "stl_load_errors",
    "sys_load_error_detail",
    "svv_external_schemas",
    "svv_external_tables",
    "svv_external_columns",
]

# Startup parameters Postgres accepts; Redshift drivers send others (client_protocol_version, ...).
STARTUP_PARAMETERS = {
    "user",
    "database",
    "options",
    "application_name",
    "client_encoding",
    "datestyle",
    "timezone",
    "extra_float_digits",
    "search_path",
    "intervalstyle",
    "replication",
    "geqo",
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "default_transaction_read_only",
}

# Glue (Hive) column types -> Postgres types for Spectrum's session tables.
HIVE_TYPES = {
    "string": "varchar",
    "varchar": "varchar",
    "char": "varchar",
    "int": "integer",
    "integer": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "tinyint": "smallint",
    "double": "double precision",
    "float": "real",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "decimal": "numeric",
    "binary": "bytea",
}


def datepart(word: str) -> str | None:
    return DATEPARTS.get(word.strip("'\"").lower())
