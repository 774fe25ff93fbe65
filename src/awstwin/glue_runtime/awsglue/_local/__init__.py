"""How the local twin does what Glue's service does: none of this is part of the `awsglue` API.

- `types.py`          Glue/Hive type names -> Spark types, Glue's casts, Glue's type names
- `choice.py`         choice types (a field with values of several types) as marked structs
- `resolve.py`        resolveChoice's actions on one field
- `records.py`        per-record functions (map, filter) with error records; JSON -> typed frames
- `relationalize.py`  nested frame -> root table + one table per array
- `ddb.py`            DynamoDB JSON -> plain values (unnest_ddb_json, simplify_ddb_json)
- `unboxing.py`       unbox: JSON / CSV text -> struct
- `schema_text.py`    printSchema in Glue's tree format
- `fields.py`         Glue field paths over nested Spark columns
- `s3paths.py`        S3 URIs -> files Spark can read and write (plain files, or staged through boto3)
- `naming.py`         Glue's output file names (`run-<ms>-part-r-00000`)
- `tables.py`         a catalog table (and its partitions) -> a DataFrame, read the way its SerDe reads
- `formats.py`        from_options readers and writers for csv / json / parquet / orc
- `catalog_update.py` sinks with enableUpdateCatalog: create the table, add columns and partitions
- `jdbc.py`           from_jdbc_conf: a Glue connection -> Postgres, staged CSV + COPY in one transaction
- `jdbc_read.py`      JDBC-backed catalog tables and JDBC from_options: COPY out -> Spark
- `bookmarks.py`      job bookmarks: S3 files and JDBC rows already read, per transformation_ctx
- `guard.py`          GlueNotImplementedError for members the runtime lacks
- `clients.py`        boto3 clients for the Glue catalog and Secrets Manager
"""
