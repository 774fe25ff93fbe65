"""From classified files to tables: where each table's root is, and which folders are partitions.

Glue's rule, as implemented here: starting at the include path, a folder is a table's root when all
files below it sit at the same depth below it, are *data compatible* and have *similar schemas*; the
folders in between become partitions (`key=value` names give the key, other names `partition_0`,
...). Otherwise each subfolder is tried in turn, and the files directly in the folder form a table of
their own (one table per file when even those are not similar, named after the file, as Glue does).

- Data compatible (https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html): the same
  format and compression (and, for CSV, delimiter): `FileSchema.data_key`. Quoting and headers are
  not part of it, so partitions whose files differ there are still one table; each partition keeps
  its own StorageDescriptor (SerDe and columns).
- Similar schemas (https://repost.aws/knowledge-center/glue-crawler-detect-schema): the schemas of
  the partitions (of the files, for files directly in one folder) fall into at most
  `MAX_SCHEMA_CLUSTERS` clusters, and the largest cluster holds more than `PARTITION_THRESHOLD` of
  them. Two schemas are in one cluster when one's column names contain the other's (a file that adds
  columns joins) or they share at least `SIMILARITY` of the larger one's names. Types never split a
  table: the table gets the merged type, each partition its own (which is how Athena users meet
  HIVE_PARTITION_SCHEMA_MISMATCH on AWS).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from awstwin.endpoint.glue.crawler.classifiers import FileSchema, merge_fields, render
from awstwin.endpoint.s3access import ObjectInfo

SIMILARITY = 0.7  # shared column names / the larger schema's names, for two schemas to be alike
PARTITION_THRESHOLD = 0.7  # the largest cluster must hold more than this share of the schemas
MAX_SCHEMA_CLUSTERS = 5  # more distinct schemas than this never make one table


@dataclass
class ClassifiedFile:
    obj: ObjectInfo
    rel: str  # key relative to the include path
    schema: FileSchema

    @property
    def folders(self) -> list[str]:
        return self.rel.split("/")[:-1]


def merged_columns(files: list[ClassifiedFile]) -> list[tuple[str, str]]:
    """The columns of `files` in first-seen order, each with the type that holds every file's values."""
    merged: list = []
    for item in files:
        merged = merge_fields(merged, item.schema.columns)
    return [(name, render(kind)) for name, kind in merged]


def representative(files: list[ClassifiedFile]) -> FileSchema:
    """The reader settings most of `files` share (the first such file's): what their SerDe says."""
    counts = Counter(item.schema.format_key for item in files)
    key = counts.most_common(1)[0][0]
    return next(item.schema for item in files if item.schema.format_key == key)


@dataclass
class PartitionPlan:
    values: list[str]
    location: str
    files: list[ClassifiedFile] = field(default_factory=list)

    @property
    def schema(self) -> FileSchema:
        return representative(self.files)

    @property
    def columns(self) -> list[tuple[str, str]]:
        """The partition's own schema: only its files' columns and types."""
        return merged_columns(self.files)


@dataclass
class TablePlan:
    """One table the crawl found: its files, merged schema and partitions."""

    name: str
    location: str
    files: list[ClassifiedFile]
    partition_keys: list[str] = field(default_factory=list)
    partitions: list[PartitionPlan] = field(default_factory=list)

    @property
    def schema(self) -> FileSchema:
        """The table's reader settings: those most of its files share."""
        return representative(self.files)

    @property
    def columns(self) -> list[tuple[str, str]]:
        return merged_columns(self.files)


def table_name(text: str) -> str:
    """Lowercase; every run of characters other than letters, digits and `_` becomes `_`."""
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "table"


def _similar(a: set[str], b: set[str]) -> bool:
    """Files that only add columns to the others belong together; otherwise names must mostly agree."""
    small, large = sorted((a, b), key=len)
    if not small:
        return False
    return small <= large or len(small & large) / len(large) >= SIMILARITY


def data_compatible(files: list[ClassifiedFile]) -> bool:
    """Glue's data compatibility: one format, compression and delimiter for all of `files`."""
    return bool(files) and len({item.schema.data_key for item in files}) == 1


def similar_schemas(units: list[list[ClassifiedFile]]) -> bool:
    """Glue's schema similarity over `units` (partitions, or single files): see the module docstring."""
    clusters: list[tuple[set[str], int]] = []
    for unit in units:
        names = {name for item in unit for name, _ in item.schema.columns}
        for index, (representative_names, size) in enumerate(clusters):
            if _similar(representative_names, names):
                clusters[index] = (representative_names, size + 1)
                break
        else:
            clusters.append((names, 1))
    if not clusters or len(clusters) > MAX_SCHEMA_CLUSTERS:
        return False
    largest = max(size for _, size in clusters)
    return len(clusters) == 1 or largest / len(units) > PARTITION_THRESHOLD


@dataclass
class _Folder:
    path: str  # relative to the include path, "" for the include path itself
    files: list[ClassifiedFile] = field(default_factory=list)
    children: dict[str, _Folder] = field(default_factory=dict)

    def all_files(self) -> list[ClassifiedFile]:
        out = list(self.files)
        for child in self.children.values():
            out += child.all_files()
        return out


def _tree(files: list[ClassifiedFile]) -> _Folder:
    root = _Folder("")
    for item in files:
        node = root
        for part in item.folders:
            child_path = f"{node.path}/{part}" if node.path else part
            node = node.children.setdefault(part, _Folder(child_path))
        node.files.append(item)
    return root


def _depth(node: _Folder, item: ClassifiedFile) -> int:
    base = len(node.path.split("/")) if node.path else 0
    return len(item.folders) - base


@dataclass(frozen=True)
class Grouping:
    """The crawler's `Configuration` "Grouping" settings that change where tables are rooted."""

    table_level: int | None = None  # TableLevelConfiguration: the table root's level (bucket = 1)
    combine_compatible: bool = False  # TableGroupingPolicy CombineCompatibleSchemas

    @classmethod
    def from_configuration(cls, configuration: str | None) -> Grouping:
        import json

        try:
            grouping = (json.loads(configuration) if configuration else {}).get("Grouping") or {}
        except (ValueError, AttributeError):
            return cls()
        level = grouping.get("TableLevelConfiguration")
        return cls(
            table_level=int(level) if level else None,
            combine_compatible=grouping.get("TableGroupingPolicy") == "CombineCompatibleSchemas",
        )


def plan_tables(
    files: list[ClassifiedFile], include_uri: str, include_is_file: bool, grouping: Grouping | None = None
) -> list[TablePlan]:
    """The tables one S3 target holds. `include_uri` is `s3://bucket/prefix` without a trailing slash."""
    if include_is_file:
        return [TablePlan(table_name(include_uri.rsplit("/", 1)[-1]), include_uri, files)]
    grouping = grouping or Grouping()
    root = _tree(files)
    if grouping.table_level:
        return _plan_at_level(root, include_uri, grouping.table_level)
    everything = root.all_files()
    if grouping.combine_compatible and data_compatible(everything):
        depths = {_depth(root, f) for f in everything}
        return [_table_at(root, include_uri, everything, depths.pop() if len(depths) == 1 else 0)]
    plans: list[TablePlan] = []
    _plan(root, include_uri, plans)
    return plans


def _plan_at_level(root: _Folder, include_uri: str, level: int) -> list[TablePlan]:
    """TableLevelConfiguration: every folder at that level is a table; deeper folders are partitions."""
    below = max(0, level - len(include_uri.removeprefix("s3://").split("/")))
    groups: dict[tuple[str, ...], list[ClassifiedFile]] = {}
    for item in root.all_files():
        groups.setdefault(tuple(item.folders[:below]), []).append(item)
    plans = []
    for prefix, members in sorted(groups.items()):
        node = _Folder("/".join(prefix))
        depths = {_depth(node, f) for f in members}
        plans.append(_table_at(node, include_uri, members, depths.pop() if len(depths) == 1 else 0))
    return plans


def _folder_uri(include_uri: str, rel: str) -> str:
    return f"{include_uri}/{rel}/" if rel else f"{include_uri}/"


def _units(node: _Folder, files: list[ClassifiedFile], depth: int) -> list[list[ClassifiedFile]]:
    """What schema similarity compares below `node`: its partitions (leaf folders), or its files."""
    if depth == 0:
        return [[item] for item in files]
    base = len(node.path.split("/")) if node.path else 0
    groups: dict[tuple[str, ...], list[ClassifiedFile]] = {}
    for item in files:
        groups.setdefault(tuple(item.folders[base : base + depth]), []).append(item)
    return list(groups.values())


def _one_table(node: _Folder, files: list[ClassifiedFile], depth: int) -> bool:
    return data_compatible(files) and similar_schemas(_units(node, files, depth))


def _plan(node: _Folder, include_uri: str, plans: list[TablePlan]) -> None:
    everything = node.all_files()
    depths = {_depth(node, f) for f in everything}
    if len(depths) == 1 and _one_table(node, everything, next(iter(depths))):
        plans.append(_table_at(node, include_uri, everything, depths.pop()))
        return
    if node.files:
        if _one_table(node, node.files, 0):
            plans.append(_table_at(node, include_uri, node.files, 0))
        else:
            for item in node.files:
                plans.append(TablePlan(table_name(item.rel.rsplit("/", 1)[-1]), item.obj.uri, [item]))
    for name in sorted(node.children):
        _plan(node.children[name], include_uri, plans)


def _table_at(node: _Folder, include_uri: str, files: list[ClassifiedFile], depth: int) -> TablePlan:
    uri = _folder_uri(include_uri, node.path)
    name_source = node.path.rsplit("/", 1)[-1] if node.path else include_uri.rstrip("/").rsplit("/", 1)[-1]
    plan = TablePlan(table_name(name_source), uri, sorted(files, key=lambda f: f.rel))
    if depth == 0:
        return plan
    base = len(node.path.split("/")) if node.path else 0
    levels = [f.folders[base:] for f in plan.files]
    plan.partition_keys = [_key_name(sorted({lv[i] for lv in levels}), i) for i in range(depth)]
    partitions: dict[tuple[str, ...], PartitionPlan] = {}
    for item, parts in zip(plan.files, levels, strict=True):
        values = tuple(p.split("=", 1)[1] if "=" in p else p for p in parts)
        if values not in partitions:
            partitions[values] = PartitionPlan(list(values), uri + "/".join(parts) + "/")
        partitions[values].files.append(item)
    plan.partitions = [partitions[v] for v in sorted(partitions)]
    return plan


def _key_name(folder_names: list[str], index: int) -> str:
    keys = {name.split("=", 1)[0] for name in folder_names if "=" in name}
    if len(keys) == 1 and all("=" in name for name in folder_names):
        return table_name(keys.pop())
    return f"partition_{index}"


def unique_name(name: str, location: str, taken: set[str]) -> str:
    """Glue keeps both tables when two locations want one name: the later one gets a hash suffix."""
    if name not in taken:
        return name
    return f"{name}_{hashlib.md5(location.encode()).hexdigest()[:8]}"
