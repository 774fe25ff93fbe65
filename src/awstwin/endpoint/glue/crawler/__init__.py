"""Glue crawlers.

- `models.py`              the crawler resources, their state machine, metrics, history, schedules
- `crawl.py`               one crawl: S3 targets -> objects (Exclusions) -> classified files -> tables
- `classifiers.py`         WHERE TYPES ARE INFERRED: format, header and column types from a bounded sample
- `layout.py`              which folder is a table's root and which folders are its partitions
- `catalog_writer.py`      tables and partitions into the catalog under the SchemaChangePolicy
- `custom_classifiers.py`  CreateClassifier & co.; custom CSV classifiers steer a crawl
- `schedule.py`            Glue cron expressions
- `crawl_log.py`           crawl log lines to CloudWatch Logs `/aws-glue/crawlers`
"""
