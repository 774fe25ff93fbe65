"""The local AWS endpoint: one port, every service the pipeline calls.

S3 is served from plain files (`s3/`), Glue (`glue/`) and Athena (`athena/`) by our own code that does
the work, and everything else (IAM, STS, CloudWatch Logs, ...) by moto, with `logs/` in front of moto
for the one Logs operation moto answers differently from AWS. `server.py` routes requests
(`routing.py`); `actions.py` prints the table of supported actions.
"""
