"""One place that reads configuration from the environment.

Every setting has a default that works on a laptop with no configuration at all; profiles
(`profiles/*.env`) only override environment variables, never code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account; ARNs are built with it locally
DEFAULT_PORT = 4566  # LocalStack's convention: one port for every service
DEFAULT_WAREHOUSE = "127.0.0.1:5439"  # the Redshift front of the local stacks
# The Spark master Glue Spark jobs run on (`spark://host:port`, `k8s://...`); unset: `local[*]`. The
# stacks set it from the profile's GLUE_SPARK_MASTER.
GLUE_SPARK_MASTER_ENV = "AWSTWIN_GLUE_SPARK_MASTER"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class EndpointSettings:
    """How the local AWS endpoint runs: where it listens and where it keeps state."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    state_dir: Path | None = None
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    # When set, S3 (and CloudWatch Logs) live elsewhere (LocalStack in the compose stack) and the
    # endpoint is only their client; otherwise it serves S3 itself from plain files.
    external_s3_url: str | None = None
    external_logs_url: str | None = None
    # host:port of the warehouse (the Redshift front) that Redshift Serverless workgroups and the
    # Redshift Data API run on: the local stack's warehouse port.
    warehouse_endpoint: str = DEFAULT_WAREHOUSE
    # An existing Spark cluster's master for Glue Spark job runs (None: `local[*]` in the run's process).
    glue_spark_master: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def serves_s3(self) -> bool:
        return self.external_s3_url is None

    @classmethod
    def from_env(cls, **overrides: object) -> EndpointSettings:
        state = _env("AWSTWIN_STATE_DIR")
        values: dict[str, object] = {
            "host": _env("AWSTWIN_HOST", "127.0.0.1"),
            "port": int(_env("AWSTWIN_PORT", str(DEFAULT_PORT)) or DEFAULT_PORT),
            "state_dir": Path(state).resolve() if state else None,
            "region": _env("AWS_DEFAULT_REGION", DEFAULT_REGION),
            "account_id": _env("AWSTWIN_ACCOUNT_ID", DEFAULT_ACCOUNT_ID),
            "external_s3_url": _env("AWSTWIN_EXTERNAL_S3_URL"),
            "external_logs_url": _env("AWSTWIN_EXTERNAL_LOGS_URL"),
            "warehouse_endpoint": _env("AWSTWIN_WAREHOUSE_ENDPOINT", DEFAULT_WAREHOUSE),
            "glue_spark_master": _env(GLUE_SPARK_MASTER_ENV),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["state_dir"] is not None:
            values["state_dir"] = Path(str(values["state_dir"])).resolve()
        return cls(**values)  # type: ignore[arg-type]
