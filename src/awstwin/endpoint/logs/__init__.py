"""CloudWatch Logs, locally: moto serves it, except for what moto answers differently from AWS.

- `filter_events.py`  FilterLogEvents: AWS's last page carries a `nextToken` to resume from; moto's
  does not, and readers that follow a log (Airflow's GlueJobHook.print_job_logs) re-read everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# X-Amz-Target values of the operations this package answers (everything else goes to moto as is).
TARGETS = ("Logs_20140328.FilterLogEvents",)


def build(moto: Callable[[], Any]) -> Any:
    """The WSGI app for `TARGETS`; `moto` returns moto's WSGI app (built on first use)."""
    from awstwin.endpoint.logs.filter_events import FilterLogEventsApp

    return FilterLogEventsApp(moto)
