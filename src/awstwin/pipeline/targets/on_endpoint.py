"""Steps both embedded targets take on the local endpoint and the local warehouse."""

from __future__ import annotations

from awstwin.core import aws
from awstwin.infra.parameters import template_parameters
from awstwin.infra.provision import provision
from awstwin.pipeline.layout import layout_problems
from awstwin.pipeline.run import PipelineRun, StageError

CHECK_WAREHOUSE = "check_warehouse"


def raise_on_layout_problems(run: PipelineRun) -> None:
    """A table kept from an earlier layout fails the run here, before anything runs, not mid-run."""
    problems = layout_problems(run.profile)
    if problems:
        raise StageError(CHECK_WAREHOUSE, "; ".join(problems))


def provision_on_endpoint(run: PipelineRun) -> None:
    """infra/pipeline.yaml's resources, created or updated through boto3 against the endpoint."""
    options, profile = run.options, run.profile
    run.say(f"provisioning {options.template.name} on {profile.aws_endpoint_url or 'AWS'}")
    with run.stage("provision"):
        params = template_parameters(profile, **options.template_overrides)
        result = provision(
            lambda service: aws.client(profile, service),
            params,
            profile.stack_name,
            options.template,
            options.scripts_dir,
        )
    run.say(
        f"  {len(result.created)} resources created, {len(result.updated)} updated; "
        f"script {', '.join(result.scripts)}"
    )
