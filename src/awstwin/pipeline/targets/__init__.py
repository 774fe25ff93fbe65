"""Where `make run` runs the DAG: one Target (awstwin.pipeline.run.Target) per stack.

One rule, from the profile: a profile without an endpoint (aws.env) runs against AWS; the compose
profile runs in the compose stack; any other profile on the embedded stack, or, for the localstack
profile, on the `localstack` stack (LocalStack + the emulator as local processes, its endpoints split
by awstwin.stack.state.stack_profile). `make run` without a PROFILE uses the compose profile while
`make up`'s compose stack is running, and the localstack profile while `make up STACK=localstack` left
its stack recorded (`profile_name`). On the embedded stack the DAG runs in `make up`'s Airflow server
when that stack runs with one, else in a `dag.test()` child process here:

- embedded.py: the embedded (or localstack) stack, started for the run or `make up`'s, `dag.test()`.
- embedded_server.py: `make up`'s embedded stack and its Airflow server, the DAG triggered over REST.
- compose.py: the compose stack's containers, the DAG triggered through its Airflow's REST API.
- aws.py: AWS itself (resources from `make deploy`), `dag.test()` here with connections to AWS.

Every target hands its DAG run back to the same stages (counts, verdict, report), so every run
writes the same artifacts/run_report.json.
"""

from __future__ import annotations

from awstwin.core.profile import Profile
from awstwin.pipeline.run import PipelineRun, Target
from awstwin.pipeline.targets.aws import AwsTarget
from awstwin.pipeline.targets.compose import ComposeTarget
from awstwin.pipeline.targets.embedded import EmbeddedTarget
from awstwin.pipeline.targets.embedded_server import EmbeddedServerTarget, up_stack_with_airflow
from awstwin.stack import compose, state

EMBEDDED, COMPOSE, AWS = EmbeddedTarget.kind, ComposeTarget.kind, AwsTarget.kind
LOCALSTACK = "localstack"  # a stack kind `make up STACK=localstack` records; its runs take EmbeddedTarget
DEFAULT_PROFILE = "local"


def target_for(profile: Profile) -> str:
    """Which stack a profile's run goes to (the rule in the module's docstring)."""
    if not profile.is_local:
        return AWS
    if profile.name == compose.PROFILE_NAME:
        return COMPOSE
    return EMBEDDED


def profile_name(requested: str | None) -> str:
    """The profile `make run` uses: PROFILE as given, except that the default (local) becomes the
    localstack profile while `make up STACK=localstack` left its stack recorded, or the compose
    profile while the compose stack `make up` started is running."""
    name = requested or DEFAULT_PROFILE
    if name != DEFAULT_PROFILE:
        return name
    recorded = state.read_record()
    if recorded is not None and recorded.kind == LOCALSTACK:
        return recorded.profile
    if compose.docker_available()[0] and compose.is_up():
        return compose.PROFILE_NAME
    return name


def choose(run: PipelineRun) -> Target:
    """The target for this run's profile (and, on the embedded stack, for what `make up` left running)."""
    kind = target_for(run.profile)
    if kind == AWS:
        return AwsTarget()
    if kind == COMPOSE:
        return ComposeTarget()
    stack = up_stack_with_airflow(run)
    return EmbeddedServerTarget(stack) if stack is not None else EmbeddedTarget()
