"""How the local twin does what Glue's service does: none of this is part of the `awsglue` API.

- `types.py`     Glue/Hive type names -> Spark types, and Glue's casts
- `s3paths.py`   S3 URIs -> files Spark can read and write (plain files, or staged through boto3)
- `tables.py`    a catalog table (and its partitions) -> a DataFrame, read the way its SerDe reads
- `formats.py`   from_options readers and writers for csv / json / parquet
- `jdbc.py`      from_jdbc_conf: a Glue connection -> Postgres, staged CSV + COPY in one transaction
- `spark.py`     the session settings GlueContext applies
"""
