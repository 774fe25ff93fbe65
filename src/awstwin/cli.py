"""`python -m awstwin <command>`: the commands behind the Makefile targets.

Each command lives in the module that owns it; this table is the only place that lists them.
"""

from __future__ import annotations

import importlib
import sys

from awstwin.core.parent_death import keep_files_private

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("awstwin.pipeline.launch", "run the pipeline end to end and write artifacts/run_report.json"),
    "up": ("awstwin.stack.control:up", "start the stack in the background"),
    "down": ("awstwin.stack.control:down", "stop what `up` started"),
    "logs": ("awstwin.stack.control:logs", "follow the stack's logs"),
    "emulator": ("awstwin.endpoint.server", "serve the local AWS endpoint in the foreground"),
    "dashboard": ("awstwin.dashboard.serve", "serve the latest dashboard on localhost"),
    "data": ("awstwin.data.download", "download the real dataset with kagglehub"),
    "generate": ("awstwin.data.generator", "write a deterministic synthetic dataset"),
    "deploy": ("awstwin.infra.deploy", "deploy the CloudFormation stack to AWS"),
    "bench": ("awstwin.bench.runner", "measure speed and memory"),
}


def _usage() -> str:
    lines = ["usage: python -m awstwin <command> [options]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    keep_files_private()  # .state/ and artifacts/ hold data and secrets: 0600 files, 0700 folders
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _, function = COMMANDS[name][0].partition(":")
    module = importlib.import_module(module_name)
    return int(getattr(module, function or "main")(rest) or 0)
