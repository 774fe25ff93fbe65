"""One way to page a list for the List* APIs: the NextToken is the offset of the next item."""

from __future__ import annotations

from typing import Any

from awstwin.endpoint.athena.exceptions import InvalidRequestException


def page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    """One page of `items` and the token of the next (None on the last page)."""
    if token and not token.isdigit():
        raise InvalidRequestException(f"NextToken {token!r} is not valid here; call again without it")
    start = int(token or 0)
    chunk = items[start : start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)
