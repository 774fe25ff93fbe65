#!/bin/sh
# LocalStack "ready" hook for the compose stack (mounted at /etc/localstack/init/ready.d/):
# create the pipeline's bucket so the emulator and Airflow find it at once. Provisioning from
# infra/pipeline.yaml creates and configures it too (encryption, public-access block); this only
# makes the first start independent of that order. Idempotent: an existing bucket is kept.
set -eu
BUCKET="${BUCKET:-awstwin-student-performance}"
if awslocal s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1; then
    echo "bucket s3://$BUCKET already exists"
else
    awslocal s3api create-bucket --bucket "$BUCKET" >/dev/null
    echo "created bucket s3://$BUCKET"
fi
