"""CloudFormation resource types as data: which boto3 calls create, update and describe each one.

Each `ResourceType` says, for one CloudFormation type, the boto3 service; how to ask whether the
resource exists (and the error codes that mean it does not); the create call and the update call,
each with a small function mapping the template's resolved `Properties` to the call's arguments;
calls that always follow (bucket encryption, role policies); and how `Ref` and `Fn::GetAtt` read.
Adding a type is adding a row here, never a branch in the provisioner.

Types with no local counterpart are rows too, in `NOT_LOCAL`: each says what stands in for it on the
local stacks (the warehouse for Redshift Serverless, the machine's own network for the VPC) and how
its `Ref` / `Fn::GetAtt` read there. Properties that only mean something on AWS are listed, with the
reason, in `LOCAL_DROPPED_PROPERTIES`. Nothing in the template is skipped without a row saying why.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

Props = Mapping[str, Any]
# One call's keyword arguments, or a list of them for a call made once per item (role policies).
Kwargs = Callable[[Props], dict[str, Any] | list[dict[str, Any]]]


@dataclass(frozen=True)
class Call:
    """One boto3 client method and how to build its keyword arguments from resolved properties."""

    method: str
    kwargs: Kwargs
    when: Callable[[Props], bool] = lambda props: True


@dataclass(frozen=True)
class ResourceType:
    service: str
    name: Callable[[Props], str]  # the physical name (what `Ref` returns for every type we know)
    describe: Call
    not_found: tuple[str, ...]
    create: Call
    update: Call | None
    then: tuple[Call, ...] = ()
    # Attribute -> value, from (properties, physical name, account id, region, partition).
    attributes: Mapping[str, Callable[[Props, str, str, str, str], str]] = field(default_factory=dict)
    # When `Ref` is not the name (a secret's ARN): the call that reads it and the field of its answer.
    ref: tuple[Call, Callable[[Mapping[str, Any]], str]] | None = None


def _without(props: Props, *names: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in names}


def _pick(props: Props, *names: str) -> dict[str, Any]:
    return {k: props[k] for k in names if k in props}


def _ruleset_create(props: Props) -> dict[str, Any]:
    """CloudFormation's Tags of a ruleset are a JSON object (or its text); the API takes a map."""
    kwargs = _without(props, "Tags")
    tags = props.get("Tags")
    if tags:
        kwargs["Tags"] = json.loads(tags) if isinstance(tags, str) else dict(tags)
    return kwargs


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tag_list(props: Props) -> list[dict[str, str]]:
    tags = props.get("Tags") or []
    return [{"Key": k, "Value": v} for k, v in tags.items()] if isinstance(tags, dict) else list(tags)


def _classifier_name(props: Props) -> str:
    """A classifier's properties hold one of four kinds, each naming it."""
    for kind in ("CsvClassifier", "GrokClassifier", "JsonClassifier", "XMLClassifier"):
        if kind in props:
            return str(props[kind]["Name"])
    raise KeyError(
        "an AWS::Glue::Classifier needs CsvClassifier, GrokClassifier, JsonClassifier or XMLClassifier"
    )


def _bucket_encryption(props: Props) -> dict[str, Any]:
    """CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault."""
    rules = []
    for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]:
        renamed = _without(rule, "ServerSideEncryptionByDefault")
        if "ServerSideEncryptionByDefault" in rule:
            renamed["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
        rules.append(renamed)
    return {"Bucket": props["BucketName"], "ServerSideEncryptionConfiguration": {"Rules": rules}}


def _bucket_create(props: Props) -> dict[str, Any]:
    return {"Bucket": props["BucketName"]}


def _workgroup_update(props: Props) -> dict[str, Any]:
    config = props.get("WorkGroupConfiguration") or {}
    updates = _without(config, "ResultConfiguration")
    if "ResultConfiguration" in config:
        updates["ResultConfigurationUpdates"] = dict(config["ResultConfiguration"])
    kwargs: dict[str, Any] = {"WorkGroup": props["Name"], "ConfigurationUpdates": updates}
    for key in ("Description", "State"):
        if key in props:
            kwargs[key] = props[key]
    return kwargs


def _workgroup_create(props: Props) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Name": props["Name"]}
    if "WorkGroupConfiguration" in props:
        kwargs["Configuration"] = props["WorkGroupConfiguration"]
    if "Description" in props:
        kwargs["Description"] = props["Description"]
    if props.get("Tags"):
        kwargs["Tags"] = _tag_list(props)
    return kwargs


def _role_create(props: Props) -> dict[str, Any]:
    kwargs = {
        "RoleName": props["RoleName"],
        "AssumeRolePolicyDocument": _json(props["AssumeRolePolicyDocument"]),
    }
    for key in ("Path", "Description", "MaxSessionDuration"):
        if key in props:
            kwargs[key] = props[key]
    return kwargs


def _role_policies(props: Props) -> list[dict[str, Any]]:
    return [
        {
            "RoleName": props["RoleName"],
            "PolicyName": p["PolicyName"],
            "PolicyDocument": _json(p["PolicyDocument"]),
        }
        for p in props.get("Policies") or []
    ]


# ---- Secrets Manager: CloudFormation's GenerateSecretString, done here as the service would do it.

_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def generate_password(spec: Props) -> str:
    """A random password following GenerateSecretString's options (length, exclusions, each type)."""
    excluded = set(spec.get("ExcludeCharacters") or "")
    classes = [
        ("ExcludeLowercase", string.ascii_lowercase),
        ("ExcludeUppercase", string.ascii_uppercase),
        ("ExcludeNumbers", string.digits),
        ("ExcludePunctuation", _PUNCTUATION),
    ]
    pools = [
        "".join(c for c in chars if c not in excluded) for option, chars in classes if not spec.get(option)
    ]
    if spec.get("IncludeSpace") and " " not in excluded:
        pools.append(" ")
    pools = [pool for pool in pools if pool]
    length = int(spec.get("PasswordLength") or 32)
    if not pools or (spec.get("RequireEachIncludedType", True) and length < len(pools)):
        raise ValueError(f"GenerateSecretString {dict(spec)} leaves no way to build a password")
    alphabet = "".join(pools)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if not spec.get("RequireEachIncludedType", True) or all(
            any(c in pool for c in password) for pool in pools
        ):
            return password


def _secret_string(props: Props) -> str:
    if "SecretString" in props:
        return str(props["SecretString"])
    spec = props["GenerateSecretString"]
    password = generate_password(spec)
    if "SecretStringTemplate" not in spec:
        return password
    document = json.loads(spec["SecretStringTemplate"])
    document[spec["GenerateStringKey"]] = password
    return json.dumps(document)


def _secret_create(props: Props) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Name": props["Name"], "SecretString": _secret_string(props)}
    for key in ("Description", "KmsKeyId"):
        if key in props:
            kwargs[key] = props[key]
    if props.get("Tags"):
        kwargs["Tags"] = _tag_list(props)
    return kwargs


def _secret_update(props: Props) -> dict[str, Any]:
    """A given SecretString replaces the value; a generated one is kept, as CloudFormation keeps it."""
    kwargs: dict[str, Any] = {"SecretId": props["Name"]}
    if "SecretString" in props:
        kwargs["SecretString"] = str(props["SecretString"])
    if "Description" in props:
        kwargs["Description"] = props["Description"]
    return kwargs


def _arn(service: str, resource: str) -> Callable[[Props, str, str, str, str], str]:
    """An ARN template: `resource` may use {name}, {account}, {region}."""

    def build(props: Props, name: str, account: str, region: str, partition: str) -> str:
        if service in ("s3", "iam"):
            region = ""
        account_part = "" if service == "s3" else account
        return f"arn:{partition}:{service}:{region}:{account_part}:" + resource.format(name=name)

    return build


RESOURCE_TYPES: dict[str, ResourceType] = {
    "AWS::S3::Bucket": ResourceType(
        service="s3",
        name=lambda p: p["BucketName"],
        describe=Call("head_bucket", lambda p: {"Bucket": p["BucketName"]}),
        not_found=("404", "NoSuchBucket", "NotFound"),
        create=Call("create_bucket", _bucket_create),
        update=None,
        then=(
            Call("put_bucket_encryption", _bucket_encryption, when=lambda p: "BucketEncryption" in p),
            Call(
                "put_public_access_block",
                lambda p: {
                    "Bucket": p["BucketName"],
                    "PublicAccessBlockConfiguration": p["PublicAccessBlockConfiguration"],
                },
                when=lambda p: "PublicAccessBlockConfiguration" in p,
            ),
            Call(
                "put_bucket_versioning",
                lambda p: {
                    "Bucket": p["BucketName"],
                    "VersioningConfiguration": p["VersioningConfiguration"],
                },
                when=lambda p: "VersioningConfiguration" in p,
            ),
        ),
        attributes={
            "Arn": _arn("s3", "{name}"),
            "DomainName": lambda p, n, a, r, part: f"{n}.s3.amazonaws.com",
        },
    ),
    "AWS::IAM::Role": ResourceType(
        service="iam",
        name=lambda p: p["RoleName"],
        describe=Call("get_role", lambda p: {"RoleName": p["RoleName"]}),
        not_found=("NoSuchEntity",),
        create=Call("create_role", _role_create),
        update=Call(
            "update_assume_role_policy",
            lambda p: {"RoleName": p["RoleName"], "PolicyDocument": _json(p["AssumeRolePolicyDocument"])},
        ),
        then=(
            Call(
                "attach_role_policy",
                lambda p: [
                    {"RoleName": p["RoleName"], "PolicyArn": arn} for arn in p.get("ManagedPolicyArns") or []
                ],
            ),
            Call("put_role_policy", _role_policies),
        ),
        attributes={"Arn": _arn("iam", "role/{name}"), "RoleId": lambda p, n, a, r, part: n},
    ),
    "AWS::Glue::Database": ResourceType(
        service="glue",
        name=lambda p: p["DatabaseInput"]["Name"],
        describe=Call("get_database", lambda p: {"Name": p["DatabaseInput"]["Name"]}),
        not_found=("EntityNotFoundException",),
        create=Call("create_database", lambda p: dict(p)),
        update=Call("update_database", lambda p: {**p, "Name": p["DatabaseInput"]["Name"]}),
    ),
    "AWS::Glue::Connection": ResourceType(
        service="glue",
        name=lambda p: p["ConnectionInput"]["Name"],
        describe=Call("get_connection", lambda p: {"Name": p["ConnectionInput"]["Name"]}),
        not_found=("EntityNotFoundException",),
        create=Call("create_connection", lambda p: dict(p)),
        update=Call("update_connection", lambda p: {**p, "Name": p["ConnectionInput"]["Name"]}),
    ),
    "AWS::Glue::Classifier": ResourceType(
        service="glue",
        name=_classifier_name,
        describe=Call("get_classifier", lambda p: {"Name": _classifier_name(p)}),
        not_found=("EntityNotFoundException",),
        create=Call("create_classifier", lambda p: dict(p)),
        update=Call("update_classifier", lambda p: dict(p)),
    ),
    "AWS::Glue::Crawler": ResourceType(
        service="glue",
        name=lambda p: p["Name"],
        describe=Call("get_crawler", lambda p: {"Name": p["Name"]}),
        not_found=("EntityNotFoundException",),
        create=Call("create_crawler", lambda p: dict(p)),
        update=Call("update_crawler", lambda p: _without(p, "Tags")),
    ),
    "AWS::Glue::Job": ResourceType(
        service="glue",
        name=lambda p: p["Name"],
        describe=Call("get_job", lambda p: {"JobName": p["Name"]}),
        not_found=("EntityNotFoundException",),
        create=Call("create_job", lambda p: dict(p)),
        update=Call("update_job", lambda p: {"JobName": p["Name"], "JobUpdate": _without(p, "Name", "Tags")}),
    ),
    "AWS::Glue::DataQualityRuleset": ResourceType(
        service="glue",
        name=lambda p: p["Name"],
        describe=Call("get_data_quality_ruleset", lambda p: {"Name": p["Name"]}),
        not_found=("EntityNotFoundException",),
        create=Call("create_data_quality_ruleset", _ruleset_create),
        update=Call("update_data_quality_ruleset", lambda p: _pick(p, "Name", "Description", "Ruleset")),
    ),
    "AWS::SecretsManager::Secret": ResourceType(
        service="secretsmanager",
        name=lambda p: p["Name"],
        describe=Call("describe_secret", lambda p: {"SecretId": p["Name"]}),
        not_found=("ResourceNotFoundException",),
        create=Call("create_secret", _secret_create),
        update=Call("update_secret", _secret_update),
        ref=(Call("describe_secret", lambda p: {"SecretId": p["Name"]}), lambda answer: answer["ARN"]),
    ),
    "AWS::Athena::WorkGroup": ResourceType(
        service="athena",
        name=lambda p: p["Name"],
        describe=Call("get_work_group", lambda p: {"WorkGroup": p["Name"]}),
        not_found=("InvalidRequestException", "ResourceNotFoundException"),
        create=Call("create_work_group", _workgroup_create),
        update=Call("update_work_group", _workgroup_update),
    ),
}

# Template-only properties the APIs do not take (CloudFormation reads them itself).
TEMPLATE_ONLY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::Athena::WorkGroup": ("RecursiveDeleteOption",),
}


# ---- Types with no local counterpart: what stands in for each, and how Ref / GetAtt read there.

# (the resource's unresolved properties, a function resolving any template value) -> a value
StandIn = Callable[[Props, Callable[[Any], Any]], str]


@dataclass(frozen=True)
class NotLocal:
    """A resource type the local stacks serve by other means: never created, always reported."""

    served_by: str  # what a reader sees in the provisioning result
    ref: StandIn | None = None
    attributes: Mapping[str, StandIn] = field(default_factory=dict)


def _warehouse_url(resolve: Callable[[Any], Any]) -> Any:
    url = str(resolve({"Ref": "WarehouseJdbcUrl"}))
    if not url:
        raise ValueError(
            "the local stacks name their warehouse in the WarehouseJdbcUrl parameter; it is empty"
        )
    return urlparse(url.removeprefix("jdbc:"))


_NETWORK = "no local counterpart: the local stack's services reach each other on this machine's network"

NOT_LOCAL: dict[str, NotLocal] = {
    "AWS::RedshiftServerless::Namespace": NotLocal(
        "served by the warehouse: the stack's Postgres (postgres_init/) holds the database, its admin "
        "user is the profile's (and the secret's)",
        ref=lambda props, resolve: str(resolve(props["NamespaceName"])),
    ),
    "AWS::RedshiftServerless::Workgroup": NotLocal(
        "served by the warehouse: the profile's warehouse endpoint (WarehouseJdbcUrl) stands in for the "
        "workgroup's endpoint",
        ref=lambda props, resolve: str(resolve(props["WorkgroupName"])),
        attributes={
            "Workgroup.Endpoint.Address": lambda props, resolve: str(_warehouse_url(resolve).hostname),
            "Workgroup.Endpoint.Port": lambda props, resolve: str(_warehouse_url(resolve).port),
        },
    ),
    **{
        f"AWS::EC2::{kind}": NotLocal(_NETWORK)
        for kind in (
            "VPC",
            "InternetGateway",
            "VPCGatewayAttachment",
            "RouteTable",
            "Route",
            "Subnet",
            "SubnetRouteTableAssociation",
            "SecurityGroup",
            "SecurityGroupIngress",
            "VPCEndpoint",
        )
    },
}

# Properties (dotted paths) that only mean something on AWS; dropped before local provisioning.
LOCAL_DROPPED_PROPERTIES: dict[str, dict[str, str]] = {
    "AWS::Glue::Connection": {
        "ConnectionInput.PhysicalConnectionRequirements": (
            "a local Glue job runs on this machine's network: no subnet or security group to attach"
        ),
    },
}
