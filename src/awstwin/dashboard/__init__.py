"""The dashboard: statistics and findings from the warehouse marts, in one self-contained HTML page.

html = render_dashboard(connection, "2024-01-15")              # any DB-API connection
build_dashboard(connection, "2024-01-15", s3_client=s3, bucket="my-bucket")   # the DAG's task

The three are loaded on first use: rendering needs scipy and plotly (seconds to import), and the
submodules that only read the marts (`marts`, `data`: the run report's KPIs) must stay cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_dashboard", "publish_dashboard", "render_dashboard"]


def __getattr__(name: str) -> Any:
    if name in ("build_dashboard", "publish_dashboard"):
        from awstwin.dashboard import publish

        return getattr(publish, name)
    if name == "render_dashboard":
        from awstwin.dashboard import render

        return render.render_dashboard
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
