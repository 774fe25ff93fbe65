"""Run a crawler once and wait for that crawl (not an earlier one) to end."""

from __future__ import annotations

import time
from typing import Any


def crawl_once(glue: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    before = glue.get_crawler(Name=name)["Crawler"].get("LastCrawl", {}).get("StartTime")
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + timeout
    while True:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        last = crawler.get("LastCrawl", {})
        if crawler["State"] == "READY" and last.get("StartTime") not in (None, before):
            assert last.get("Status") == "SUCCEEDED", last
            return crawler
        assert time.monotonic() < deadline, f"crawler {name} did not finish within {timeout} s"
        time.sleep(0.05)
