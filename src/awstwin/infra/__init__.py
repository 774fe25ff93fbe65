"""The pipeline's AWS resources: read infra/pipeline.yaml and create them through boto3."""
