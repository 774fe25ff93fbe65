"""What the job definitions and the runs share: constants, ids, the public view of a record."""

from __future__ import annotations

import copy
import secrets
from typing import Any

Doc = dict[str, Any]

COMMANDS = ("glueetl", "pythonshell", "gluestreaming", "glueray")
ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING")
WAITING = "WAITING"
DEFAULT_TIMEOUT_MINUTES = 2880
DEFAULT_MAX_CONCURRENT_RUNS = 1
DPU_PER_WORKER = {
    "Standard": 1.0,
    "G.025X": 0.25,
    "G.1X": 1.0,
    "G.2X": 2.0,
    "G.4X": 4.0,
    "G.8X": 8.0,
    "Z.2X": 2.0,
}
# Job fields a CreateJob / UpdateJob may set (JobUpdate lacks Name and Tags).
JOB_FIELDS = (
    "JobMode",
    "JobRunQueuingEnabled",
    "Description",
    "LogUri",
    "Role",
    "ExecutionProperty",
    "Command",
    "DefaultArguments",
    "NonOverridableArguments",
    "Connections",
    "MaxRetries",
    "AllocatedCapacity",
    "Timeout",
    "MaxCapacity",
    "WorkerType",
    "NumberOfWorkers",
    "SecurityConfiguration",
    "NotificationProperty",
    "GlueVersion",
    "ExecutionClass",
    "SourceControlDetails",
    "MaintenanceWindow",
)
ENDPOINT_DIED = (
    "The local endpoint stopped while this run was {state}; its processes were ended. Start the job again."
)
ENDPOINT_CLOSING = "The local endpoint shut down while this run was RUNNING; its processes were ended."


def new_run_id() -> str:
    return "jr_" + secrets.token_hex(32)


def public(doc: Doc) -> Doc:
    """The AWS-shaped part of a stored record (private bookkeeping keys start with '_')."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_")}
