"""AWS Glue, locally: a Data Catalog, crawlers that crawl and jobs that run their scripts.

- `catalog/`  databases, tables, partitions, connections (the Data Catalog)
- `crawler/`  crawler resources and crawls; `crawler/classifiers.py` infers formats and types
- `jobs/`     job definitions, job runs, and `jobs/runner.py` which runs a script on local PySpark
- `tags.py`   TagResource / GetTags / UntagResource for every Glue resource
The clean-room `awsglue` runtime that job scripts import lives in `awstwin/glue_runtime/`.
"""

from __future__ import annotations

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.protocol.json_protocol import JsonService


def build(ctx: EndpointContext) -> JsonService:
    from awstwin.endpoint.glue.catalog.models import CatalogBackend
    from awstwin.endpoint.glue.crawler.models import CrawlerBackend
    from awstwin.endpoint.glue.jobs.models import JobBackend
    from awstwin.endpoint.glue.tags import TagBackend

    tags = TagBackend(ctx)
    catalog = CatalogBackend(ctx)
    ctx.backends["glue_catalog"] = catalog
    crawlers = CrawlerBackend(ctx, catalog, tags)
    jobs = JobBackend(ctx, catalog, tags)
    ctx.backends["glue_jobs"] = jobs
    return JsonService("glue", [catalog, crawlers, jobs, tags], validation_error_code="InvalidInputException")
