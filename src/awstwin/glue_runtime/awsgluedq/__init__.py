"""A clean-room, local `awsgluedq`: Glue Data Quality inside a job (`awsgluedq.transforms`).

Written from AWS's documentation of EvaluateDataQuality
(https://docs.aws.amazon.com/glue/latest/dg/glue-etl-data-quality.html), not from its code. Like
`awsglue`, only the local job runner puts it on a job's PYTHONPATH. DQDL is parsed and evaluated by
`awstwin.dataquality`, the same evaluator the endpoint's evaluation runs use.
"""
