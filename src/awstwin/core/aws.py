"""boto3 clients for a profile: the local endpoint when the profile names one, AWS otherwise."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from awstwin.core.profile import Profile

# Locally a refused connection means the stack is down: fail at once instead of retrying for a minute.
_LOCAL_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120)


def client(profile: Profile, service: str) -> Any:
    """A boto3 client for `service` as the profile configures it."""
    kwargs: dict[str, Any] = {"region_name": profile.aws_region}
    if profile.is_local:
        kwargs.update(endpoint_url=profile.endpoint_for(service), config=_LOCAL_CONFIG)
    if profile.aws_access_key_id:
        kwargs.update(
            aws_access_key_id=profile.aws_access_key_id,
            aws_secret_access_key=profile.aws_secret_access_key,
        )
    return boto3.client(service, **kwargs)
