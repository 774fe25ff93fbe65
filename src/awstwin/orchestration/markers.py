"""Line prefixes the DAG-run child prints for its parent (kept apart so the parent never imports Airflow)."""

PROGRESS_MARK = "AWSTWIN-PROGRESS "  # + JSON {event: running|success|failed, task_id, error?}
READY_MARK = "AWSTWIN-READY"  # the DAG is loaded and Airflow warmed up: send the conf
