"""Table and output locations are S3 locations, as Athena requires: never a file, folder or URL here.

Athena refuses a DDL statement whose LOCATION is not in S3 when the query is submitted:
StartQueryExecution answers HTTP 400 `InvalidRequestException`, "Invalid location <location> for
table. Only S3 locations are allowed" (Athena's answer quoted in awsdocs/amazon-athena-user-guide#4;
https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html lists the accepted forms).
CTAS `external_location` and UNLOAD `TO` are checked when the statement runs (`writes.py`), and a
catalog table made through Glue's API with another location fails the query that reads it
(`sources.py`). Nothing here reaches past the S3 tree: a location names a bucket and a key.
"""

from __future__ import annotations

from sqlglot.dialects.hive import Hive
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from awstwin.endpoint.athena.exceptions import InvalidRequestException, QueryFailed
from awstwin.endpoint.s3access import is_bucket_folder_name

S3_SCHEMES = ("s3", "s3a", "s3n")


def is_s3_location(location: str) -> bool:
    """`s3://bucket/...` (s3a/s3n too, any case), with a real bucket name."""
    scheme, sep, rest = location.strip().partition("://")
    if not sep or scheme.lower() not in S3_SCHEMES:
        return False
    bucket = rest.split("/", 1)[0]
    return is_bucket_folder_name(bucket)


def is_foreign_location(location: str) -> bool:
    """A location Athena cannot read: another scheme (`file:`, `http:`, `hdfs:`) or a host path.

    Glue also stores the bare `bucket/prefix/` form; that one stays readable as S3.
    """
    text = location.strip()
    if "://" in text or text.startswith(("/", "~", ".")) or ":" in text.split("/", 1)[0]:
        return not is_s3_location(text)
    return False


def ddl_locations(sql: str) -> list[str]:
    """Every `LOCATION '...'` a Hive DDL statement names (CREATE TABLE, ADD PARTITION, SET LOCATION)."""
    try:
        tokens = Hive().tokenize(sql)
    except TokenError:
        return []  # the DDL parser reports the syntax error when the statement runs
    return [
        after.text
        for token, after in zip(tokens, tokens[1:], strict=False)
        if token.text.upper() == "LOCATION" and after.token_type == TokenType.STRING
    ]


def check_ddl(sql: str) -> None:
    """StartQueryExecution's check of a DDL statement: every LOCATION must be in S3."""
    for location in ddl_locations(sql):
        if not is_s3_location(location):
            raise InvalidRequestException(
                f"Invalid location {location} for table. Only S3 locations are allowed"
            )


def require_s3(location: str, what: str) -> None:
    """A CTAS `external_location` or an UNLOAD target that is not in S3 fails the query."""
    if not is_s3_location(location):
        raise QueryFailed(
            "INVALID_TABLE_PROPERTY",
            f"{what} location {location} is not an S3 location. Only S3 locations are allowed",
            1103,
        )
