"""Custom classifiers (CreateClassifier & co.) and what a crawl makes of a crawler's `Classifiers`.

All four kinds are stored and returned as AWS does. A crawl applies custom CSV classifiers (before
the built-in ones, in the crawler's order): delimiter, quote symbol, ContainsHeader, Header,
DisableValueTrimming, AllowSingleColumn and Serde. Grok, XML and JSON-path classifiers are kept but
not applied locally; the crawl says so in its log and uses the built-in classifiers.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from awstwin.endpoint.glue.crawler.classifiers import CsvOptions
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.operations import handler

Doc = dict[str, Any]
KINDS = ("GrokClassifier", "XMLClassifier", "JsonClassifier", "CsvClassifier")


def _one_kind(request: dict[str, Any], operation: str) -> tuple[str, Doc]:
    given = [(kind, spec) for kind, spec in request.items() if kind in KINDS and spec]
    if len(given) != 1:
        raise InvalidInputException(f"{operation} takes exactly one of {', '.join(KINDS)}")
    kind, spec = given[0]
    if kind == "CsvClassifier" and spec.get("Delimiter") and spec.get("Delimiter") == spec.get("QuoteSymbol"):
        raise InvalidInputException(f"CSV classifier {spec['Name']}: Delimiter and QuoteSymbol must differ")
    return kind, copy.deepcopy(spec)


class ClassifierApi:
    """Mixed into the crawler backend; `_classifiers` and `_save` come from it."""

    _lock: threading.RLock
    _classifiers: dict[str, Doc]

    def _save(self) -> None:
        raise NotImplementedError

    def _classifier(self, name: str) -> Doc:
        found = self._classifiers.get(name)
        if found is None:
            raise EntityNotFoundException(f"Classifier {name} not found.")
        return found

    @handler("CreateClassifier", whole_request=True)
    def create_classifier(self, **request: Any) -> Doc:
        """Stores a custom CSV classifier (delimiter, quote, header) that crawlers try before the built-in
        ones."""
        kind, spec = _one_kind(request, "CreateClassifier")
        stamp = time.time()
        with self._lock:
            if spec["Name"] in self._classifiers:
                raise AlreadyExistsException(f"Classifier {spec['Name']} already exists.")
            self._classifiers[spec["Name"]] = {
                kind: {**spec, "CreationTime": stamp, "LastUpdated": stamp, "Version": 1}
            }
            self._save()
        return {}

    @handler("UpdateClassifier", whole_request=True)
    def update_classifier(self, **request: Any) -> Doc:
        """Changes a custom classifier's settings."""
        kind, spec = _one_kind(request, "UpdateClassifier")
        with self._lock:
            old = self._classifier(spec["Name"])
            if kind not in old:
                raise InvalidInputException(f"Classifier {spec['Name']} is a {next(iter(old))}, not a {kind}")
            merged = {**old[kind], **spec, "LastUpdated": time.time(), "Version": old[kind]["Version"] + 1}
            self._classifiers[spec["Name"]] = {kind: merged}
            self._save()
        return {}

    @handler("GetClassifier")
    def get_classifier(self, Name: str) -> Doc:
        """Returns one custom classifier."""
        with self._lock:
            return {"Classifier": copy.deepcopy(self._classifier(Name))}

    @handler("GetClassifiers", page_size=100)
    def get_classifiers(self) -> Doc:
        """Lists the custom classifiers, paged."""
        with self._lock:
            items = [copy.deepcopy(self._classifiers[n]) for n in sorted(self._classifiers)]
        return {"Classifiers": items}

    @handler("DeleteClassifier")
    def delete_classifier(self, Name: str) -> Doc:
        """Deletes a custom classifier."""
        with self._lock:
            self._classifier(Name)
            del self._classifiers[Name]
            self._save()
        return {}

    def check_classifiers(self, names: list[str] | None) -> None:
        for name in names or []:
            self._classifier(name)

    def csv_options(self, names: list[str] | None, log: Any) -> list[CsvOptions]:
        """The crawler's custom CSV classifiers, in order; the other kinds are logged as not applied."""
        options = []
        with self._lock:
            found = [(n, self._classifiers.get(n)) for n in names or []]
        for name, classifier in found:
            if classifier is None:
                log(f"WARN : Classifier {name} no longer exists; using the built-in classifiers")
            elif "CsvClassifier" in classifier:
                options.append(CsvOptions.from_classifier(classifier["CsvClassifier"]))
            else:
                log(f"WARN : Custom classifier {name} ({next(iter(classifier))}) is not applied locally")
        return options
