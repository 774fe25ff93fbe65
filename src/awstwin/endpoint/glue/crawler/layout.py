"""From classified files to tables: where each table's root is, and which folders are partitions.

Glue's rule, as implemented here: starting at the include path, a folder is a table's root when all
files below it are compatible (`compatible`) and sit at the same depth below it; the folders in
between become partitions (`key=value` names give the key, other names `partition_0`, ...).
Otherwise each subfolder is tried in turn, and the files directly in the folder form a table of
their own (one table per file when even those disagree, named after the file, as Glue does).

Compatible: the same reader settings (`FileSchema.format_key`: format, delimiter, quoting, header,
compression) and column names where one file's names contain the other's (a file that adds columns
joins the table) or overlap by at least `SIMILARITY` (shared names / the larger column count), so
unrelated datasets do not.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from awstwin.endpoint.glue.crawler.classifiers import FileSchema, merge_fields
from awstwin.endpoint.s3access import ObjectInfo

SIMILARITY = 0.7


@dataclass
class ClassifiedFile:
    obj: ObjectInfo
    rel: str  # key relative to the include path
    schema: FileSchema

    @property
    def folders(self) -> list[str]:
        return self.rel.split("/")[:-1]


@dataclass
class PartitionPlan:
    values: list[str]
    location: str
    files: list[ClassifiedFile] = field(default_factory=list)


@dataclass
class TablePlan:
    """One table the crawl found: its files, merged schema and partitions."""

    name: str
    location: str
    files: list[ClassifiedFile]
    partition_keys: list[str] = field(default_factory=list)
    partitions: list[PartitionPlan] = field(default_factory=list)

    @property
    def first(self) -> FileSchema:
        return self.files[0].schema

    @property
    def columns(self) -> list[tuple[str, str]]:
        merged: list = []
        for item in self.files:
            merged = merge_fields(merged, item.schema.hive_columns())
        return [(name, kind or "string") for name, kind in merged]


def table_name(text: str) -> str:
    """Lowercase; every run of characters other than letters, digits and `_` becomes `_`."""
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "table"


def _similar(a: list[str], b: list[str]) -> bool:
    """Files that only add columns to the others belong together; otherwise names must mostly agree."""
    small, large = sorted((set(a), set(b)), key=len)
    if not small:
        return False
    return small <= large or len(small & large) / len(large) >= SIMILARITY


def compatible(files: list[ClassifiedFile]) -> bool:
    if not files:
        return False
    key = files[0].schema.format_key
    merged: list = []
    for item in files:
        if item.schema.format_key != key:
            return False
        names = [n for n, _ in item.schema.columns]
        if merged and not _similar([n for n, _ in merged], names):
            return False
        merged = merge_fields(merged, item.schema.columns)
    return True


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
    if grouping.combine_compatible and compatible(everything):
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


def _plan(node: _Folder, include_uri: str, plans: list[TablePlan]) -> None:
    everything = node.all_files()
    depths = {_depth(node, f) for f in everything}
    if compatible(everything) and len(depths) == 1:
        plans.append(_table_at(node, include_uri, everything, depths.pop()))
        return
    if node.files:
        if compatible(node.files):
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
