"""One crawl: S3 targets -> objects -> classified files -> table plans -> the Data Catalog, and
JDBC targets -> the database's tables (`jdbc_crawl.py`) -> the Data Catalog.

Runs on the crawler's background thread; `cancelled()` is checked between files and tables so
StopCrawler ends a crawl promptly. A target that does not exist fails the crawl before anything
is written, with a message naming it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from awstwin.endpoint.glue.crawler.catalog_writer import CatalogWriter, CrawlCounts
from awstwin.endpoint.glue.crawler.classifiers import (
    SAMPLE_BYTES,
    CsvOptions,
    FileSchema,
    Unclassifiable,
    classify,
)
from awstwin.endpoint.glue.crawler.jdbc_crawl import IncludePath, JdbcCrawl, JdbcCrawlFailed
from awstwin.endpoint.glue.crawler.layout import ClassifiedFile, Grouping, TablePlan, plan_tables
from awstwin.endpoint.s3access import ObjectInfo, S3Access, parse_s3_uri

Doc = dict[str, Any]
Log = Callable[[str], None]


class CrawlFailed(Exception):
    """The crawl cannot go on; the message becomes LastCrawl.ErrorMessage."""


class CrawlCancelled(Exception):
    """StopCrawler was called while the crawl ran."""


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Glue's exclude globs: `*` stays within a folder, `**` crosses folders, `?` one character,
    `[...]` a class (`[!...]` negated), `{a,b}` alternatives, `\\` escapes."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                body = "^" + body[1:] if body.startswith("!") else body
                out.append(f"[{body}]")
                i = end
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + "$")


def excluded(rel: str, patterns: list[str]) -> bool:
    """A key (relative to the include path) is excluded when a glob matches it or one of its folders."""
    folders = rel.split("/")[:-1]
    candidates = [rel] + ["/".join(folders[: i + 1]) for i in range(len(folders))]
    for pattern in patterns:
        regex = glob_regex(pattern.strip().lstrip("/"))
        if any(regex.match(c) or regex.match(c + "/") for c in candidates):
            return True
    return False


def _hidden(rel: str) -> bool:
    """Objects Glue skips: folder markers, and names starting with `_` or `.` (e.g. `_SUCCESS`)."""
    name = rel.rsplit("/", 1)[-1]
    return rel.endswith("/") or name.startswith(("_", "."))


class Crawl:
    def __init__(
        self,
        crawler: Doc,
        s3: S3Access,
        catalog: Any,
        log: Log,
        cancelled: Callable[[], bool],
        custom_csv: list[CsvOptions] | None = None,
        read_secret: Callable[[str], str] | None = None,
    ):
        self.crawler = crawler
        self.read_secret = read_secret or _no_secrets
        self.s3 = s3
        self.catalog = catalog
        self.log = log
        self.cancelled = cancelled
        self.custom_csv = custom_csv or []
        self.counts = CrawlCounts()  # what was written so far, even when the crawl ends early

    def _check(self) -> None:
        if self.cancelled():
            raise CrawlCancelled("the crawl was stopped by StopCrawler")

    def run(self) -> CrawlCounts:
        all_targets = self.crawler.get("Targets") or {}
        targets = all_targets.get("S3Targets") or []
        jdbc_targets = all_targets.get("JdbcTargets") or []
        others = [k for k, v in all_targets.items() if v and k not in ("S3Targets", "JdbcTargets")]
        if others:
            raise CrawlFailed(
                f"Crawler {self.crawler['Name']} has {', '.join(others)}: only S3Targets and JdbcTargets "
                "are crawled locally"
            )
        if not targets and not jdbc_targets:
            raise CrawlFailed(f"Crawler {self.crawler['Name']} has no S3 or JDBC targets to crawl")
        if not self.crawler.get("DatabaseName"):
            raise CrawlFailed(
                f"Crawler {self.crawler['Name']} has no DatabaseName to write tables to; update it"
            )
        grouping = Grouping.from_configuration(self.crawler.get("Configuration"))
        plans: list[TablePlan] = []
        prefixes: list[str] = []
        listings = [(target, self._list(target)) for target in targets]  # every target exists, or fail first
        for target, (bucket, base, objects, is_file) in listings:
            include_uri = f"s3://{bucket}/{base}" if base else f"s3://{bucket}"
            prefixes.append(include_uri if is_file else include_uri + "/")
            files = self._classify(target, objects, base, is_file)
            self.log(f"INFO : Classified {len(files)} of {len(objects)} files under {target['Path']}")
            plans += plan_tables(files, include_uri, is_file, grouping)
        self.log(
            f"BENCHMARK : Classification complete, writing results to database {self.crawler['DatabaseName']}"
        )
        policy = self.crawler.get("SchemaChangePolicy") or {}
        self.log(f"INFO : Crawler configured with SchemaChangePolicy {policy}")
        jdbc_tables = self._jdbc_tables(jdbc_targets)
        writer = CatalogWriter(self.catalog, self.crawler, self.log, self.counts)
        writer.ensure_database()
        for plan in plans:
            self._check()
            writer.write(plan)
        for table in jdbc_tables:
            self._check()
            writer.write_table(table)
        includes = [IncludePath.parse(t.get("Path", "")) for t in jdbc_targets]
        writer.retire_tables(
            lambda location: (
                any(location.startswith(p) for p in prefixes)
                or any(include.covers(location) for include in includes)
            )
        )
        self.log("BENCHMARK : Finished writing to Catalog")
        return writer.counts

    def _jdbc_tables(self, targets: list[Doc]) -> list[Doc]:
        """TableInputs for every table of every JDBC target (all listed before anything is written)."""
        crawl = JdbcCrawl(self.crawler, self._connection, self.read_secret, self.log)
        inputs: list[Doc] = []
        for target in targets:
            self._check()
            try:
                tables = crawl.tables(target, glob_regex)
                classification = crawl.classification(target)
            except JdbcCrawlFailed as exc:
                raise CrawlFailed(f"JDBC target {target.get('Path')!r}: {exc}") from None
            inputs += [crawl.table_input(table, target, classification) for table in tables]
        return inputs

    def _connection(self, name: str) -> Doc:
        from awstwin.endpoint.glue.exceptions import EntityNotFoundException

        try:
            return self.catalog.get_connection(Name=name, HidePassword=False)["Connection"]
        except EntityNotFoundException:
            raise CrawlFailed(
                f"Glue connection {name} of a JDBC target does not exist; create it first"
            ) from None

    def _list(self, target: Doc) -> tuple[str, str, list[ObjectInfo], bool]:
        path = target["Path"]
        try:
            bucket, key = parse_s3_uri(path)
        except ValueError:
            raise CrawlFailed(f"S3 target {path!r} is not an S3 path (s3://bucket/prefix)") from None
        if not self.s3.bucket_exists(bucket):
            raise CrawlFailed(f"S3 target {path} does not exist: there is no bucket {bucket}")
        base = key.rstrip("/")
        listed = list(self.s3.list_objects(bucket, base))
        if base and any(o.key == base for o in listed):
            return bucket, base, [o for o in listed if o.key == base], True
        objects = [o for o in listed if not base or o.key.startswith(base + "/")]
        if not objects:
            folder = f"s3://{bucket}/{base}/" if base else f"s3://{bucket}/"
            raise CrawlFailed(f"S3 target {path} does not exist: no objects under {folder}")
        return bucket, base, objects, False

    def _classify(
        self, target: Doc, objects: list[ObjectInfo], base: str, is_file: bool
    ) -> list[ClassifiedFile]:
        exclusions = target.get("Exclusions") or []
        sample_size = target.get("SampleSize")
        per_folder: dict[str, list[ClassifiedFile]] = defaultdict(list)
        files: list[ClassifiedFile] = []
        for obj in objects:
            self._check()
            rel = _relative(obj.key, base, is_file)
            if _hidden(rel) or obj.size == 0 or excluded(rel, exclusions):
                continue
            folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
            done = per_folder[folder]
            if sample_size and len(done) >= sample_size:
                schema = _like(
                    done[0].schema, obj.size
                )  # Glue's SampleSize: the rest of the folder is assumed alike
            else:
                try:
                    head = self.s3.get_bytes(obj.bucket, obj.key, max_bytes=SAMPLE_BYTES)
                    schema = classify(
                        head,
                        obj.size,
                        lambda n, o=obj: self.s3.get_tail(o.bucket, o.key, n),
                        custom_csv=self.custom_csv,
                    )
                except Unclassifiable as why:
                    self.log(f"WARN : Skipping {obj.uri}: no built-in classifier recognises it ({why})")
                    continue
            item = ClassifiedFile(obj, rel, schema)
            done.append(item)
            files.append(item)
        return files


def _no_secrets(secret_id: str) -> str:
    raise CrawlFailed(f"cannot read secret {secret_id}: this crawl has no Secrets Manager access")


def _relative(key: str, base: str, is_file: bool) -> str:
    """A key relative to its include path (a single-file include path: the file's name)."""
    if is_file:
        return key.rsplit("/", 1)[-1]
    return key[len(base) + 1 :] if base else key


def _like(schema: FileSchema, size: int) -> FileSchema:
    average = schema.average_record_size or 1
    return FileSchema(
        classification=schema.classification,
        columns=list(schema.columns),
        size=size,
        record_count=size // average,
        average_record_size=average,
        delimiter=schema.delimiter,
        header=schema.header,
        quoted=schema.quoted,
        quote_char=schema.quote_char,
        compression=schema.compression,
        json_paths=list(schema.json_paths),
    )
