"""A failed run's ErrorMessage, read from the end of the script's stderr the way Glue reports it.

Glue puts the script's own final exception in ErrorMessage: `ValueError: boom`, not a stack trace.
The exception's class is given without its module (`AnalysisException: ...`, not
`pyspark.errors.exceptions.captured.AnalysisException: ...`); a SyntaxError also names its file and
line; a script that exits without a traceback reports its exit code.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Sequence

MAX_MESSAGE = 2000
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"^(?P<qualified>[A-Za-z_][\w.]*\.)?(?P<name>[A-Za-z_]\w*)(?P<rest>:.*|)$")
_FRAME_FILE = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_LOG_LINE = re.compile(r"^\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} [A-Z]+ ")


def exit_description(exit_code: int) -> str:
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f"Command failed: the job's process was killed by {name}"
    return f"Command failed with exit code {exit_code}"


def script_error(stderr_tail: Sequence[str], exit_code: int) -> str:
    """The ErrorMessage for a run whose process ended with `exit_code` != 0."""
    lines = [line.rstrip("\r\n") for line in stderr_tail]
    block = _last_exception(lines)
    if block is None:
        return exit_description(exit_code)
    return block[:MAX_MESSAGE]


def _last_exception(lines: list[str]) -> str | None:
    start = _last_index(lines, lambda s: s.startswith(_TRACEBACK))
    if start is None:
        # No traceback header: a SyntaxError while compiling the script, or nothing to report.
        start = _last_index(lines, lambda s: bool(_FRAME_FILE.match(s)))
        if start is None:
            return None
    else:
        start += 1
    location = None
    index = start
    while index < len(lines) and (lines[index].startswith((" ", "\t")) or not lines[index]):
        frame = _FRAME_FILE.match(lines[index])
        if frame:
            location = (frame["file"].rsplit("/", 1)[-1], frame["line"])
        index += 1
    if index >= len(lines):
        return None
    match = _EXCEPTION_LINE.match(lines[index])
    if match is None:
        return None
    message = [f"{match['name']}{match['rest']}"]
    for line in lines[index + 1 :]:
        if not line.strip() or line.startswith("\tat ") or _LOG_LINE.match(line):
            break
        message.append(line.strip())
    text = " ".join(message)
    if match["name"] in ("SyntaxError", "IndentationError", "TabError") and location:
        text += f" ({location[0]}, line {location[1]})"
    return text


def _last_index(lines: list[str], predicate: object) -> int | None:
    for i in range(len(lines) - 1, -1, -1):
        if predicate(lines[i]):  # type: ignore[operator]
            return i
    return None
