"""The upload stage's work: the run's input goes to its own folder in the raw zone, under one name."""

from __future__ import annotations

from awstwin.core import aws
from awstwin.core.profile import Profile
from awstwin.pipeline.dataset import Dataset


def upload_input(profile: Profile, ingest_date: str, run: str, data: Dataset) -> str:
    """Put the input in this run's own raw folder, under the one name every run uses (a file called
    `_x.csv` would be skipped by Spark and Athena); nothing else is touched: the date's published
    upload stays until the DAG publishes this run. Returns the object's URI."""
    key = profile.raw_key(ingest_date, run)
    aws.client(profile, "s3").upload_file(str(data.upload_file), profile.bucket, key)
    return f"s3://{profile.bucket}/{key}"
