"""Glue connections (JDBC and others): the Glue job runtime reads them to reach the warehouse."""

from __future__ import annotations

from awstwin.endpoint.glue.catalog.state import CatalogState, Doc, clone, now
from awstwin.endpoint.glue.exceptions import (
    AlreadyExistsException,
    EntityNotFoundException,
    InvalidInputException,
)
from awstwin.endpoint.operations import handler

# What Glue requires of a connection before it will save it, by ConnectionType.
REQUIRED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "JDBC": ("JDBC_CONNECTION_URL",),
    "KAFKA": ("KAFKA_BOOTSTRAP_SERVERS",),
}
SECRET_PROPERTIES = (
    "PASSWORD",
    "ENCRYPTED_PASSWORD",
    "KAFKA_SASL_PLAIN_PASSWORD",
    "KAFKA_SASL_SCRAM_PASSWORD",
)


def _validate(connection_input: Doc) -> None:
    kind = connection_input.get("ConnectionType", "")
    props = connection_input.get("ConnectionProperties") or {}
    missing = [p for p in REQUIRED_PROPERTIES.get(kind, ()) if not props.get(p)]
    if missing:
        raise InvalidInputException(
            f"Connection {connection_input['Name']} of type {kind} needs ConnectionProperties "
            f"{', '.join(missing)}"
        )
    if kind == "JDBC" and not props["JDBC_CONNECTION_URL"].startswith("jdbc:"):
        raise InvalidInputException(
            f"JDBC_CONNECTION_URL of connection {connection_input['Name']} must start with 'jdbc:' "
            f"(got {props['JDBC_CONNECTION_URL']!r})"
        )


class ConnectionApi:
    state: CatalogState

    def _tag(self, arn: str, tags: dict[str, str] | None) -> None:
        raise NotImplementedError

    def _untag_all(self, arn: str) -> None:
        raise NotImplementedError

    def _connection(self, name: str) -> Doc:
        found = self.state.connections.get(name)
        if found is None:
            raise EntityNotFoundException(f"Connection {name} not found.")
        return found

    @staticmethod
    def _out(connection: Doc, hide_password: bool) -> Doc:
        out = clone(connection)
        if hide_password:
            props = out.get("ConnectionProperties") or {}
            for key in SECRET_PROPERTIES:
                props.pop(key, None)
        return out

    @handler("CreateConnection")
    def create_connection(
        self, ConnectionInput: Doc, Tags: dict[str, str] | None = None, CatalogId: str | None = None
    ) -> Doc:
        """Stores a Glue connection (JDBC URL, credentials or a Secrets Manager secret) for job scripts."""
        _validate(ConnectionInput)
        name = ConnectionInput["Name"]
        with self.state.lock:
            if name in self.state.connections:
                raise AlreadyExistsException(f"Connection {name} already exists.")
            stamp = now()
            connection = {k: v for k, v in clone(ConnectionInput).items() if v is not None}
            connection.pop("ValidateCredentials", None)
            connection.pop("ValidateForComputeEnvironments", None)
            connection.update(CreationTime=stamp, LastUpdatedTime=stamp, Status="READY")
            connection.setdefault("ConnectionProperties", {})
            self.state.connections[name] = connection
            self.state.save()
        self._tag(self.state.arn("connection", name), Tags)
        return {"CreateConnectionStatus": "READY"}

    @handler("GetConnection")
    def get_connection(
        self,
        Name: str,
        HidePassword: bool = False,
        CatalogId: str | None = None,
        ApplyOverrideForComputeEnvironment: str | None = None,
    ) -> Doc:
        """Returns a Glue connection, its password hidden on request."""
        with self.state.lock:
            return {"Connection": self._out(self._connection(Name), HidePassword)}

    @handler("GetConnections", page_size=100)
    def get_connections(
        self,
        Filter: Doc | None = None,
        HidePassword: bool = False,
        CatalogId: str | None = None,
    ) -> Doc:
        """Lists Glue connections, filtered by type and match criteria, paged."""
        wanted_type = (Filter or {}).get("ConnectionType")
        criteria = set((Filter or {}).get("MatchCriteria") or [])
        with self.state.lock:
            items = [
                self._out(c, HidePassword)
                for _, c in sorted(self.state.connections.items())
                if (not wanted_type or c.get("ConnectionType") == wanted_type)
                and criteria <= set(c.get("MatchCriteria") or [])
            ]
        return {"ConnectionList": items}

    @handler("UpdateConnection")
    def update_connection(self, Name: str, ConnectionInput: Doc, CatalogId: str | None = None) -> Doc:
        """Replaces a Glue connection's definition."""
        _validate(ConnectionInput)
        with self.state.lock:
            old = self._connection(Name)
            connection = {k: v for k, v in clone(ConnectionInput).items() if v is not None}
            connection.pop("ValidateCredentials", None)
            connection.pop("ValidateForComputeEnvironments", None)
            connection.update(CreationTime=old["CreationTime"], LastUpdatedTime=now(), Status="READY")
            connection.setdefault("ConnectionProperties", {})
            del self.state.connections[Name]
            self.state.connections[connection["Name"]] = connection
            self.state.save()
        return {}

    @handler("DeleteConnection")
    def delete_connection(self, ConnectionName: str, CatalogId: str | None = None) -> Doc:
        """Deletes a Glue connection and its tags."""
        with self.state.lock:
            self._connection(ConnectionName)
            del self.state.connections[ConnectionName]
            self.state.save()
        self._untag_all(self.state.arn("connection", ConnectionName))
        return {}

    @handler("BatchDeleteConnection")
    def batch_delete_connection(self, ConnectionNameList: list[str], CatalogId: str | None = None) -> Doc:
        """Deletes Glue connections by name; missing ones are reported in Errors."""
        succeeded, errors = [], {}
        for name in ConnectionNameList:
            try:
                self.delete_connection(ConnectionName=name)
                succeeded.append(name)
            except EntityNotFoundException as exc:
                errors[name] = {"ErrorCode": exc.code, "ErrorMessage": exc.message}
        return {"Succeeded": succeeded, "Errors": errors}
