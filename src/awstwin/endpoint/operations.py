"""The explicit registry of AWS operations: `@handler("GetTable")` names the operation a method answers.

A backend class marks its methods; `Registry.of(service, backends)` collects them into one table that
the dispatcher (`protocol/service.py`) calls and the README's actions table (`actions.py`) prints, so
what is served and what is documented are the same list. Method names are free: only the decorator
says which AWS operation a method is. Registering checks the operation against botocore's model, and
`check_signature` tells whether a handler takes exactly the members of the operation's input shape
(no `**kwargs` swallowing parameters): the paging members of a paged operation are the dispatcher's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.model import ServiceModel

from awstwin.endpoint.paging import Paging, paging_of

F = TypeVar("F", bound=Callable[..., Any])
MARK = "__aws_operation__"


@dataclass(frozen=True)
class Mark:
    """What `@handler` records on a function."""

    operation: str
    page_size: int | None  # a paged list operation: the dispatcher pages it (see `paging.py`)
    whole_request: bool  # the handler keeps the whole validated request (`**request`)


def handler(operation: str, *, page_size: int | None = None, whole_request: bool = False) -> Callable[[F], F]:
    """Mark a method as the handler of one AWS operation, named as botocore's model names it.

    `page_size` (AWS's default page size) makes the operation paged by the dispatcher: the handler
    returns the whole list and never sees the token or limit members. `whole_request` is for handlers
    that store or forward the request as it came (CreateJob keeps every field of the definition,
    PutObject hands its headers to the store): they take `**request`, which holds only members the
    dispatcher has already checked against the model. Every other handler names each member.
    """

    def mark(function: F) -> F:
        setattr(function, MARK, Mark(operation, page_size, whole_request))
        return function

    return mark


def marked(owner: object) -> dict[str, tuple[Callable[..., Any], Mark]]:
    """operation -> (function, mark) for every `@handler` method of a class or instance."""
    cls = owner if isinstance(owner, type) else type(owner)
    found: dict[str, tuple[Callable[..., Any], Mark]] = {}
    for klass in reversed(cls.__mro__):
        for name, function in vars(klass).items():
            mark = getattr(function, MARK, None)
            if isinstance(mark, Mark):
                bound = getattr(owner, name) if not isinstance(owner, type) else function
                found[mark.operation] = (bound, mark)
    return found


@dataclass(frozen=True)
class Operation:
    """One registered operation: its handler (bound to its backend, or the plain function) and paging."""

    service: str
    name: str
    function: Callable[..., Any]
    paging: Paging | None
    whole_request: bool = False


class Registry:
    """Every operation one service implements, keyed by AWS operation name."""

    def __init__(self, service: str, model: ServiceModel, operations: dict[str, Operation]):
        self.service = service
        self.model = model
        self.operations = operations

    @classmethod
    def of(cls, service: str, model: ServiceModel, backends: Iterable[object]) -> Registry:
        """Collect the `@handler` methods of `backends` (instances or classes); duplicates and
        operations botocore's model does not have are refused here, at start-up."""
        operations: dict[str, Operation] = {}
        known = set(model.operation_names)
        for backend in backends:
            for name, (function, mark) in marked(backend).items():
                where = getattr(function, "__qualname__", repr(function))
                if name not in known:
                    raise ValueError(f"{where}: {service} has no operation {name!r} in botocore's model")
                if name in operations:
                    other = operations[name].function.__qualname__
                    raise ValueError(f"{service}:{name} is handled twice: by {other} and by {where}")
                paging = paging_of(model, name, mark.page_size) if mark.page_size else None
                operations[name] = Operation(service, name, function, paging, mark.whole_request)
        return cls(service, model, operations)

    def get(self, name: str) -> Operation | None:
        return self.operations.get(name)

    def names(self) -> list[str]:
        return sorted(self.operations)


def check_signature(operation: Operation, model: ServiceModel) -> list[str]:
    """Problems with a handler's parameters against its input shape ([] when they match exactly)."""
    shape = model.operation_model(operation.name).input_shape
    members = set(shape.members) if shape is not None else set()
    if operation.paging is not None:
        members -= operation.paging.request_members
    parameters = inspect.signature(operation.function).parameters
    problems = []
    rest_in_request = False
    for parameter in parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD and operation.whole_request:
            rest_in_request = True  # the members not named arrive in **request
        elif parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            problems.append(f"takes *{parameter.name}: name each member, or mark it whole_request")
    taken = {
        name
        for name, p in parameters.items()
        if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD
    }
    taken.discard("self")
    if (missing := sorted(members - taken)) and not rest_in_request:
        problems.append(f"does not take {missing}")
    if extra := sorted(taken - members):
        problems.append(f"takes {extra}, which the input shape does not have")
    return problems
