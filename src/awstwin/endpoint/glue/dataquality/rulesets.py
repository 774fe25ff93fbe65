"""Rulesets: Create/Get/Update/Delete/ListDataQualityRuleset. A ruleset is stored only if it is DQDL."""

from __future__ import annotations

import threading
import time
from typing import Any

from awstwin.dataquality import DqdlSyntaxError, parse
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.glue.tags import TagBackend
from awstwin.endpoint.operations import handler

Doc = dict[str, Any]
LIST_KEYS = (
    "Name",
    "Description",
    "CreatedOn",
    "LastModifiedOn",
    "TargetTable",
    "RecommendationRunId",
    "RuleCount",
)


def checked_ruleset(text: str, name: str) -> int:
    """The number of rules in `text`; InvalidInputException naming line and column when it is not DQDL."""
    try:
        return len(parse(text).rules)
    except DqdlSyntaxError as exc:
        raise InvalidInputException(f"Ruleset {name} is not valid DQDL: {exc}") from None


class RulesetApi:
    """Mixed into `DataQualityBackend`, which holds the state and the lock."""

    _lock: threading.RLock
    _rulesets: dict[str, Doc]
    tags: TagBackend

    def _save(self) -> None: ...

    def _ruleset(self, name: str) -> Doc:
        found = self._rulesets.get(name)
        if found is None:
            raise EntityNotFoundException(f"Data Quality Ruleset {name} not found")
        return found

    @handler("CreateDataQualityRuleset")
    def create_data_quality_ruleset(
        self,
        Name: str,
        Ruleset: str,
        Description: str | None = None,
        Tags: dict[str, str] | None = None,
        TargetTable: Doc | None = None,
        DataQualitySecurityConfiguration: str | None = None,
        ClientToken: str | None = None,
    ) -> Doc:
        """Stores a DQDL ruleset (parsed first: an invalid one is refused naming line and column), with its
        target table and tags."""
        rule_count = checked_ruleset(Ruleset, Name)
        with self._lock:
            if Name in self._rulesets:
                raise AlreadyExistsException(f"Data Quality Ruleset with name {Name} already exists")
            now = time.time()
            record: Doc = {"Name": Name, "Ruleset": Ruleset, "CreatedOn": now, "LastModifiedOn": now}
            record["RuleCount"] = rule_count
            for key, value in (
                ("Description", Description),
                ("TargetTable", TargetTable),
                ("DataQualitySecurityConfiguration", DataQualitySecurityConfiguration),
            ):
                if value is not None:
                    record[key] = value
            self._rulesets[Name] = record
            self._save()
        self.tags.tag(self.tags.arn("dataQualityRuleset", Name), Tags)
        return {"Name": Name}

    @handler("GetDataQualityRuleset")
    def get_data_quality_ruleset(self, Name: str) -> Doc:
        """Returns a ruleset: its DQDL, description, target table and dates."""
        with self._lock:
            record = self._ruleset(Name)
            return {k: v for k, v in record.items() if k != "RuleCount"}

    @handler("UpdateDataQualityRuleset")
    def update_data_quality_ruleset(
        self, Name: str, Description: str | None = None, Ruleset: str | None = None
    ) -> Doc:
        """Replaces a ruleset's DQDL and/or description (the DQDL is parsed first)."""
        rule_count = checked_ruleset(Ruleset, Name) if Ruleset is not None else None
        with self._lock:
            record = self._ruleset(Name)
            if Ruleset is not None:
                record["Ruleset"] = Ruleset
                record["RuleCount"] = rule_count
            if Description is not None:
                record["Description"] = Description
            record["LastModifiedOn"] = time.time()
            self._save()
            return {k: record[k] for k in ("Name", "Description", "Ruleset") if k in record}

    @handler("DeleteDataQualityRuleset")
    def delete_data_quality_ruleset(self, Name: str) -> Doc:
        """Deletes a ruleset and its tags (its results stay, as on AWS)."""
        with self._lock:
            self._ruleset(Name)
            del self._rulesets[Name]
            self._save()
        self.tags.forget(self.tags.arn("dataQualityRuleset", Name))
        return {}

    @handler("ListDataQualityRulesets", page_size=100)
    def list_data_quality_rulesets(
        self, Filter: Doc | None = None, Tags: dict[str, str] | None = None
    ) -> Doc:
        """Lists rulesets (name, target table, rule count, dates), filtered by name, description, dates,
        target table or tags, paged."""
        with self._lock:
            records = [dict(r) for r in self._rulesets.values()]
        found = [r for r in records if _matches(r, Filter or {})]
        if Tags:
            found = [
                r
                for r in found
                if all(
                    self.tags.tags_of(self.tags.arn("dataQualityRuleset", r["Name"])).get(k) == v
                    for k, v in Tags.items()
                )
            ]
        found.sort(key=lambda r: r["CreatedOn"], reverse=True)
        return {"Rulesets": [{k: r[k] for k in LIST_KEYS if k in r} for r in found]}

    def resource_exists(self, kind: str, names: list[str]) -> bool:
        with self._lock:
            return kind == "dataQualityRuleset" and len(names) == 1 and names[0] in self._rulesets


def _matches(record: Doc, criteria: Doc) -> bool:
    if criteria.get("Name") and criteria["Name"] != record["Name"]:
        return False
    if criteria.get("Description") and criteria["Description"] not in (record.get("Description") or ""):
        return False
    for key, field, before in (
        ("CreatedBefore", "CreatedOn", True),
        ("CreatedAfter", "CreatedOn", False),
        ("LastModifiedBefore", "LastModifiedOn", True),
        ("LastModifiedAfter", "LastModifiedOn", False),
    ):
        moment = criteria.get(key)
        if moment is not None:
            stamp = moment.timestamp() if hasattr(moment, "timestamp") else float(moment)
            if (record[field] >= stamp) if before else (record[field] <= stamp):
                return False
    target = criteria.get("TargetTable")
    if target:
        mine = record.get("TargetTable") or {}
        return all(mine.get(k) == v for k, v in target.items() if v)
    return True
