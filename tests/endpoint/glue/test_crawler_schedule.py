"""Crawler schedules: Glue cron expressions fire crawls; Start/StopCrawlerSchedule switch them."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from awstwin.endpoint.glue.crawler.schedule import CronSchedule
from awstwin.endpoint.glue.exceptions import InvalidInputException


@pytest.mark.parametrize(
    ("expression", "moment", "fires"),
    [
        ("cron(15 12 * * ? *)", datetime(2024, 5, 1, 12, 15), True),
        ("cron(15 12 * * ? *)", datetime(2024, 5, 1, 12, 16), False),
        ("cron(0/15 * * * ? *)", datetime(2024, 5, 1, 3, 45), True),
        ("cron(0/15 * * * ? *)", datetime(2024, 5, 1, 3, 46), False),
        ("cron(0 8 ? * MON-FRI *)", datetime(2024, 5, 3, 8, 0), True),  # a Friday
        ("cron(0 8 ? * MON-FRI *)", datetime(2024, 5, 4, 8, 0), False),  # a Saturday
        ("cron(0 0 ? * 1 *)", datetime(2024, 5, 5, 0, 0), True),  # 1 = Sunday, as on AWS
        ("cron(0 18 L * ? *)", datetime(2024, 2, 29, 18, 0), True),
        ("cron(0 18 L * ? *)", datetime(2024, 2, 28, 18, 0), False),
        ("cron(30 6 1,15 JAN,JUL ? 2024-2025)", datetime(2025, 7, 15, 6, 30), True),
        ("cron(30 6 1,15 JAN,JUL ? 2024-2025)", datetime(2026, 7, 15, 6, 30), False),
    ],
)
def test_cron_matches(expression, moment, fires):
    assert CronSchedule.parse(expression).matches(moment) is fires


@pytest.mark.parametrize(
    "bad", ["rate(5 minutes)", "cron(0 12 * * *)", "cron(0 12 * * MON *)", "cron(61 * * * ? *)"]
)
def test_invalid_cron_is_invalid_input(bad):
    with pytest.raises(InvalidInputException, match="cron"):
        CronSchedule.parse(bad)


def test_schedule_starts_the_crawler_and_can_be_stopped(aws, endpoint):
    glue = aws("glue")
    name = f"sched-{uuid.uuid4().hex[:6]}"
    bucket = f"sched-{uuid.uuid4().hex[:6]}"
    path = endpoint.endpoint.context.s3_root / bucket / "data" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_text("id,v\n1,2\n")
    glue.create_crawler(
        Name=name,
        Role="r",
        DatabaseName="sched_db",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/data/"}]},
        Schedule="cron(0 6 * * ? *)",
    )
    crawlers = endpoint.endpoint.glue.crawlers
    assert name not in crawlers.run_due(datetime(2024, 1, 1, 7, 0))
    assert name in crawlers.run_due(datetime(2024, 1, 1, 6, 0))
    deadline = time.monotonic() + 30
    while glue.get_crawler(Name=name)["Crawler"]["State"] != "READY":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert glue.get_crawler(Name=name)["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"
    assert glue.get_table(DatabaseName="sched_db", Name="data")["Table"]["Name"] == "data"

    with pytest.raises(ClientError) as caught:
        glue.start_crawler_schedule(CrawlerName=name)
    assert caught.value.response["Error"]["Code"] == "SchedulerRunningException"
    glue.stop_crawler_schedule(CrawlerName=name)
    assert glue.get_crawler(Name=name)["Crawler"]["Schedule"]["State"] == "NOT_SCHEDULED"
    assert name not in crawlers.run_due(datetime(2024, 1, 2, 6, 0))
    with pytest.raises(ClientError) as caught:
        glue.stop_crawler_schedule(CrawlerName=name)
    assert caught.value.response["Error"]["Code"] == "SchedulerNotRunningException"
    glue.start_crawler_schedule(CrawlerName=name)
    glue.update_crawler_schedule(CrawlerName=name, Schedule="")
    assert "Schedule" not in glue.get_crawler(Name=name)["Crawler"]
    with pytest.raises(ClientError) as caught:
        glue.start_crawler_schedule(CrawlerName=name)
    assert caught.value.response["Error"]["Code"] == "NoScheduleException"
    with pytest.raises(ClientError) as caught:
        glue.update_crawler_schedule(CrawlerName=name, Schedule="every day")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
