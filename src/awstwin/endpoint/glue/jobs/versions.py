"""What each AWS Glue version means for a job run, as data: one row per version, nothing in branches.

Sources: https://docs.aws.amazon.com/glue/latest/dg/release-notes.html (Spark and Python per version),
https://docs.aws.amazon.com/glue/latest/dg/migrating-version-60.html and migrating-version-61
(Spark 4.1, Python 3.13 / 3.14), https://docs.aws.amazon.com/glue/latest/dg/glue-version-support-policy.html
(0.9, 1.0 and 2.0 reached end of life on 2026-04-01: no job runs start on them),
https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html (Python shell: Python 3.9 on Glue 3.0),
https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html (continuous logging
to /aws-glue/jobs/logs-v2 is a Glue 4.0-and-earlier feature; 5.0 logs in real time to
/aws-glue/jobs/error and /output) and Spark's own migration guide (Spark 4.0 turned ANSI SQL mode on
by default: a bad cast fails instead of giving null).

The README's "Glue versions" table says the same in words; `StartJobRun` refuses a version that is
not here (or is here only for another job type) as AWS does: InvalidInputException
"Given GlueVersion [x] is not valid.".
"""

from __future__ import annotations

from dataclasses import dataclass

from awstwin.endpoint.glue.exceptions import InvalidInputException


@dataclass(frozen=True)
class GlueVersion:
    """One AWS Glue version as a local run honours it."""

    version: str
    spark: str  # the Spark version AWS runs (local runs use the installed PySpark)
    python: str  # the Python of its Spark jobs
    pythonshell: str | None  # the Python of its Python shell jobs, when it has them
    ansi: bool  # spark.sql.ansi.enabled as that Spark has it by default
    continuous_logging: bool  # --enable-continuous-cloudwatch-log writes /aws-glue/jobs/logs-v2


VERSIONS: dict[str, GlueVersion] = {
    v.version: v
    for v in (
        GlueVersion(
            "3.0", spark="3.1.1", python="3.7", pythonshell="3.9", ansi=False, continuous_logging=True
        ),
        GlueVersion(
            "4.0", spark="3.3.0", python="3.10", pythonshell=None, ansi=False, continuous_logging=True
        ),
        GlueVersion(
            "5.0", spark="3.5.4", python="3.11", pythonshell=None, ansi=False, continuous_logging=False
        ),
        GlueVersion(
            "5.1", spark="3.5.6", python="3.11", pythonshell=None, ansi=False, continuous_logging=False
        ),
        GlueVersion(
            "6.0", spark="4.1.1", python="3.13", pythonshell=None, ansi=True, continuous_logging=False
        ),
        GlueVersion(
            "6.1", spark="4.1.3", python="3.14", pythonshell=None, ansi=True, continuous_logging=False
        ),
    )
}
# What a job that names no GlueVersion runs locally: the version the project's own jobs use, and for
# Python shell jobs the one version that has them.
DEFAULT = VERSIONS["5.0"]
DEFAULT_PYTHONSHELL = VERSIONS["3.0"]
# Python shell's PythonVersion values and the Python each means (AWS: "3.9"; "3" was Python 3.6).
PYTHONSHELL_PYTHON = {"3.9": "3.9", "3": "3.9"}
SPARK_COMMANDS = ("glueetl", "gluestreaming")


def invalid(version: str) -> InvalidInputException:
    return InvalidInputException(f"Given GlueVersion [{version}] is not valid.")


def for_run(glue_version: str | None, command: str) -> GlueVersion:
    """The version a run of a `command` job runs on; AWS's error for one it cannot run on."""
    if not glue_version:
        return DEFAULT_PYTHONSHELL if command == "pythonshell" else DEFAULT
    known = VERSIONS.get(glue_version)
    if known is None:
        raise invalid(glue_version)
    if command == "pythonshell" and known.pythonshell is None:
        raise invalid(glue_version)
    return known


def python_for(version: GlueVersion, command: str, python_version: str | None) -> str:
    """The Python (major.minor) AWS gives this run: Python shell's PythonVersion, else the version's."""
    if command == "pythonshell":
        return PYTHONSHELL_PYTHON.get(python_version or "", version.pythonshell or "3.9")
    return version.python
