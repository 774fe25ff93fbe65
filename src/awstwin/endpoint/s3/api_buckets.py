"""Bucket operations: create/head/delete/list, location, and the settings provisioning sets.

Encryption, public access block, policy, versioning and tags are stored and returned as given;
the local endpoint does not encrypt, enforce policies or keep object versions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from awstwin.endpoint.operations import handler
from awstwin.endpoint.s3 import exceptions as err
from awstwin.endpoint.s3.api_common import OWNER, tag_set, tags_from_set
from awstwin.endpoint.s3.store import ObjectStore

US_EAST_1 = "us-east-1"


class BucketApi:
    store: ObjectStore
    region: str

    @handler("ListBuckets")
    def list_buckets(
        self,
        Prefix: str | None = None,
        MaxBuckets: int | None = None,
        ContinuationToken: str | None = None,
        BucketRegion: str | None = None,
    ) -> dict[str, Any]:
        """Lists the buckets (the folders under s3/)."""
        buckets = [
            {
                "Name": name,
                "CreationDate": datetime.fromtimestamp(config.get("created", 0), UTC),
                "BucketRegion": config.get("region", US_EAST_1),
            }
            for name, config in self.store.list_buckets()
            if name.startswith(Prefix or "") and name > (ContinuationToken or "")
        ]
        result: dict[str, Any] = {"Owner": OWNER, "Prefix": Prefix}
        if MaxBuckets and len(buckets) > MaxBuckets:
            buckets = buckets[:MaxBuckets]
            result["ContinuationToken"] = buckets[-1]["Name"]
        result["Buckets"] = buckets
        return result

    @handler("CreateBucket")
    def create_bucket(
        self,
        Bucket: str,
        CreateBucketConfiguration: dict[str, Any] | None = None,
        ACL: str | None = None,
        GrantFullControl: str | None = None,
        GrantRead: str | None = None,
        GrantReadACP: str | None = None,
        GrantWrite: str | None = None,
        GrantWriteACP: str | None = None,
        ObjectLockEnabledForBucket: bool | None = None,
        ObjectOwnership: str | None = None,
        BucketNamespace: str | None = None,
    ) -> dict[str, Any]:
        """Creates a bucket: a folder under the state directory's s3/."""
        region = (CreateBucketConfiguration or {}).get("LocationConstraint") or US_EAST_1
        if region == "EU":
            region = "eu-west-1"
        self.store.create_bucket(Bucket, region)
        return {"Location": f"/{Bucket}"}

    @handler("HeadBucket")
    def head_bucket(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Says whether a bucket exists."""
        config = self.store.bucket_config(Bucket)
        return {"BucketRegion": config.get("region", US_EAST_1), "AccessPointAlias": False}

    @handler("DeleteBucket")
    def delete_bucket(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Deletes an empty bucket (Spark's leftover files do not count)."""
        self.store.delete_bucket(Bucket)
        return {}

    @handler("GetBucketLocation")
    def get_bucket_location(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Returns the bucket's region (empty for us-east-1, as on S3)."""
        region = self.store.bucket_config(Bucket).get("region", US_EAST_1)
        # us-east-1 is reported as an empty LocationConstraint, as AWS does.
        return {"LocationConstraint": None if region == US_EAST_1 else region}

    # ---- tags -----------------------------------------------------------------------------
    @handler("PutBucketTagging")
    def put_bucket_tagging(
        self,
        Bucket: str,
        Tagging: dict[str, Any] | None = None,
        ContentMD5: str | None = None,
        ChecksumAlgorithm: str | None = None,
        ExpectedBucketOwner: str | None = None,
    ) -> dict[str, Any]:
        """Sets a bucket's tags."""
        if Tagging is None:
            raise err.MalformedXML(f"/{Bucket}", "PutBucketTagging needs a <Tagging> document")
        self.store.update_bucket_config(Bucket, tags=tags_from_set(Tagging))
        return {"_status": 204}

    @handler("GetBucketTagging")
    def get_bucket_tagging(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Returns a bucket's tags."""
        tags = self.store.bucket_config(Bucket).get("tags")
        if not tags:
            raise err.NoSuchTagSet(f"/{Bucket}")
        return {"TagSet": tag_set(tags)}

    @handler("DeleteBucketTagging")
    def delete_bucket_tagging(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Removes a bucket's tags."""
        self.store.update_bucket_config(Bucket, tags=None)
        return {}

    # ---- encryption -----------------------------------------------------------------------
    @handler("PutBucketEncryption")
    def put_bucket_encryption(
        self,
        Bucket: str,
        ServerSideEncryptionConfiguration: dict[str, Any] | None = None,
        ContentMD5: str | None = None,
        ChecksumAlgorithm: str | None = None,
        ExpectedBucketOwner: str | None = None,
    ) -> dict[str, Any]:
        """Stores a bucket's default-encryption setting."""
        if not ServerSideEncryptionConfiguration or not ServerSideEncryptionConfiguration.get("Rules"):
            raise err.MalformedXML(f"/{Bucket}", "ServerSideEncryptionConfiguration needs at least one Rule")
        self.store.update_bucket_config(Bucket, encryption=ServerSideEncryptionConfiguration)
        return {}

    @handler("GetBucketEncryption")
    def get_bucket_encryption(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Returns a bucket's default-encryption setting (stored, not applied: files are plain)."""
        config = self.store.bucket_config(Bucket).get("encryption")
        if config is None:
            # Since 2023 every AWS bucket has SSE-S3 by default, and reports it.
            config = {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": False,
                    }
                ]
            }
        return {"ServerSideEncryptionConfiguration": config}

    @handler("DeleteBucketEncryption")
    def delete_bucket_encryption(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Removes a bucket's stored default-encryption setting."""
        self.store.update_bucket_config(Bucket, encryption=None)
        return {}

    # ---- public access block --------------------------------------------------------------
    @handler("PutPublicAccessBlock")
    def put_public_access_block(
        self,
        Bucket: str,
        PublicAccessBlockConfiguration: dict[str, Any] | None = None,
        ContentMD5: str | None = None,
        ChecksumAlgorithm: str | None = None,
        ExpectedBucketOwner: str | None = None,
    ) -> dict[str, Any]:
        """Stores a bucket's public access block."""
        if PublicAccessBlockConfiguration is None:
            raise err.MalformedXML(
                f"/{Bucket}", "PutPublicAccessBlock needs a PublicAccessBlockConfiguration"
            )
        self.store.update_bucket_config(Bucket, public_access_block=PublicAccessBlockConfiguration)
        return {}

    @handler("GetPublicAccessBlock")
    def get_public_access_block(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Returns a bucket's stored public access block."""
        config = self.store.bucket_config(Bucket).get("public_access_block")
        if config is None:
            raise err.NoSuchPublicAccessBlock(Bucket)
        return {"PublicAccessBlockConfiguration": config}

    @handler("DeletePublicAccessBlock")
    def delete_public_access_block(
        self, Bucket: str, ExpectedBucketOwner: str | None = None
    ) -> dict[str, Any]:
        """Removes a bucket's stored public access block."""
        self.store.update_bucket_config(Bucket, public_access_block=None)
        return {}

    # ---- policy ---------------------------------------------------------------------------
    @handler("PutBucketPolicy")
    def put_bucket_policy(
        self,
        Bucket: str,
        Policy: str | None = None,
        ContentMD5: str | None = None,
        ChecksumAlgorithm: str | None = None,
        ConfirmRemoveSelfBucketAccess: bool | None = None,
        ExpectedBucketOwner: str | None = None,
    ) -> dict[str, Any]:
        """Stores a bucket's policy (not enforced)."""
        try:
            document = json.loads(Policy or "")
        except json.JSONDecodeError as exc:
            raise err.MalformedPolicy(f"Policies must be valid JSON: {exc}", resource=f"/{Bucket}") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise err.MalformedPolicy("Missing required field Statement", resource=f"/{Bucket}")
        self.store.update_bucket_config(Bucket, policy=Policy)
        return {"_status": 204}

    @handler("GetBucketPolicy")
    def get_bucket_policy(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Returns a bucket's stored policy (stored, not enforced)."""
        policy = self.store.bucket_config(Bucket).get("policy")
        if policy is None:
            raise err.NoSuchBucketPolicy(Bucket)
        return {"Policy": policy}

    @handler("DeleteBucketPolicy")
    def delete_bucket_policy(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Removes a bucket's stored policy."""
        self.store.update_bucket_config(Bucket, policy=None)
        return {}

    # ---- versioning (the setting only) ----------------------------------------------------
    @handler("PutBucketVersioning")
    def put_bucket_versioning(
        self,
        Bucket: str,
        VersioningConfiguration: dict[str, Any] | None = None,
        ContentMD5: str | None = None,
        ChecksumAlgorithm: str | None = None,
        MFA: str | None = None,
        ExpectedBucketOwner: str | None = None,
    ) -> dict[str, Any]:
        """Stores a versioning setting (one version per key is kept)."""
        status = (VersioningConfiguration or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise err.MalformedXML(
                f"/{Bucket}", "VersioningConfiguration Status must be Enabled or Suspended"
            )
        self.store.update_bucket_config(Bucket, versioning=VersioningConfiguration)
        return {}

    @handler("GetBucketVersioning")
    def get_bucket_versioning(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Returns the stored versioning setting (one version per key is kept)."""
        return dict(self.store.bucket_config(Bucket).get("versioning") or {})

    @handler("GetBucketAcl")
    def get_bucket_acl(self, Bucket: str, ExpectedBucketOwner: str | None = None) -> dict[str, Any]:
        """Returns the bucket owner's full-control ACL (ACLs are not enforced locally)."""
        self.store.require_bucket(Bucket)
        grantee = {"Type": "CanonicalUser", **OWNER}
        return {"Owner": OWNER, "Grants": [{"Grantee": grantee, "Permission": "FULL_CONTROL"}]}
