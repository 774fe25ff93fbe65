"""Job arguments, as Glue hands them to a script: `--NAME value` pairs on the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


class GlueArgumentError(Exception):
    """A required job argument is missing or malformed."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise GlueArgumentError(message)


# Arguments Glue's own parser knows besides the ones a script asks for: they take part in matching.
GLUE_ARGUMENTS = (
    "job-bookmark-option",
    "continuation-option",
    "JOB_ID",
    "JOB_RUN_ID",
    "TempDir",
    "RedshiftTempDir",
    "encryption-type",
)


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, str]:  # noqa: N802
    """Return `{name: value}` for each name in `options`, read from `--name value` or `--name=value`.

    Every name is required, as on Glue: a missing one raises GlueArgumentError naming it. Arguments
    that were not asked for are ignored. As in AWS's library (Python's argparse with its defaults,
    https://github.com/awslabs/aws-glue-libs `awsglue/utils.py`), an argument that is a prefix of an
    asked-for name counts as it: with `--metadata_location a --metadata b`, asking for
    `metadata_location` gives `b` (aws-glue-libs pull request 206 shows it on Glue).
    """
    parser = _ArgumentParser(add_help=False, prog="glue job")
    for name in GLUE_ARGUMENTS:
        if name not in options:
            parser.add_argument(f"--{name}", dest=f"_glue_{name}", required=False)
    for name in options:
        parser.add_argument(f"--{name}", dest=name, required=True)
    resolved, _unknown = parser.parse_known_args(list(args))
    return {name: getattr(resolved, name) for name in options}
