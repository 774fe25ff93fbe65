"""CloudFormation resource types as data: which boto3 calls create, update and describe each one.

Each `ResourceType` says, for one CloudFormation type, the boto3 service; how to ask whether the
resource exists (and the error codes that mean it does not); the create call and the update call,
each with a small function mapping the template's resolved `Properties` to the call's arguments;
calls that always follow (bucket encryption, role policies); and how `Ref` and `Fn::GetAtt` read.
Adding a type is adding a row here, never a branch in the provisioner.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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


def _without(props: Props, *names: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in names}


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tag_list(props: Props) -> list[dict[str, str]]:
    tags = props.get("Tags") or []
    return [{"Key": k, "Value": v} for k, v in tags.items()] if isinstance(tags, dict) else list(tags)


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
