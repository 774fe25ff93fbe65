"""AWS Glue, locally: a Data Catalog, crawlers that crawl and jobs that run their scripts.

- `catalog/`  databases, tables, partitions, connections (the Data Catalog)
- `crawler/`  crawler resources and crawls; `crawler/classifiers.py` infers formats and types
- `jobs/`     job definitions, job runs, and `jobs/runner.py` which runs a script on local PySpark;
              `jobs/bookmarks.py` keeps job bookmarks
- `dataquality/` Data Quality rulesets, evaluation runs and results (DQDL in `awstwin.dataquality`)
- `tags.py`   TagResource / GetTags / UntagResource for every Glue resource
The clean-room `awsglue` runtime that job scripts import lives in `awstwin/glue_runtime/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.operations import Registry
from awstwin.endpoint.protocol.models import service_model
from awstwin.endpoint.protocol.service import ServiceApp

if TYPE_CHECKING:
    from awstwin.endpoint.glue.catalog.models import CatalogBackend
    from awstwin.endpoint.glue.crawler.models import CrawlerBackend
    from awstwin.endpoint.glue.dataquality.models import DataQualityBackend
    from awstwin.endpoint.glue.jobs.models import JobBackend
    from awstwin.endpoint.glue.tags import TagBackend

# AWS Glue answers a request that does not fit its model with this code (besides SerializationException).
INVALID_INPUT = "InvalidInputException"


@dataclass
class Glue:
    """Glue's backends, each reachable by name, and the app that serves them."""

    catalog: CatalogBackend
    crawlers: CrawlerBackend
    jobs: JobBackend
    tags: TagBackend
    dataquality: DataQualityBackend
    app: ServiceApp


def backend_classes() -> tuple[type, ...]:
    """The classes whose `@handler` methods are Glue's operations (the actions table reads them)."""
    from awstwin.endpoint.glue.catalog.models import CatalogBackend
    from awstwin.endpoint.glue.crawler.models import CrawlerBackend
    from awstwin.endpoint.glue.dataquality.models import DataQualityBackend
    from awstwin.endpoint.glue.jobs.models import JobBackend
    from awstwin.endpoint.glue.tags import TagBackend

    return (CatalogBackend, CrawlerBackend, JobBackend, DataQualityBackend, TagBackend)


def build(ctx: EndpointContext) -> Glue:
    from awstwin.endpoint.glue.catalog.models import CatalogBackend
    from awstwin.endpoint.glue.crawler.models import CrawlerBackend
    from awstwin.endpoint.glue.dataquality.models import DataQualityBackend
    from awstwin.endpoint.glue.jobs.models import JobBackend
    from awstwin.endpoint.glue.tags import TagBackend

    tags = TagBackend(ctx)
    catalog = CatalogBackend(ctx, tags)
    crawlers = CrawlerBackend(ctx, catalog, tags)
    dataquality = DataQualityBackend(ctx, catalog, tags)
    jobs = JobBackend(ctx, catalog, tags, dataquality)
    tags.owners.update(
        database=catalog,
        table=catalog,
        connection=catalog,
        crawler=crawlers,
        job=jobs,
        trigger=jobs,
        workflow=jobs,
        dataQualityRuleset=dataquality,
    )
    backends = [catalog, crawlers, jobs, dataquality, tags]
    registry = Registry.of("glue", service_model("glue"), backends)
    app = ServiceApp(registry, backends, invalid_input_code=INVALID_INPUT)
    return Glue(catalog, crawlers, jobs, tags, dataquality, app)
