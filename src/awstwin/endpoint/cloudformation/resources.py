"""CloudFormation resource types as data: which API calls create, update, delete and describe each one.

One row per type: the service whose API it is made through (the endpoint's own S3, Glue, Athena and
Redshift Serverless; IAM, Secrets Manager, Logs and SSM behind the same port), the properties it
applies (any other property fails the resource, never ignored), where the template names it and how
CloudFormation names it when the template does not, how to ask whether it exists, the create / update
/ delete calls (each a small function from the resolved properties to the call's arguments), calls
that follow create and update (bucket encryption, role policies), which property changes replace it,
and how `Ref` and `Fn::GetAtt` read. Adding a type is adding a row here, never a branch in the
provisioner.

Types the local stacks serve by other means are rows too, in `NOT_LOCAL`: each says what stands in for
it (the machine's own network for the VPC); the stack's events say so. Properties that only mean
something on AWS are listed, with the reason, in `LOCAL_DROPPED_PROPERTIES`, and the resource's event
says they were not applied.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Props = Mapping[str, Any]


@dataclass(frozen=True)
class Target:
    """What a call is about: the resolved properties (a generated name filled in), the physical id
    ('' before creation) and, for an update, the properties before it."""

    props: Props
    physical_id: str = ""
    old: Props = field(default_factory=dict)


@dataclass(frozen=True)
class Env:
    account: str
    region: str
    partition: str = "aws"


# One call's keyword arguments, or a list of them for a call made once per item (role policies).
Kwargs = Callable[[Target], dict[str, Any] | list[dict[str, Any]]]
# An attribute's value from the target, the environment and the describe call's answer.
Attribute = Callable[[Target, Env, Mapping[str, Any]], Any]


def _always(target: Target) -> bool:
    return True


@dataclass(frozen=True)
class Call:
    """One API method (boto3's name) and how to build its arguments for a target."""

    method: str
    kwargs: Kwargs
    when: Callable[[Target], bool] = _always
    gone: tuple[str, ...] = ()  # error codes that mean the thing is already gone (deletes)


@dataclass(frozen=True)
class Naming:
    """Where the template names a resource, and how CloudFormation names it when it does not
    (`<stack>-<logical id>-<random>`, cut to the service's limit)
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html)."""

    path: str  # dotted property path, e.g. "DatabaseInput.Name"
    max_length: int = 128
    lowercase: bool = False


@dataclass(frozen=True)
class ResourceType:
    service: str
    properties: frozenset[str]  # the properties applied; any other fails the resource
    create: Call
    delete: tuple[Call, ...]
    naming: Naming | None = None  # None: AWS makes the id (read by `physical_id`)
    describe: Call | None = None  # does it exist (and its answer, for attributes)
    describe_by_name: bool = True  # can `describe` ask by the template's name before the resource exists
    not_found: tuple[str, ...] = ()
    update: Call | None = None  # None: any change replaces the resource
    then: tuple[Call, ...] = ()  # after create and update
    replace_on: tuple[str, ...] = ()  # properties whose change replaces the resource
    # The physical id from the target and the create call's answer (default: the name).
    physical_id: Callable[[Target, Mapping[str, Any]], str] | None = None
    attributes: Mapping[str, Attribute] = field(default_factory=dict)

    def name(self, props: Props) -> str | None:
        if self.naming is None:
            return None
        node: Any = props
        for key in self.naming.path.split("."):
            node = node.get(key) if isinstance(node, Mapping) else None
        return None if node is None else str(node)


def _without(props: Props, *names: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in names}


def _only(props: Props, *names: str) -> dict[str, Any]:
    return {k: props[k] for k in names if k in props}


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tag_list(props: Props) -> list[dict[str, str]]:
    tags = props.get("Tags") or []
    return [{"Key": k, "Value": v} for k, v in tags.items()] if isinstance(tags, dict) else list(tags)


def _tag_map(props: Props) -> dict[str, str]:
    tags = props.get("Tags") or {}
    return dict(tags) if isinstance(tags, dict) else {t["Key"]: t["Value"] for t in tags}


def _arn(service: str, resource: str, regional: bool = True, account: bool = True) -> Attribute:
    """An ARN from the physical id: `resource` may use {id}."""

    def build(target: Target, env: Env, described: Mapping[str, Any]) -> str:
        region = env.region if regional else ""
        owner = env.account if account else ""
        return f"arn:{env.partition}:{service}:{region}:{owner}:" + resource.format(id=target.physical_id)

    return build


def _name(t: Target) -> str:
    return t.physical_id


# ---- S3 ---------------------------------------------------------------------------------------------


def _bucket_encryption(t: Target) -> dict[str, Any]:
    """CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault."""
    rules = []
    for rule in t.props["BucketEncryption"]["ServerSideEncryptionConfiguration"]:
        renamed = _without(rule, "ServerSideEncryptionByDefault")
        if "ServerSideEncryptionByDefault" in rule:
            renamed["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
        rules.append(renamed)
    return {"Bucket": t.physical_id, "ServerSideEncryptionConfiguration": {"Rules": rules}}


def _removed(key: str) -> Callable[[Target], bool]:
    """An update that drops a property: the setting it made is removed."""
    return lambda t: key in t.old and key not in t.props


_S3_BUCKET = ResourceType(
    service="s3",
    properties=frozenset(
        {
            "BucketName",
            "BucketEncryption",
            "PublicAccessBlockConfiguration",
            "VersioningConfiguration",
            "Tags",
        }
    ),
    naming=Naming("BucketName", max_length=63, lowercase=True),
    describe=Call("head_bucket", lambda t: {"Bucket": t.physical_id}),
    not_found=("404", "NoSuchBucket", "NotFound"),
    create=Call("create_bucket", lambda t: {"Bucket": t.physical_id}),
    update=Call("head_bucket", lambda t: {"Bucket": t.physical_id}),  # the settings follow in `then`
    replace_on=("BucketName",),
    then=(
        Call("put_bucket_encryption", _bucket_encryption, when=lambda t: "BucketEncryption" in t.props),
        Call(
            "delete_bucket_encryption", lambda t: {"Bucket": t.physical_id}, when=_removed("BucketEncryption")
        ),
        Call(
            "put_public_access_block",
            lambda t: {
                "Bucket": t.physical_id,
                "PublicAccessBlockConfiguration": t.props["PublicAccessBlockConfiguration"],
            },
            when=lambda t: "PublicAccessBlockConfiguration" in t.props,
        ),
        Call(
            "delete_public_access_block",
            lambda t: {"Bucket": t.physical_id},
            when=_removed("PublicAccessBlockConfiguration"),
        ),
        Call(
            "put_bucket_versioning",
            lambda t: {
                "Bucket": t.physical_id,
                "VersioningConfiguration": t.props["VersioningConfiguration"],
            },
            when=lambda t: "VersioningConfiguration" in t.props,
        ),
        Call(
            "put_bucket_tagging",
            lambda t: {"Bucket": t.physical_id, "Tagging": {"TagSet": _tag_list(t.props)}},
            when=lambda t: bool(t.props.get("Tags")),
        ),
        Call("delete_bucket_tagging", lambda t: {"Bucket": t.physical_id}, when=_removed("Tags")),
    ),
    delete=(Call("delete_bucket", lambda t: {"Bucket": t.physical_id}, gone=("NoSuchBucket",)),),
    attributes={
        "Arn": _arn("s3", "{id}", regional=False, account=False),
        "DomainName": lambda t, env, d: f"{t.physical_id}.s3.amazonaws.com",
        "DualStackDomainName": lambda t, env, d: f"{t.physical_id}.s3.dualstack.{env.region}.amazonaws.com",
        "RegionalDomainName": lambda t, env, d: f"{t.physical_id}.s3.{env.region}.amazonaws.com",
        "WebsiteURL": lambda t, env, d: f"http://{t.physical_id}.s3-website-{env.region}.amazonaws.com",
    },
)

_S3_BUCKET_POLICY = ResourceType(
    service="s3",
    properties=frozenset({"Bucket", "PolicyDocument"}),
    physical_id=lambda t, answer: str(t.props["Bucket"]),
    create=Call(
        "put_bucket_policy",
        lambda t: {"Bucket": t.props["Bucket"], "Policy": _json(t.props["PolicyDocument"])},
    ),
    update=Call(
        "put_bucket_policy",
        lambda t: {"Bucket": t.props["Bucket"], "Policy": _json(t.props["PolicyDocument"])},
    ),
    replace_on=("Bucket",),
    delete=(
        Call(
            "delete_bucket_policy",
            lambda t: {"Bucket": t.physical_id},
            gone=("NoSuchBucket", "NoSuchBucketPolicy"),
        ),
    ),
)

# ---- IAM --------------------------------------------------------------------------------------------


def _role_create(t: Target) -> dict[str, Any]:
    kwargs = {
        "RoleName": t.physical_id,
        "AssumeRolePolicyDocument": _json(t.props["AssumeRolePolicyDocument"]),
    }
    kwargs.update(_only(t.props, "Path", "Description", "MaxSessionDuration", "PermissionsBoundary"))
    if t.props.get("Tags"):
        kwargs["Tags"] = _tag_list(t.props)
    return kwargs


def _policy_names(props: Props) -> set[str]:
    return {str(p["PolicyName"]) for p in props.get("Policies") or []}


_IAM_ROLE = ResourceType(
    service="iam",
    properties=frozenset(
        {
            "RoleName",
            "AssumeRolePolicyDocument",
            "Policies",
            "ManagedPolicyArns",
            "Path",
            "Description",
            "MaxSessionDuration",
            "PermissionsBoundary",
            "Tags",
        }
    ),
    naming=Naming("RoleName", max_length=64),
    describe=Call("get_role", lambda t: {"RoleName": t.physical_id}),
    not_found=("NoSuchEntity",),
    create=Call("create_role", _role_create),
    update=Call(
        "update_assume_role_policy",
        lambda t: {"RoleName": t.physical_id, "PolicyDocument": _json(t.props["AssumeRolePolicyDocument"])},
    ),
    replace_on=("RoleName", "Path"),
    then=(
        Call(
            "put_role_policy",
            lambda t: [
                {
                    "RoleName": t.physical_id,
                    "PolicyName": p["PolicyName"],
                    "PolicyDocument": _json(p["PolicyDocument"]),
                }
                for p in t.props.get("Policies") or []
            ],
        ),
        Call(
            "delete_role_policy",
            lambda t: [
                {"RoleName": t.physical_id, "PolicyName": name}
                for name in sorted(_policy_names(t.old) - _policy_names(t.props))
            ],
        ),
        Call(
            "attach_role_policy",
            lambda t: [
                {"RoleName": t.physical_id, "PolicyArn": a} for a in t.props.get("ManagedPolicyArns") or []
            ],
        ),
        Call(
            "detach_role_policy",
            lambda t: [
                {"RoleName": t.physical_id, "PolicyArn": a}
                for a in sorted(
                    set(t.old.get("ManagedPolicyArns") or []) - set(t.props.get("ManagedPolicyArns") or [])
                )
            ],
        ),
    ),
    delete=(
        Call(
            "delete_role_policy",
            lambda t: [{"RoleName": t.physical_id, "PolicyName": n} for n in sorted(_policy_names(t.props))],
            gone=("NoSuchEntity",),
        ),
        Call(
            "detach_role_policy",
            lambda t: [
                {"RoleName": t.physical_id, "PolicyArn": a} for a in t.props.get("ManagedPolicyArns") or []
            ],
            gone=("NoSuchEntity",),
        ),
        Call("delete_role", lambda t: {"RoleName": t.physical_id}, gone=("NoSuchEntity",)),
    ),
    attributes={
        "Arn": lambda t, env, d: d["Role"]["Arn"],
        "RoleId": lambda t, env, d: d["Role"]["RoleId"],
    },
)


def _policy_targets(props: Props, policy_name: str) -> list[tuple[str, dict[str, str]]]:
    """(the put/delete method's suffix, its owner argument) for each role, user and group named."""
    owners = []
    for key, kind, arg in (
        ("Roles", "role", "RoleName"),
        ("Users", "user", "UserName"),
        ("Groups", "group", "GroupName"),
    ):
        owners += [(kind, {arg: str(name), "PolicyName": policy_name}) for name in props.get(key) or []]
    return owners


def _inline_policy(kind: str, verb: str) -> Call:
    def kwargs(t: Target) -> list[dict[str, Any]]:
        props = t.props if verb == "put" else (t.old or t.props)
        name = str(props["PolicyName"])
        found = [arg for owner, arg in _policy_targets(props, name) if owner == kind]
        if verb == "put":
            return [{**arg, "PolicyDocument": _json(t.props["PolicyDocument"])} for arg in found]
        if t.old:  # an update: remove the policy only from owners no longer named
            keep = {json.dumps(a, sort_keys=True) for o, a in _policy_targets(t.props, name) if o == kind}
            found = [a for a in found if json.dumps(a, sort_keys=True) not in keep]
        return found

    return Call(f"{verb}_{kind}_policy", kwargs, gone=("NoSuchEntity",))


_IAM_POLICY = ResourceType(
    service="iam",
    properties=frozenset({"PolicyName", "PolicyDocument", "Roles", "Users", "Groups"}),
    naming=Naming("PolicyName", max_length=128),
    create=_inline_policy("role", "put"),
    update=_inline_policy("role", "put"),
    replace_on=("PolicyName",),
    then=(
        _inline_policy("user", "put"),
        _inline_policy("group", "put"),
        Call("delete_role_policy", lambda t: _inline_policy("role", "delete").kwargs(t) if t.old else []),
        Call("delete_user_policy", lambda t: _inline_policy("user", "delete").kwargs(t) if t.old else []),
        Call("delete_group_policy", lambda t: _inline_policy("group", "delete").kwargs(t) if t.old else []),
    ),
    delete=(
        _inline_policy("role", "delete"),
        _inline_policy("user", "delete"),
        _inline_policy("group", "delete"),
    ),
)


def _managed_attach(kind: str) -> Call:
    key, arg = {
        "role": ("Roles", "RoleName"),
        "user": ("Users", "UserName"),
        "group": ("Groups", "GroupName"),
    }[kind]

    def kwargs(t: Target) -> list[dict[str, str]]:
        old = set(t.old.get(key) or [])
        return [{"PolicyArn": t.physical_id, arg: str(n)} for n in t.props.get(key) or [] if n not in old]

    return Call(f"attach_{kind}_policy", kwargs)


def _managed_detach(kind: str, on_update: bool) -> Call:
    key, arg = {
        "role": ("Roles", "RoleName"),
        "user": ("Users", "UserName"),
        "group": ("Groups", "GroupName"),
    }[kind]

    def kwargs(t: Target) -> list[dict[str, str]]:
        if on_update:
            gone = set(t.old.get(key) or []) - set(t.props.get(key) or [])
            return [{"PolicyArn": t.physical_id, arg: str(n)} for n in sorted(gone)]
        return [{"PolicyArn": t.physical_id, arg: str(n)} for n in t.props.get(key) or []]

    return Call(f"detach_{kind}_policy", kwargs, gone=("NoSuchEntity",))


_IAM_MANAGED_POLICY = ResourceType(
    service="iam",
    properties=frozenset(
        {"ManagedPolicyName", "PolicyDocument", "Roles", "Users", "Groups", "Path", "Description"}
    ),
    naming=Naming("ManagedPolicyName", max_length=128),
    physical_id=lambda t, answer: str(answer["Policy"]["Arn"]),
    describe=Call("get_policy", lambda t: {"PolicyArn": t.physical_id}),
    describe_by_name=False,  # by ARN only: CreatePolicy itself refuses a name in use
    not_found=("NoSuchEntity",),
    create=Call(
        "create_policy",
        lambda t: {
            "PolicyName": t.props["ManagedPolicyName"],
            "PolicyDocument": _json(t.props["PolicyDocument"]),
            **_only(t.props, "Path", "Description"),
        },
    ),
    update=Call(
        "create_policy_version",
        lambda t: {
            "PolicyArn": t.physical_id,
            "PolicyDocument": _json(t.props["PolicyDocument"]),
            "SetAsDefault": True,
        },
        when=lambda t: t.props.get("PolicyDocument") != t.old.get("PolicyDocument"),
    ),
    replace_on=("ManagedPolicyName", "Path", "Description"),
    then=tuple(_managed_attach(k) for k in ("role", "user", "group"))
    + tuple(_managed_detach(k, on_update=True) for k in ("role", "user", "group")),
    delete=tuple(_managed_detach(k, on_update=False) for k in ("role", "user", "group"))
    + (Call("delete_policy", lambda t: {"PolicyArn": t.physical_id}, gone=("NoSuchEntity",)),),
    attributes={
        "PolicyArn": lambda t, env, d: t.physical_id,
        "PolicyId": lambda t, env, d: d["Policy"]["PolicyId"],
        "CreateDate": lambda t, env, d: str(d["Policy"]["CreateDate"]),
        "DefaultVersionId": lambda t, env, d: d["Policy"]["DefaultVersionId"],
    },
)

# ---- Glue -------------------------------------------------------------------------------------------


def _glue(
    name_path: str,
    describe: Call,
    create: Call,
    update: Call | None,
    delete: Call,
    properties: set[str],
    lowercase: bool = False,
    then: tuple[Call, ...] = (),
    attributes: Mapping[str, Attribute] | None = None,
) -> ResourceType:
    return ResourceType(
        service="glue",
        properties=frozenset(properties),
        naming=Naming(name_path, max_length=255, lowercase=lowercase),
        describe=describe,
        not_found=("EntityNotFoundException",),
        create=create,
        update=update,
        then=then,
        delete=(delete,),
        replace_on=(name_path.split(".")[0],) if "." not in name_path else (),
        attributes=attributes or {},
    )


def _database_input(t: Target) -> dict[str, Any]:
    return {**t.props["DatabaseInput"], "Name": t.physical_id}


def _crawler(t: Target) -> dict[str, Any]:
    """CloudFormation's Schedule is {ScheduleExpression}; the API's is the expression itself."""
    kwargs = _without(t.props, "Schedule", "Tags")
    kwargs["Name"] = t.physical_id
    schedule = t.props.get("Schedule")
    if isinstance(schedule, Mapping) and schedule.get("ScheduleExpression"):
        kwargs["Schedule"] = schedule["ScheduleExpression"]
    return kwargs


def _job(t: Target) -> dict[str, Any]:
    return {**_without(t.props, "Tags"), "Name": t.physical_id}


def _classifier_kind(props: Props) -> str:
    for kind in ("CsvClassifier", "GrokClassifier", "JsonClassifier", "XMLClassifier"):
        if kind in props:
            return kind
    raise KeyError(
        "an AWS::Glue::Classifier needs CsvClassifier, GrokClassifier, JsonClassifier or XMLClassifier"
    )


def _classifier(t: Target) -> dict[str, Any]:
    kind = _classifier_kind(t.props)
    return {kind: {**t.props[kind], "Name": t.physical_id}}


def _table_input(t: Target) -> dict[str, Any]:
    kwargs = {
        "DatabaseName": t.props["DatabaseName"],
        "TableInput": {**t.props["TableInput"], "Name": t.physical_id},
    }
    kwargs.update(_only(t.props, "CatalogId", "OpenTableFormatInput"))
    return kwargs


_GLUE_DATABASE = _glue(
    "DatabaseInput.Name",
    Call("get_database", lambda t: {"Name": t.physical_id}),
    Call("create_database", lambda t: {**_only(t.props, "CatalogId"), "DatabaseInput": _database_input(t)}),
    Call(
        "update_database",
        lambda t: {**_only(t.props, "CatalogId"), "Name": t.physical_id, "DatabaseInput": _database_input(t)},
    ),
    Call("delete_database", lambda t: {"Name": t.physical_id}, gone=("EntityNotFoundException",)),
    {"CatalogId", "DatabaseInput", "DatabaseName"},
    lowercase=True,
)

_GLUE_TABLE = _glue(
    "TableInput.Name",
    Call("get_table", lambda t: {"DatabaseName": t.props["DatabaseName"], "Name": t.physical_id}),
    Call("create_table", _table_input),
    Call("update_table", lambda t: _without(_table_input(t), "OpenTableFormatInput")),
    Call(
        "delete_table",
        lambda t: {"DatabaseName": t.props["DatabaseName"], "Name": t.physical_id},
        gone=("EntityNotFoundException",),
    ),
    {"CatalogId", "DatabaseName", "TableInput", "OpenTableFormatInput"},
    lowercase=True,
)

_CRAWLER_PROPERTIES = {
    "Name",
    "Role",
    "DatabaseName",
    "Description",
    "Targets",
    "Schedule",
    "Classifiers",
    "TablePrefix",
    "SchemaChangePolicy",
    "RecrawlPolicy",
    "LakeFormationConfiguration",
    "Configuration",
    "CrawlerSecurityConfiguration",
    "Tags",
}
_GLUE_CRAWLER = _glue(
    "Name",
    Call("get_crawler", lambda t: {"Name": t.physical_id}),
    Call(
        "create_crawler",
        lambda t: {**_crawler(t), **({"Tags": _tag_map(t.props)} if t.props.get("Tags") else {})},
    ),
    Call("update_crawler", _crawler),
    Call("delete_crawler", lambda t: {"Name": t.physical_id}, gone=("EntityNotFoundException",)),
    _CRAWLER_PROPERTIES,
)

_JOB_PROPERTIES = {
    "Name",
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
    "SecurityConfiguration",
    "Tags",
    "NotificationProperty",
    "GlueVersion",
    "NumberOfWorkers",
    "WorkerType",
    "ExecutionClass",
    "MaintenanceWindow",
}
_GLUE_JOB = _glue(
    "Name",
    Call("get_job", lambda t: {"JobName": t.physical_id}),
    Call("create_job", lambda t: {**_job(t), **({"Tags": _tag_map(t.props)} if t.props.get("Tags") else {})}),
    Call("update_job", lambda t: {"JobName": t.physical_id, "JobUpdate": _without(_job(t), "Name")}),
    Call("delete_job", lambda t: {"JobName": t.physical_id}),
    _JOB_PROPERTIES,
)

_GLUE_CONNECTION = _glue(
    "ConnectionInput.Name",
    Call("get_connection", lambda t: {"Name": t.physical_id}),
    Call(
        "create_connection",
        lambda t: {
            **_only(t.props, "CatalogId"),
            "ConnectionInput": {**t.props["ConnectionInput"], "Name": t.physical_id},
        },
    ),
    Call(
        "update_connection",
        lambda t: {
            **_only(t.props, "CatalogId"),
            "Name": t.physical_id,
            "ConnectionInput": {**t.props["ConnectionInput"], "Name": t.physical_id},
        },
    ),
    Call("delete_connection", lambda t: {"ConnectionName": t.physical_id}, gone=("EntityNotFoundException",)),
    {"CatalogId", "ConnectionInput"},
)

_GLUE_CLASSIFIER = ResourceType(
    service="glue",
    properties=frozenset({"CsvClassifier", "GrokClassifier", "JsonClassifier", "XMLClassifier"}),
    naming=None,
    physical_id=lambda t, answer: str(t.props[_classifier_kind(t.props)]["Name"]),
    describe=Call("get_classifier", lambda t: {"Name": t.physical_id}),
    not_found=("EntityNotFoundException",),
    create=Call(
        "create_classifier", lambda t: {_classifier_kind(t.props): t.props[_classifier_kind(t.props)]}
    ),
    update=Call("update_classifier", _classifier),
    replace_on=tuple(
        f"{kind}.Name" for kind in ("CsvClassifier", "GrokClassifier", "JsonClassifier", "XMLClassifier")
    ),
    delete=(Call("delete_classifier", lambda t: {"Name": t.physical_id}, gone=("EntityNotFoundException",)),),
)


# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-dataqualityruleset.html
# Ref is the ruleset's name; Tags come as a JSON object (CloudFormation's Json type, or its text) or
# as a Tag list.
# The API cannot change a ruleset's name or target table: those replace it.
def _ruleset_create(t: Target) -> dict[str, Any]:
    kwargs = {**_without(t.props, "Tags"), "Name": t.physical_id}
    tags = t.props.get("Tags")
    if tags:
        kwargs["Tags"] = _tag_map({"Tags": json.loads(tags) if isinstance(tags, str) else tags})
    return kwargs


_GLUE_DATA_QUALITY_RULESET = ResourceType(
    service="glue",
    properties=frozenset({"ClientToken", "Description", "Name", "Ruleset", "Tags", "TargetTable"}),
    naming=Naming("Name", max_length=255),
    describe=Call("get_data_quality_ruleset", lambda t: {"Name": t.physical_id}),
    not_found=("EntityNotFoundException",),
    create=Call("create_data_quality_ruleset", _ruleset_create),
    update=Call(
        "update_data_quality_ruleset",
        lambda t: {**_only(t.props, "Description", "Ruleset"), "Name": t.physical_id},
    ),
    replace_on=("Name", "TargetTable"),
    delete=(
        Call(
            "delete_data_quality_ruleset",
            lambda t: {"Name": t.physical_id},
            gone=("EntityNotFoundException",),
        ),
    ),
    attributes={"Id": lambda t, env, d: t.physical_id},
)

# ---- Athena -----------------------------------------------------------------------------------------


def _workgroup_create(t: Target) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Name": t.physical_id}
    if "WorkGroupConfiguration" in t.props:
        kwargs["Configuration"] = t.props["WorkGroupConfiguration"]
    kwargs.update(_only(t.props, "Description"))
    if t.props.get("Tags"):
        kwargs["Tags"] = _tag_list(t.props)
    return kwargs


def _workgroup_update(t: Target) -> dict[str, Any]:
    config = t.props.get("WorkGroupConfiguration") or {}
    updates = _without(config, "ResultConfiguration")
    if "ResultConfiguration" in config:
        updates["ResultConfigurationUpdates"] = dict(config["ResultConfiguration"])
    kwargs: dict[str, Any] = {"WorkGroup": t.physical_id, "ConfigurationUpdates": updates}
    kwargs.update(_only(t.props, "Description", "State"))
    return kwargs


_ATHENA_WORKGROUP = ResourceType(
    service="athena",
    properties=frozenset(
        {"Name", "Description", "State", "Tags", "WorkGroupConfiguration", "RecursiveDeleteOption"}
    ),
    naming=Naming("Name", max_length=128),
    describe=Call("get_work_group", lambda t: {"WorkGroup": t.physical_id}),
    not_found=("InvalidRequestException", "ResourceNotFoundException"),
    create=Call("create_work_group", _workgroup_create),
    update=Call("update_work_group", _workgroup_update),
    replace_on=("Name",),
    then=(
        Call(
            "update_work_group",
            lambda t: {"WorkGroup": t.physical_id, "State": t.props["State"]},
            when=lambda t: t.props.get("State") == "DISABLED" and not t.old,
        ),
    ),
    delete=(
        Call(
            "delete_work_group",
            lambda t: {
                "WorkGroup": t.physical_id,
                "RecursiveDeleteOption": bool(t.props.get("RecursiveDeleteOption")),
            },
            gone=("InvalidRequestException",),
        ),
    ),
    attributes={"CreationTime": lambda t, env, d: str(d["WorkGroup"].get("CreationTime", ""))},
)

_ATHENA_NAMED_QUERY = ResourceType(
    service="athena",
    properties=frozenset({"Name", "Description", "Database", "QueryString", "WorkGroup"}),
    physical_id=lambda t, answer: str(answer["NamedQueryId"]),
    describe=Call("get_named_query", lambda t: {"NamedQueryId": t.physical_id}),
    not_found=("InvalidRequestException",),
    create=Call(
        "create_named_query",
        lambda t: {"Name": t.props.get("Name") or "query", **_without(t.props, "Name")},
    ),
    update=None,  # every change replaces a named query, as on AWS
    delete=(
        Call(
            "delete_named_query", lambda t: {"NamedQueryId": t.physical_id}, gone=("InvalidRequestException",)
        ),
    ),
    attributes={"NamedQueryId": lambda t, env, d: t.physical_id},
)

# ---- Secrets Manager: CloudFormation's GenerateSecretString, done here as the service would do it. ---

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
    spec = props.get("GenerateSecretString") or {}
    password = generate_password(spec)
    if "SecretStringTemplate" not in spec:
        return password
    document = json.loads(spec["SecretStringTemplate"])
    document[spec["GenerateStringKey"]] = password
    return json.dumps(document)


def _secret_create(t: Target) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Name": t.props["Name"], "SecretString": _secret_string(t.props)}
    kwargs.update(_only(t.props, "Description", "KmsKeyId"))
    if t.props.get("Tags"):
        kwargs["Tags"] = _tag_list(t.props)
    return kwargs


def _secret_update(t: Target) -> dict[str, Any]:
    """A given SecretString replaces the value; a generated one is kept, as CloudFormation keeps it."""
    kwargs: dict[str, Any] = {"SecretId": t.physical_id}
    if "SecretString" in t.props and t.props.get("SecretString") != t.old.get("SecretString"):
        kwargs["SecretString"] = str(t.props["SecretString"])
    kwargs.update(_only(t.props, "Description", "KmsKeyId"))
    return kwargs


_SECRET = ResourceType(
    service="secretsmanager",
    properties=frozenset({"Name", "Description", "KmsKeyId", "SecretString", "GenerateSecretString", "Tags"}),
    naming=Naming("Name", max_length=512),
    physical_id=lambda t, answer: str(answer["ARN"]),
    describe=Call("describe_secret", lambda t: {"SecretId": t.physical_id or t.props["Name"]}),
    not_found=("ResourceNotFoundException",),
    create=Call("create_secret", _secret_create),
    update=Call("update_secret", _secret_update),
    replace_on=("Name",),
    # CloudFormation deletes a stack's secret at once, without a recovery window, so the name can be
    # used again by the next stack.
    delete=(
        Call(
            "delete_secret",
            lambda t: {"SecretId": t.physical_id, "ForceDeleteWithoutRecovery": True},
            gone=("ResourceNotFoundException",),
        ),
    ),
    attributes={"Id": lambda t, env, d: t.physical_id},
)

# ---- CloudWatch Logs, SSM -----------------------------------------------------------------------


_LOG_GROUP = ResourceType(
    service="logs",
    properties=frozenset({"LogGroupName", "RetentionInDays", "KmsKeyId", "Tags", "LogGroupClass"}),
    naming=Naming("LogGroupName", max_length=512),
    create=Call(
        "create_log_group",
        lambda t: {
            "logGroupName": t.physical_id,
            **({"kmsKeyId": t.props["KmsKeyId"]} if "KmsKeyId" in t.props else {}),
            **({"tags": _tag_map(t.props)} if t.props.get("Tags") else {}),
            **({"logGroupClass": t.props["LogGroupClass"]} if "LogGroupClass" in t.props else {}),
        },
    ),
    update=Call(
        "put_retention_policy",
        lambda t: {"logGroupName": t.physical_id, "retentionInDays": int(t.props["RetentionInDays"])},
        when=lambda t: "RetentionInDays" in t.props,
    ),
    replace_on=("LogGroupName", "KmsKeyId", "LogGroupClass"),
    then=(
        Call(
            "put_retention_policy",
            lambda t: {"logGroupName": t.physical_id, "retentionInDays": int(t.props["RetentionInDays"])},
            when=lambda t: "RetentionInDays" in t.props and not t.old,
        ),
        Call(
            "delete_retention_policy",
            lambda t: {"logGroupName": t.physical_id},
            when=_removed("RetentionInDays"),
        ),
    ),
    delete=(
        Call(
            "delete_log_group", lambda t: {"logGroupName": t.physical_id}, gone=("ResourceNotFoundException",)
        ),
    ),
    attributes={"Arn": _arn("logs", "log-group:{id}:*")},
)

_SSM_PARAMETER = ResourceType(
    service="ssm",
    properties=frozenset(
        {"Name", "Type", "Value", "Description", "AllowedPattern", "Tier", "DataType", "Tags"}
    ),
    naming=Naming("Name", max_length=2048),
    describe=Call("get_parameter", lambda t: {"Name": t.physical_id}),
    not_found=("ParameterNotFound",),
    create=Call(
        "put_parameter",
        lambda t: {
            **_without(t.props, "Tags"),
            "Name": t.physical_id,
            **({"Tags": _tag_list(t.props)} if t.props.get("Tags") else {}),
        },
    ),
    update=Call(
        "put_parameter", lambda t: {**_without(t.props, "Tags"), "Name": t.physical_id, "Overwrite": True}
    ),
    replace_on=("Name",),
    delete=(Call("delete_parameter", lambda t: {"Name": t.physical_id}, gone=("ParameterNotFound",)),),
    attributes={
        "Type": lambda t, env, d: d["Parameter"]["Type"],
        "Value": lambda t, env, d: d["Parameter"]["Value"],
    },
)


# ---- Redshift Serverless: made by the endpoint's control plane, whose workgroups the local warehouse
# serves. CloudFormation's PascalCase properties are the API's camelCase members.

_NAMESPACE_FIELDS = {
    "AdminUsername": "adminUsername",
    "AdminUserPassword": "adminUserPassword",
    "DbName": "dbName",
    "DefaultIamRoleArn": "defaultIamRoleArn",
    "IamRoles": "iamRoles",
    "KmsKeyId": "kmsKeyId",
    "LogExports": "logExports",
    "ManageAdminPassword": "manageAdminPassword",
    "AdminPasswordSecretKmsKeyId": "adminPasswordSecretKmsKeyId",
}
# UpdateNamespace takes no database name and no managed-password switch: set once, at creation.
_NAMESPACE_CREATE_ONLY = ("dbName", "manageAdminPassword", "adminPasswordSecretKmsKeyId")
_WORKGROUP_FIELDS = {
    "BaseCapacity": "baseCapacity",
    "MaxCapacity": "maxCapacity",
    "EnhancedVpcRouting": "enhancedVpcRouting",
    "PubliclyAccessible": "publiclyAccessible",
    "SecurityGroupIds": "securityGroupIds",
    "SubnetIds": "subnetIds",
    "Port": "port",
    "PricePerformanceTarget": "pricePerformanceTarget",
}


def _camel(props: Props, fields: Mapping[str, str]) -> dict[str, Any]:
    return {api: props[cfn] for cfn, api in fields.items() if cfn in props}


def _lower_tags(props: Props) -> dict[str, Any]:
    tags = [{"key": t["Key"], "value": t["Value"]} for t in _tag_list(props)]
    return {"tags": tags} if tags else {}


def _namespace_update(t: Target) -> dict[str, Any]:
    fields = {k: v for k, v in _camel(t.props, _NAMESPACE_FIELDS).items() if k not in _NAMESPACE_CREATE_ONLY}
    return {"namespaceName": t.physical_id, **fields}


def _serverless_workgroup(t: Target, creating: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"workgroupName": t.physical_id, **_camel(t.props, _WORKGROUP_FIELDS)}
    if creating:
        kwargs["namespaceName"] = t.props["NamespaceName"]
        kwargs.update(_lower_tags(t.props))
    if t.props.get("ConfigParameters"):
        kwargs["configParameters"] = [
            {"parameterKey": p["ParameterKey"], "parameterValue": p["ParameterValue"]}
            for p in t.props["ConfigParameters"]
        ]
    return kwargs


def _described(kind: str, *path: str) -> Attribute:
    """An attribute read from the Get call's answer (`{"workgroup": {...}}`)."""

    def read(target: Target, env: Env, described: Mapping[str, Any]) -> Any:
        node: Any = described[kind]
        for key in path:
            node = node[key]
        return str(node) if isinstance(node, (int, float, bool)) and not isinstance(node, str) else node

    return read


_SERVERLESS_NAMESPACE = ResourceType(
    service="redshift-serverless",
    properties=frozenset({"NamespaceName", "Tags", *_NAMESPACE_FIELDS}),
    naming=Naming("NamespaceName", max_length=64, lowercase=True),
    describe=Call("get_namespace", lambda t: {"namespaceName": t.physical_id}),
    not_found=("ResourceNotFoundException",),
    create=Call(
        "create_namespace",
        lambda t: {
            "namespaceName": t.physical_id,
            **_camel(t.props, _NAMESPACE_FIELDS),
            **_lower_tags(t.props),
        },
    ),
    update=Call("update_namespace", _namespace_update),
    replace_on=("NamespaceName", "DbName", "ManageAdminPassword"),
    delete=(
        Call(
            "delete_namespace",
            lambda t: {"namespaceName": t.physical_id},
            gone=("ResourceNotFoundException",),
        ),
    ),
    attributes={
        f"Namespace.{name[0].upper()}{name[1:]}": _described("namespace", name)
        for name in (
            "namespaceName",
            "namespaceId",
            "namespaceArn",
            "dbName",
            "adminUsername",
            "defaultIamRoleArn",
            "iamRoles",
            "status",
            "creationDate",
        )
    },
)

_SERVERLESS_WORKGROUP = ResourceType(
    service="redshift-serverless",
    properties=frozenset({"WorkgroupName", "NamespaceName", "ConfigParameters", "Tags", *_WORKGROUP_FIELDS}),
    naming=Naming("WorkgroupName", max_length=64, lowercase=True),
    describe=Call("get_workgroup", lambda t: {"workgroupName": t.physical_id}),
    not_found=("ResourceNotFoundException",),
    create=Call("create_workgroup", lambda t: _serverless_workgroup(t, creating=True)),
    update=Call("update_workgroup", lambda t: _serverless_workgroup(t, creating=False)),
    replace_on=("WorkgroupName", "NamespaceName"),
    delete=(
        Call(
            "delete_workgroup",
            lambda t: {"workgroupName": t.physical_id},
            gone=("ResourceNotFoundException",),
        ),
    ),
    attributes={
        **{
            f"Workgroup.{name[0].upper()}{name[1:]}": _described("workgroup", name)
            for name in (
                "workgroupName",
                "workgroupId",
                "workgroupArn",
                "namespaceName",
                "baseCapacity",
                "enhancedVpcRouting",
                "publiclyAccessible",
                "status",
                "creationDate",
            )
        },
        # The workgroup's endpoint is the local warehouse's address (the Redshift front).
        "Workgroup.Endpoint.Address": _described("workgroup", "endpoint", "address"),
        "Workgroup.Endpoint.Port": _described("workgroup", "endpoint", "port"),
    },
)


RESOURCE_TYPES: dict[str, ResourceType] = {
    "AWS::S3::Bucket": _S3_BUCKET,
    "AWS::S3::BucketPolicy": _S3_BUCKET_POLICY,
    "AWS::IAM::Role": _IAM_ROLE,
    "AWS::IAM::Policy": _IAM_POLICY,
    "AWS::IAM::ManagedPolicy": _IAM_MANAGED_POLICY,
    "AWS::Glue::Database": _GLUE_DATABASE,
    "AWS::Glue::Table": _GLUE_TABLE,
    "AWS::Glue::Crawler": _GLUE_CRAWLER,
    "AWS::Glue::Job": _GLUE_JOB,
    "AWS::Glue::Connection": _GLUE_CONNECTION,
    "AWS::Glue::Classifier": _GLUE_CLASSIFIER,
    "AWS::Glue::DataQualityRuleset": _GLUE_DATA_QUALITY_RULESET,
    "AWS::Athena::WorkGroup": _ATHENA_WORKGROUP,
    "AWS::Athena::NamedQuery": _ATHENA_NAMED_QUERY,
    "AWS::SecretsManager::Secret": _SECRET,
    "AWS::Logs::LogGroup": _LOG_GROUP,
    "AWS::SSM::Parameter": _SSM_PARAMETER,
    "AWS::RedshiftServerless::Namespace": _SERVERLESS_NAMESPACE,
    "AWS::RedshiftServerless::Workgroup": _SERVERLESS_WORKGROUP,
}


# ---- Types with no local counterpart: what stands in for each, and how Ref / GetAtt read there.

# (the resource's unresolved properties, a function resolving any template value) -> a value
StandIn = Callable[[Props, Callable[[Any], Any]], str]


@dataclass(frozen=True)
class NotLocal:
    """A resource type the local stacks serve by other means: never created, always reported."""

    served_by: str  # what the stack's event and the provisioning result say
    ref: StandIn | None = None
    attributes: Mapping[str, StandIn] = field(default_factory=dict)


_NETWORK = "no local counterpart: the local stack's services reach each other on this machine's network"

NOT_LOCAL: dict[str, NotLocal] = {
    "AWS::CDK::Metadata": NotLocal(
        "no local counterpart: the CDK's version report to AWS (usage analytics), nothing to create"
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
    "AWS::RedshiftServerless::Workgroup": {
        "SubnetIds": "the local workgroup is the warehouse on this machine's network: no subnets",
        "SecurityGroupIds": "the local workgroup is the warehouse on this machine's network: no groups",
    },
    "AWS::Glue::Connection": {
        "ConnectionInput.PhysicalConnectionRequirements": (
            "a local Glue job runs on this machine's network: no subnet or security group to attach"
        ),
    },
}
# Template-only properties the APIs do not take (CloudFormation reads them itself, e.g. on delete).
TEMPLATE_ONLY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::Athena::WorkGroup": ("RecursiveDeleteOption",),
    "AWS::Glue::Database": ("DatabaseName",),
}
