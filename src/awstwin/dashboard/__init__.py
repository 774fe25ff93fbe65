"""The dashboard: statistics and findings from the warehouse marts, in one self-contained HTML page.

html = render_dashboard(connection, "2024-01-15")              # any DB-API connection
build_dashboard(connection, "2024-01-15", s3_client=s3, bucket="my-bucket")   # the DAG's task
"""

from awstwin.dashboard.publish import build_dashboard, publish_dashboard
from awstwin.dashboard.render import render_dashboard

__all__ = ["build_dashboard", "publish_dashboard", "render_dashboard"]
