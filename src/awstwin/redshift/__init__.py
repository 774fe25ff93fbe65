"""A Redshift front on the warehouse's Postgres: Redshift SQL, COPY/UNLOAD with S3, Spectrum over Glue.

    from awstwin.redshift import Backend, RedshiftFront
    with RedshiftFront(Backend(host, pg_port, user, password), port=5439):
        ...   # clients connect to 5439 as to Redshift

    with front.session("awsuser", password) as session:      # what the Data API executes through
        session.execute("UNLOAD ('select ...') TO 's3://...' IAM_ROLE default PARQUET").tag

`python -m awstwin.redshift --port 5439 --backend-port N` serves it in the foreground.
"""

from awstwin.redshift.client import FrontSession, Result
from awstwin.redshift.context import Backend
from awstwin.redshift.front import RedshiftFront

__all__ = ["Backend", "FrontSession", "RedshiftFront", "Result"]
