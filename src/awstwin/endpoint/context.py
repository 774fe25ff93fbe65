"""What every service of the endpoint shares: settings, the state folder and the S3 helper.

Backends reach each other through typed constructor arguments (`glue.build`, `athena.build`), never
through this context.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from awstwin.core.config import EndpointSettings
from awstwin.endpoint.s3access import ClientS3Access, S3Access, TreeS3Access
from awstwin.endpoint.security.settings import SecuritySettings


@dataclass
class EndpointContext:
    settings: EndpointSettings
    state_dir: Path
    security: SecuritySettings = field(default_factory=SecuritySettings.from_env)

    @property
    def s3_root(self) -> Path | None:
        """The plain-file tree of S3 objects when the endpoint serves S3 itself."""
        return self.state_dir / "s3" if self.settings.serves_s3 else None

    @cached_property
    def s3(self) -> S3Access:
        if self.s3_root is not None:
            return TreeS3Access(self.s3_root)
        import boto3

        client = boto3.client(
            "s3", endpoint_url=self.settings.external_s3_url, region_name=self.settings.region
        )
        return ClientS3Access(client, cache_dir=self.state_dir / "cache" / "s3")

    def client(self, service: str) -> Any:
        """A boto3 client the endpoint itself uses (CloudWatch Logs, ...), pointed where it should be."""
        import boto3

        url = self.settings.url
        if service == "logs" and self.settings.external_logs_url:
            url = self.settings.external_logs_url
        if service == "s3" and self.settings.external_s3_url:
            url = self.settings.external_s3_url
        # Our own endpoint is called with the keys it accepts (strict mode); another S3 or Logs with
        # the environment's keys, as before.
        key, secret = self.security.own_credentials
        if url != self.settings.url:
            key = os.environ.get("AWS_ACCESS_KEY_ID", "test")
            secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "test")
        return boto3.client(
            service,
            endpoint_url=url,
            region_name=self.settings.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )
