"""Glue crawlers.

- `models.py`              the backend: state, recovery after a restart, lookups, shutdown
- `definitions.py`         Create/Get/List/Update/DeleteCrawler (the crawler resources)
- `crawls.py`              StartCrawler/StopCrawler, a crawl's run and state machine, metrics, history
- `scheduling.py`          crawler schedules and the loop that starts due crawls
- `crawl.py`               one crawl: S3 targets -> objects (Exclusions) -> classified files -> tables
- `classifiers.py`         WHERE TYPES ARE INFERRED: format, header and column types from a bounded sample
- `layout.py`              which folder is a table's root and which folders are its partitions (Glue's
                           data-compatibility and schema-similarity rules)
- `jdbc_crawl.py`          JdbcTargets: a database's tables through a Glue connection, with Glue's types
- `catalog_writer.py`      tables and partitions (each with its own schema) into the catalog under the
                           SchemaChangePolicy and the Configuration's CrawlerOutput settings
- `custom_classifiers.py`  CreateClassifier & co.; custom CSV classifiers steer a crawl
- `schedule.py`            Glue cron expressions
- `crawl_log.py`           crawl log lines to CloudWatch Logs `/aws-glue/crawlers`
"""
