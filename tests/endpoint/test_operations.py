"""The operation registry: what the dispatcher serves, what the README lists, what the tests call."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name

from awstwin.endpoint import actions
from awstwin.endpoint.operations import Registry, check_signature, handler
from awstwin.endpoint.protocol.models import service_model

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def registries() -> dict[str, Registry]:
    return actions.registries()


def test_every_handler_takes_exactly_its_input_members(registries):
    """No `**kwargs` swallowing parameters: a handler names each member of botocore's input shape
    (a paged operation's token and limit are the dispatcher's)."""
    problems = [
        f"{name}:{op.name} ({op.function.__qualname__}) {problem}"
        for name, registry in registries.items()
        for op in registry.operations.values()
        for problem in check_signature(op, registry.model)
    ]
    assert not problems, "\n".join(problems)


def test_the_registry_refuses_unknown_and_duplicate_operations():
    class Typo:
        @handler("GetTabel")
        def get(self) -> dict[str, Any]:
            return {}

    class Twice:
        @handler("GetTable")
        def one(self, DatabaseName: str, Name: str) -> dict[str, Any]:
            return {}

    with pytest.raises(ValueError, match="no operation 'GetTabel'"):
        Registry.of("glue", service_model("glue"), [Typo()])
    with pytest.raises(ValueError, match="handled twice"):
        Registry.of("glue", service_model("glue"), [Twice(), Twice()])


def _called_in_tests() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in TESTS.rglob("*")
        if path.suffix in (".py", ".js", ".sh", ".json") and path.is_file()
    )


def _kebab(operation: str) -> str:
    return xform_name(operation, "-")


def test_every_implemented_operation_is_called_by_a_test(registries):
    """By its boto3 method name, its AWS CLI command or its operation name in a test's text."""
    text = _called_in_tests()
    missing = []
    for name, registry in registries.items():
        for operation in registry.names():
            words = (xform_name(operation), _kebab(operation), operation)
            if not any(re.search(rf"\b{re.escape(w)}\b", text) for w in words):
                missing.append(f"{name}:{operation}")
    assert not missing, f"no test calls: {missing}"
