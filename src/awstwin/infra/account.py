"""The AWS account behind `PROFILE=aws`: whose credentials, and the profile made concrete for it.

profiles/aws.env holds no secrets and no account: credentials come from boto3's standard chain
(AWS_PROFILE, SSO, environment, instance role), names may carry `{account_id}` and `{region}`
placeholders (bucket names are global), and the warehouse's address and password are left empty:
after `make deploy` they are the stack's outputs and its Secrets Manager secret. `make deploy` and
`make run PROFILE=aws` both go through here, so they agree on every name.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from awstwin.core.profile import Profile, ProfileError

# Stack states in which the stack's resources exist and its outputs are current.
READY_STATES = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")

LOGIN_HINT = (
    "Log in first, e.g. `aws configure` (access keys) or `aws sso login --profile NAME` and "
    "`export AWS_PROFILE=NAME`; `aws sts get-caller-identity` must answer"
)


class AwsAccountError(RuntimeError):
    """No usable credentials, no deployed stack, or an environment that would send calls elsewhere."""


class NoCredentialsError(AwsAccountError):
    """boto3's credential chain found nothing."""


@dataclass(frozen=True)
class Caller:
    session: Any  # boto3.Session
    account_id: str
    arn: str
    region: str


def endpoint_overrides(environ: Mapping[str, str]) -> list[str]:
    """AWS_ENDPOINT_URL* variables that would send boto3 (and Airflow's hooks) to a local endpoint."""
    return sorted(k for k, v in environ.items() if k.startswith("AWS_ENDPOINT_URL") and v)


def caller(profile: Profile, environ: Mapping[str, str] | None = None) -> Caller:
    """Who the standard credential chain says we are, for a profile that targets AWS itself."""
    import os

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if profile.is_local:
        raise AwsAccountError(
            f"profile {profile.name} targets the local endpoint {profile.aws_endpoint_url}, not AWS: "
            "use PROFILE=aws (profiles/aws.env)"
        )
    overrides = endpoint_overrides(os.environ if environ is None else environ)
    if overrides:
        raise AwsAccountError(
            f"PROFILE={profile.name} targets AWS but {', '.join(overrides)} is set in this shell, which "
            f"would send the calls to another endpoint: unset {' '.join(overrides)} first"
        )
    session = boto3.Session(region_name=profile.aws_region)
    if session.get_credentials() is None:
        raise NoCredentialsError(
            f"no AWS credentials found for PROFILE={profile.name}: boto3 looked in AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws (config, credentials, SSO), and the instance "
            f"or container role. {LOGIN_HINT}"
        )
    try:
        identity = session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise AwsAccountError(f"AWS did not accept the credentials found: {exc}. {LOGIN_HINT}") from exc
    return Caller(session, identity["Account"], identity["Arn"], profile.aws_region)


def expand(profile: Profile, account_id: str) -> Profile:
    """The profile with `{account_id}` and `{region}` filled in every text value."""
    values = {"account_id": account_id, "region": profile.aws_region}
    changes: dict[str, object] = {}
    for field in dataclasses.fields(profile):
        value = getattr(profile, field.name)
        if isinstance(value, str) and "{" in value:
            try:
                changes[field.name] = value.format(**values)
            except (KeyError, IndexError, ValueError) as exc:
                raise ProfileError(
                    f"profiles/{profile.name}.env: {field.name.upper()}={value!r} uses a placeholder other "
                    f"than {{account_id}} and {{region}} ({exc})"
                ) from None
    return profile.replace(**changes) if changes else profile


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The deployed stack's outputs; an error that says to deploy when there is no usable stack."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            raise AwsAccountError(
                f"no CloudFormation stack {stack_name} in {cloudformation.meta.region_name}: "
                "deploy it first with `make deploy PROFILE=aws`"
            ) from None
        raise AwsAccountError(f"cannot read stack {stack_name}: {exc}") from exc
    stack = stacks[0]
    status = stack["StackStatus"]
    if status not in READY_STATES:
        raise AwsAccountError(
            f"stack {stack_name} is {status}: wait for it to finish, or fix and run `make deploy PROFILE=aws`"
        )
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def warehouse_secret(secrets_manager: Any, secret_id: str) -> dict[str, str]:
    value = json.loads(secrets_manager.get_secret_value(SecretId=secret_id)["SecretString"])
    if not value.get("username") or not value.get("password"):
        raise AwsAccountError(f"secret {secret_id} holds no username and password")
    return value


def with_stack(profile: Profile, outputs: Mapping[str, str], secret: Mapping[str, str]) -> Profile:
    """The profile pointed at what the stack created: its bucket, its warehouse and the secret's user.

    The names the stack was deployed with must be the profile's: a stack deployed from another
    profile (or an older aws.env) would have the DAG look for resources that are not there."""
    mismatched = [
        f"{key} is {outputs[key]!r}, the profile says {expected!r}"
        for key, expected in (
            ("Bucket", profile.bucket),
            ("GlueJob", profile.glue_job),
            ("GlueDatabase", profile.glue_database),
            ("AthenaWorkGroup", profile.athena_workgroup),
        )
        if key in outputs and outputs[key] != expected
    ]
    if mismatched:
        raise AwsAccountError(
            f"stack {profile.stack_name} was deployed with other names ({'; '.join(mismatched)}): "
            "run `make deploy PROFILE=aws` with this profile"
        )
    url = urlparse(outputs["WarehouseJdbcUrl"].removeprefix("jdbc:"))
    return profile.replace(
        warehouse_host=outputs.get("WarehouseEndpoint") or url.hostname or "",
        warehouse_port=url.port or profile.warehouse_port,
        warehouse_db=url.path.lstrip("/") or profile.warehouse_db,
        warehouse_user=secret["username"],
        warehouse_password=secret["password"],
    )


def deployed_profile(profile: Profile, who: Caller) -> tuple[Profile, dict[str, str]]:
    """The profile as `make run PROFILE=aws` uses it, and the stack's outputs (needs the deployed stack)."""
    concrete = expand(profile, who.account_id)
    outputs = stack_outputs(who.session.client("cloudformation"), concrete.stack_name)
    secret = warehouse_secret(who.session.client("secretsmanager"), outputs["WarehouseSecretArn"])
    return with_stack(concrete, outputs, secret), outputs
