"""The upload stage's work: the ingest date's raw partition in S3 holds exactly the run's input file."""

from __future__ import annotations

from awstwin.core import aws
from awstwin.core.profile import Profile
from awstwin.pipeline.dataset import Dataset


def upload_input(profile: Profile, ingest_date: str, data: Dataset) -> tuple[str, int]:
    """Make the ingest date's raw partition hold exactly this file: a re-run replaces the date's
    earlier upload instead of adding to it. Returns (the object's URI, objects replaced)."""
    s3 = aws.client(profile, "s3")
    key = profile.raw_key(ingest_date, data.path.name)
    prefix = key.rsplit("/", 1)[0] + "/"
    replaced = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=profile.bucket, Prefix=prefix):
        stale = [{"Key": item["Key"]} for item in page.get("Contents", []) if item["Key"] != key]
        if stale:
            s3.delete_objects(Bucket=profile.bucket, Delete={"Objects": stale, "Quiet": True})
            replaced += len(stale)
    s3.upload_file(str(data.path), profile.bucket, key)
    return f"s3://{profile.bucket}/{key}", replaced
