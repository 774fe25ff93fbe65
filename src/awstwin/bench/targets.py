"""What we promise, as data: metric name -> (comparison, bound, unit). Measured on 2 cores."""

from __future__ import annotations

TARGETS: dict[str, tuple[str, float, str]] = {
    "endpoint.ready_seconds": ("<=", 5.0, "s"),
    "endpoint.idle_rss_mb": ("<=", 400.0, "MB"),
    "generator.rows_per_second": (">=", 300_000.0, "rows/s"),
    "generator.peak_rss_mb": ("<=", 300.0, "MB"),
    "warehouse.start_seconds": ("<=", 5.0, "s"),
    "warehouse.stop_seconds": ("<=", 5.0, "s"),
    "redshift_front.front_roundtrip_ms": ("<=", 2.0, "ms"),
    "redshift_front.copy_s3_rows_per_second": (">=", 50_000.0, "rows/s"),
    "pipeline.total_seconds": ("<=", 120.0, "s"),
    "pipeline.glue_job_seconds": ("<=", 60.0, "s"),
    "pipeline_1m.total_seconds": ("<=", 240.0, "s"),
}


def verdict(name: str, value: float) -> str | None:
    """'ok' / 'MISSED' for a metric with a target, None for one we only report."""
    if name not in TARGETS:
        return None
    op, bound, _ = TARGETS[name]
    met = value <= bound if op == "<=" else value >= bound
    return "ok" if met else "MISSED"
