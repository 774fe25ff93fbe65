"""All S3 handlers in one object: each `@handler("PutObject", whole_request=True)` method is one operation.

`PutObject` -> `put_object(Bucket=..., Key=..., Body=..., ...)`: the parameters are botocore's
member names and the result is the operation's output shape as a dict. A handler may add
`_status` (206, 204) to the result. Operations without a handler here answer 501.
"""

from __future__ import annotations

from awstwin.endpoint.s3.api_buckets import BucketApi
from awstwin.endpoint.s3.api_listing import ListingApi
from awstwin.endpoint.s3.api_multipart import MultipartApi
from awstwin.endpoint.s3.api_objects import ObjectApi
from awstwin.endpoint.s3.store import ObjectStore


class S3Operations(BucketApi, ObjectApi, ListingApi, MultipartApi):
    def __init__(self, store: ObjectStore, region: str = "us-east-1"):
        self.store = store
        self.region = region
