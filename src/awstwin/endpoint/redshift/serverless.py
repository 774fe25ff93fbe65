"""Redshift Serverless, the control plane: namespaces, workgroups, and temporary credentials.

A namespace is the database and its admin user; a workgroup is the compute that serves it. Locally
every workgroup's compute is the one warehouse the endpoint was given (`warehouse_endpoint`: the
local stack's Redshift front), so a workgroup's `endpoint` is that address and it is AVAILABLE as
soon as it exists. Provisioning infra/pipeline.yaml creates the stack's namespace and workgroup,
named after the stack as CloudFormation names them. GetCredentials creates (or renews) the database
user of the caller's IAM identity in the warehouse with a password that expires when AWS says.
State (including the admin password CreateNamespace was given) is kept in the state directory.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from awstwin.endpoint.context import EndpointContext
from awstwin.endpoint.errors import AwsError
from awstwin.endpoint.operations import handler
from awstwin.endpoint.persistence import StateFile
from awstwin.endpoint.redshift.caller import caller_arn, db_user_for
from awstwin.endpoint.redshift.warehouse import Warehouse, WarehouseUnreachable

# https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_GetCredentials.html
DEFAULT_DURATION, MIN_DURATION, MAX_DURATION = 900, 900, 3600
NAME = re.compile(r"^[a-z0-9-]{3,64}$")
DEFAULT_BASE_CAPACITY = 128
# What a new workgroup reports (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-workgroup-namespace.html)
DEFAULT_CONFIG = {
    "auto_mv": "true",
    "datestyle": "ISO, MDY",
    "enable_case_sensitive_identifier": "false",
    "enable_user_activity_logging": "true",
    "query_group": "default",
    "search_path": "$user, public",
    "max_query_execution_time": "14400",
    "require_ssl": "false",
}


class ServerlessError(AwsError):
    code = "ValidationException"


def not_found(kind: str, name: str) -> AwsError:
    # The service's own text, as CloudFormation relays it: "Serverless workgroup jobilla not found."
    return AwsError(
        f"Serverless {kind} {name} not found.",
        code="ResourceNotFoundException",
        fields={"resourceName": name},
    )


def conflict(message: str) -> AwsError:
    return AwsError(message, code="ConflictException")


def _check_name(kind: str, name: str) -> None:
    if not NAME.match(name):
        raise ServerlessError(
            f"{kind} name {name!r} must be 3-64 characters of lower-case letters, digits and hyphens"
        )


class ServerlessBackend:
    """Namespaces, workgroups and credentials; the Data API finds its workgroups here."""

    def __init__(self, ctx: EndpointContext, warehouse: Warehouse):
        self.ctx = ctx
        self.warehouse = warehouse
        self.region = ctx.settings.region
        self.account = ctx.settings.account_id
        self._state = StateFile.under(ctx.state_dir, "redshift", "serverless.json")
        saved = self._state.load() or {}
        self.namespaces: dict[str, dict[str, Any]] = saved.get("namespaces", {})
        self.workgroups: dict[str, dict[str, Any]] = saved.get("workgroups", {})
        self._sts_clients: dict[str, Any] = {}

    def _save(self) -> None:
        self._state.save({"namespaces": self.namespaces, "workgroups": self.workgroups})

    # ---- lookups the Data API uses --------------------------------------------------------------

    def workgroup(self, name: str) -> dict[str, Any] | None:
        """A workgroup by name or ARN (None when there is none)."""
        if name.startswith("arn:"):
            return next((w for w in self.workgroups.values() if w["workgroupArn"] == name), None)
        return self.workgroups.get(name)

    def namespace_of(self, workgroup: dict[str, Any]) -> dict[str, Any]:
        return self.namespaces[workgroup["namespaceName"]]

    def admin_of(self, workgroup: dict[str, Any]) -> tuple[str, str]:
        namespace = self.namespace_of(workgroup)
        user, password = namespace.get("adminUsername"), namespace.get("_adminUserPassword")
        if not user or not password:
            raise AwsError(
                f"namespace {namespace['namespaceName']} has no admin user and password the local "
                "endpoint can act as (give adminUsername and adminUserPassword to CreateNamespace)",
                code="InternalServerException",
                status=500,
            )
        return user, password

    def admin_by_name(self, workgroup_name: str) -> tuple[str, str]:
        workgroup = self.workgroups.get(workgroup_name)
        if workgroup is None:
            raise KeyError(f"no workgroup {workgroup_name}")
        return self.admin_of(workgroup)

    def credentials(
        self, workgroup: dict[str, Any], duration: int, needed_seconds: int | None = None
    ) -> dict[str, Any]:
        """Temporary credentials of the caller's IAM identity on `workgroup` (GetCredentials); a
        caller that logs in at once asks for `needed_seconds` of validity left at least."""
        db_user = db_user_for(caller_arn(self._sts))
        now = datetime.now(UTC).replace(microsecond=0)
        expiration = now + timedelta(seconds=duration)
        needed = now + timedelta(seconds=needed_seconds) if needed_seconds is not None else None
        database = self.namespace_of(workgroup)["dbName"]
        try:
            password = self.warehouse.temporary_login(
                self.admin_of(workgroup), database, db_user, expiration, needed
            )
        except WarehouseUnreachable as exc:
            raise AwsError(str(exc), code="InternalServerException", status=500) from exc
        return {"dbUser": db_user, "dbPassword": password, "expiration": expiration}

    def _sts(self, access_key: str) -> Any:
        """The endpoint's STS as the caller (signed with the caller's access key); one per key."""
        client = self._sts_clients.get(access_key)
        if client is None:
            client = boto3.client(
                "sts",
                endpoint_url=self.ctx.settings.url,
                region_name=self.region,
                aws_access_key_id=access_key,
                aws_secret_access_key="awstwin-signature-not-checked",
            )
            self._sts_clients[access_key] = client
        return client

    # ---- wire shapes -------------------------------------------------------------------------------

    def _arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:redshift-serverless:{self.region}:{self.account}:{kind}/{resource_id}"

    def _workgroup_view(self, workgroup: dict[str, Any]) -> dict[str, Any]:
        view = {k: copy.deepcopy(v) for k, v in workgroup.items() if not k.startswith("_")}
        address = self.warehouse.address
        view["port"] = address.port
        view["endpoint"] = {"address": address.host, "port": address.port, "vpcEndpoints": []}
        return view

    @staticmethod
    def _namespace_view(namespace: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in namespace.items() if not k.startswith("_")}

    # ---- namespaces --------------------------------------------------------------------------------

    @handler("CreateNamespace", whole_request=True)
    def create_namespace(self, namespaceName: str, **request: Any) -> dict[str, Any]:  # noqa: N803
        """Records the database and its admin user (the warehouse's user the endpoint acts as)."""
        _check_name("namespace", namespaceName)
        if namespaceName in self.namespaces:
            raise conflict(f"Namespace {namespaceName} already exists.")
        namespace_id = str(uuid.uuid4())
        namespace: dict[str, Any] = {
            "namespaceName": namespaceName,
            "namespaceId": namespace_id,
            "namespaceArn": self._arn("namespace", namespace_id),
            "dbName": request.get("dbName") or "dev",
            "kmsKeyId": request.get("kmsKeyId") or "AWS_OWNED_KMS_KEY",
            "logExports": list(request.get("logExports") or []),
            "status": "AVAILABLE",
            "creationDate": time.time(),
            "_tags": list(request.get("tags") or []),
        }
        self._apply_namespace(namespace, request)
        self.namespaces[namespaceName] = namespace
        self._save()
        return {"namespace": self._namespace_view(namespace)}

    def _apply_namespace(self, namespace: dict[str, Any], request: dict[str, Any]) -> None:
        if "adminUsername" in request or "adminUserPassword" in request:
            if not request.get("adminUsername") or not request.get("adminUserPassword"):
                raise ServerlessError("adminUsername and adminUserPassword must be given together")
            namespace["adminUsername"] = request["adminUsername"]
            namespace["_adminUserPassword"] = request["adminUserPassword"]
        if "iamRoles" in request:
            # AWS reports each role as this text, not as a structure.
            namespace["iamRoles"] = [
                f"IamRole(applyStatus=in-sync, iamRoleArn={arn})" for arn in request["iamRoles"]
            ]
        for key in ("defaultIamRoleArn", "kmsKeyId", "logExports"):
            if key in request:
                namespace[key] = copy.deepcopy(request[key])

    @handler("GetNamespace")
    def get_namespace(self, namespaceName: str) -> dict[str, Any]:  # noqa: N803
        """Returns a namespace: its database, admin user name and IAM roles."""
        namespace = self.namespaces.get(namespaceName)
        if namespace is None:
            raise not_found("namespace", namespaceName)
        return {"namespace": self._namespace_view(namespace)}

    @handler("ListNamespaces", page_size=100)
    def list_namespaces(self) -> dict[str, Any]:
        """Lists the namespaces, oldest first, paged by `maxResults`."""
        ordered = sorted(self.namespaces.values(), key=lambda n: n["creationDate"])
        return {"namespaces": [self._namespace_view(n) for n in ordered]}

    @handler("UpdateNamespace", whole_request=True)
    def update_namespace(self, namespaceName: str, **request: Any) -> dict[str, Any]:  # noqa: N803
        """Changes the admin user, IAM roles, default role, key or log exports."""
        namespace = self.namespaces.get(namespaceName)
        if namespace is None:
            raise not_found("namespace", namespaceName)
        self._apply_namespace(namespace, request)
        self._save()
        return {"namespace": self._namespace_view(namespace)}

    @handler("DeleteNamespace")
    def delete_namespace(
        self,
        namespaceName: str,  # noqa: N803
        finalSnapshotName: str | None = None,  # noqa: N803
        finalSnapshotRetentionPeriod: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Forgets a namespace that no workgroup uses (the warehouse's data stays)."""
        namespace = self.namespaces.get(namespaceName)
        if namespace is None:
            raise not_found("namespace", namespaceName)
        users = [w["workgroupName"] for w in self.workgroups.values() if w["namespaceName"] == namespaceName]
        if users:
            raise conflict(f"There is a workgroup {users[0]} associated with the namespace {namespaceName}.")
        del self.namespaces[namespaceName]
        self._save()
        return {"namespace": {**self._namespace_view(namespace), "status": "DELETING"}}

    # ---- workgroups --------------------------------------------------------------------------------

    @handler("CreateWorkgroup", whole_request=True)
    def create_workgroup(self, workgroupName: str, namespaceName: str, **request: Any) -> dict[str, Any]:  # noqa: N803
        """Creates a workgroup of a namespace, served by the endpoint's warehouse (AVAILABLE at once)."""
        _check_name("workgroup", workgroupName)
        if workgroupName in self.workgroups:
            raise conflict(f"Workgroup {workgroupName} already exists.")
        if namespaceName not in self.namespaces:
            raise not_found("namespace", namespaceName)
        taken = [w for w in self.workgroups.values() if w["namespaceName"] == namespaceName]
        if taken:
            raise conflict(
                f"Namespace {namespaceName} is already associated with workgroup {taken[0]['workgroupName']}."
            )
        workgroup_id = str(uuid.uuid4())
        config = dict(DEFAULT_CONFIG)
        workgroup: dict[str, Any] = {
            "workgroupName": workgroupName,
            "workgroupId": workgroup_id,
            "workgroupArn": self._arn("workgroup", workgroup_id),
            "namespaceName": namespaceName,
            "baseCapacity": DEFAULT_BASE_CAPACITY,
            "enhancedVpcRouting": False,
            "publiclyAccessible": False,
            "securityGroupIds": [],
            "subnetIds": [],
            "status": "AVAILABLE",
            "creationDate": time.time(),
            "workgroupVersion": "1.0",
            "patchVersion": "1.0",
            "ipAddressType": "ipv4",
            "_config": config,
            "_tags": list(request.get("tags") or []),
        }
        self._apply_workgroup(workgroup, request)
        self.workgroups[workgroupName] = workgroup
        self._save()
        return {"workgroup": self._workgroup_view(workgroup)}

    def _apply_workgroup(self, workgroup: dict[str, Any], request: dict[str, Any]) -> None:
        for key in (
            "baseCapacity",
            "maxCapacity",
            "enhancedVpcRouting",
            "publiclyAccessible",
            "securityGroupIds",
            "subnetIds",
            "ipAddressType",
            "pricePerformanceTarget",
            "trackName",
        ):
            if key in request:
                workgroup[key] = copy.deepcopy(request[key])
        for parameter in request.get("configParameters") or []:
            workgroup["_config"][parameter["parameterKey"]] = parameter["parameterValue"]
        workgroup["configParameters"] = [
            {"parameterKey": k, "parameterValue": v} for k, v in sorted(workgroup["_config"].items())
        ]

    @handler("GetWorkgroup")
    def get_workgroup(self, workgroupName: str) -> dict[str, Any]:  # noqa: N803
        """Returns a workgroup; its endpoint is the local warehouse's address and port."""
        workgroup = self.workgroups.get(workgroupName)
        if workgroup is None:
            raise not_found("workgroup", workgroupName)
        return {"workgroup": self._workgroup_view(workgroup)}

    @handler("ListWorkgroups", page_size=100)
    def list_workgroups(self, ownerAccount: str | None = None) -> dict[str, Any]:  # noqa: N803
        """Lists the workgroups, oldest first, paged by `maxResults`."""
        ordered = sorted(self.workgroups.values(), key=lambda w: w["creationDate"])
        if ownerAccount and ownerAccount != self.account:
            ordered = []
        return {"workgroups": [self._workgroup_view(w) for w in ordered]}

    @handler("UpdateWorkgroup", whole_request=True)
    def update_workgroup(self, workgroupName: str, **request: Any) -> dict[str, Any]:  # noqa: N803
        """Changes capacity, access and config parameters (the endpoint stays the warehouse's)."""
        workgroup = self.workgroups.get(workgroupName)
        if workgroup is None:
            raise not_found("workgroup", workgroupName)
        self._apply_workgroup(workgroup, request)
        self._save()
        return {"workgroup": self._workgroup_view(workgroup)}

    @handler("DeleteWorkgroup")
    def delete_workgroup(self, workgroupName: str) -> dict[str, Any]:  # noqa: N803
        """Forgets a workgroup (its namespace and the warehouse's data stay)."""
        workgroup = self.workgroups.pop(workgroupName, None)
        if workgroup is None:
            raise not_found("workgroup", workgroupName)
        self._save()
        return {"workgroup": {**self._workgroup_view(workgroup), "status": "DELETING"}}

    # ---- credentials -------------------------------------------------------------------------------

    @handler("GetCredentials")
    def get_credentials(
        self,
        workgroupName: str | None = None,  # noqa: N803
        dbName: str | None = None,  # noqa: N803
        durationSeconds: int | None = None,  # noqa: N803
        customDomainName: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Creates or renews the caller's database user (IAM:name, IAMR:role) with a password valid
        for `durationSeconds` (900-3600, default 900) on the workgroup's warehouse."""
        if customDomainName and not workgroupName:
            raise ServerlessError(
                "Custom domain names are not served by the local endpoint; give workgroupName"
            )
        if not workgroupName:
            raise ServerlessError(
                "The custom domain name or the workgroup name must be included in the request."
            )
        duration = DEFAULT_DURATION if durationSeconds is None else durationSeconds
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise ServerlessError(
                f"durationSeconds must be between {MIN_DURATION} and {MAX_DURATION} seconds, not {duration}"
            )
        workgroup = self.workgroups.get(workgroupName)
        if workgroup is None:
            raise not_found("workgroup", workgroupName)
        found = self.credentials(workgroup, duration)
        return {**found, "nextRefreshTime": found["expiration"]}
