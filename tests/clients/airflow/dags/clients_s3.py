"""The S3 operators and sensors, called as the Amazon provider's own system test for S3 calls them
(providers/amazon/tests/system/amazon/aws/example_s3.py), written here for the local endpoint: buckets,
bucket tagging, objects, listings, the key sensors (a key, several keys, a check function, a regex),
a copy, a file transform, the keys-unchanged sensor, and the teardown. Deferrable sensors need
aiobotocore, which the lock does not have: the same sensors run in poke mode."""

from __future__ import annotations

import os
from datetime import datetime

from airflow.providers.amazon.aws.operators.s3 import (
    S3CopyObjectOperator,
    S3CreateBucketOperator,
    S3CreateObjectOperator,
    S3DeleteBucketOperator,
    S3DeleteBucketTaggingOperator,
    S3DeleteObjectsOperator,
    S3FileTransformOperator,
    S3GetBucketTaggingOperator,
    S3ListOperator,
    S3ListPrefixesOperator,
    S3PutBucketTaggingOperator,
)
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor, S3KeysUnchangedSensor
from airflow.sdk import DAG, chain
from airflow.utils.trigger_rule import TriggerRule

ENV_ID = os.environ.get("AWSTWIN_SYSTEM_ENV_ID", "local")
ROWS = "pear,1.25\nrice,3.10\ntea,2.75\n"


def larger_than_twenty_bytes(files: list, **_: object) -> bool:
    return all(f.get("Size", 0) > 20 for f in files)


with DAG("clients_s3", schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["clients"]):
    first, second = f"{ENV_ID}-s3-first", f"{ENV_ID}-s3-second"
    key, other_key = f"{ENV_ID}-prices", f"{ENV_ID}-prices-copy"

    make_first = S3CreateBucketOperator(task_id="make_first", bucket_name=first)
    make_second = S3CreateBucketOperator(task_id="make_second", bucket_name=second)
    tag = S3PutBucketTaggingOperator(task_id="tag", bucket_name=first, key="team", value="data")
    read_tags = S3GetBucketTaggingOperator(task_id="read_tags", bucket_name=first)
    untag = S3DeleteBucketTaggingOperator(task_id="untag", bucket_name=first)
    write = S3CreateObjectOperator(task_id="write", s3_bucket=first, s3_key=key, data=ROWS, replace=True)
    write_other = S3CreateObjectOperator(
        task_id="write_other", s3_bucket=first, s3_key=other_key, data=ROWS, replace=True
    )
    prefixes = S3ListPrefixesOperator(task_id="prefixes", bucket=first, prefix="", delimiter="/")
    keys = S3ListOperator(task_id="keys", bucket=first, prefix="")
    one_key = S3KeySensor(task_id="one_key", bucket_name=first, bucket_key=key, poke_interval=1)
    two_keys = S3KeySensor(
        task_id="two_keys", bucket_name=first, bucket_key=[key, other_key], poke_interval=1
    )
    checked = S3KeySensor(
        task_id="checked",
        bucket_name=first,
        bucket_key=key,
        check_fn=larger_than_twenty_bytes,
        poke_interval=1,
    )
    by_regex = S3KeySensor(
        task_id="by_regex", bucket_name=first, bucket_key=".*-prices", use_regex=True, poke_interval=1
    )
    copy = S3CopyObjectOperator(
        task_id="copy",
        source_bucket_name=first,
        dest_bucket_name=second,
        source_bucket_key=key,
        dest_bucket_key=other_key,
    )
    transform = S3FileTransformOperator(
        task_id="transform",
        source_s3_key=f"s3://{first}/{key}",
        dest_s3_key=f"s3://{second}/{other_key}",
        transform_script="cp",
        replace=True,
    )
    unchanged = S3KeysUnchangedSensor(
        task_id="unchanged", bucket_name=second, prefix="", inactivity_period=2, poke_interval=1
    )
    remove = S3DeleteObjectsOperator(
        task_id="remove", bucket=second, keys=other_key, trigger_rule=TriggerRule.ALL_DONE
    )
    drop_first = S3DeleteBucketOperator(
        task_id="drop_first", bucket_name=first, force_delete=True, trigger_rule=TriggerRule.ALL_DONE
    )
    drop_second = S3DeleteBucketOperator(
        task_id="drop_second", bucket_name=second, force_delete=True, trigger_rule=TriggerRule.ALL_DONE
    )
    chain(
        make_first,
        make_second,
        tag,
        read_tags,
        untag,
        write,
        write_other,
        prefixes,
        keys,
        [one_key, two_keys, checked, by_regex],
        copy,
        transform,
        unchanged,
        remove,
        drop_first,
        drop_second,
    )
