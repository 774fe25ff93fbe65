"""Job arguments, as Glue hands them to a script: `--NAME value` pairs on the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


class GlueArgumentError(Exception):
    """A required job argument is missing or malformed."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise GlueArgumentError(message)


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, str]:  # noqa: N802
    """Return `{name: value}` for each name in `options`, read from `--name value` or `--name=value`.

    Every name is required, as on Glue: a missing one raises GlueArgumentError naming it. Arguments
    that were not asked for are ignored. Names are matched exactly (no abbreviations).
    """
    parser = _ArgumentParser(add_help=False, allow_abbrev=False, prog="glue job")
    for name in options:
        parser.add_argument(f"--{name}", dest=name, required=True)
    resolved, _unknown = parser.parse_known_args(list(args))
    return {name: getattr(resolved, name) for name in options}
