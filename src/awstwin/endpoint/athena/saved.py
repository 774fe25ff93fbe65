"""Saved SQL: named queries and prepared statements (per workgroup), with their API.

Prepared statements are also what `EXECUTE name USING ...` runs and what `PREPARE name FROM ...`
creates; `bind_parameters` fills `?` placeholders the way Athena does, with the parameter text
inserted as a SQL literal (ExecutionParameters=["'text'", "42"]).
"""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from awstwin.endpoint.athena.exceptions import InvalidRequestException, QueryFailed, ResourceNotFoundException
from awstwin.endpoint.operations import handler


def _placeholders(sql: str) -> list[int]:
    """Offsets of `?` outside string literals, quoted identifiers and comments."""
    found = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == c:
                    if end + 1 < n and sql[end + 1] == c:
                        end += 2
                        continue
                    break
                end += 1
            i = end + 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        else:
            if c == "?":
                found.append(i)
            i += 1
    return found


def has_placeholders(sql: str) -> bool:
    return "?" in sql and bool(_placeholders(sql))


def bind_parameters(sql: str, parameters: list[str]) -> str:
    offsets = _placeholders(sql)
    if len(offsets) != len(parameters):
        raise QueryFailed(
            "INVALID_PARAMETER_USAGE",
            f"line 1:1: Incorrect number of parameters: expected {len(offsets)} but found {len(parameters)}",
            1100,
        )
    out = []
    last = 0
    for offset, value in zip(offsets, parameters, strict=True):
        out.append(sql[last:offset])
        out.append(value)
        last = offset + 1
    out.append(sql[last:])
    return "".join(out)


class SavedApi:
    """Mixed into the backend: `self.named_queries`, `self.prepared`, `self.lock`, `self._save_state()`."""

    named_queries: dict[str, dict[str, Any]]
    prepared: dict[str, dict[str, dict[str, Any]]]

    def _save_state(self) -> None:
        raise NotImplementedError

    def workgroup(self, name: str | None) -> dict[str, Any]:
        raise NotImplementedError

    # -- named queries ---------------------------------------------------------------------------
    @handler("CreateNamedQuery")
    def create_named_query(
        self,
        Name: str,
        Database: str,
        QueryString: str,
        Description: str | None = None,
        ClientRequestToken: str | None = None,
        WorkGroup: str | None = None,
    ) -> dict[str, Any]:
        """Saves a named query in a workgroup (idempotent with ClientRequestToken)."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            for existing in self.named_queries.values():
                if ClientRequestToken and existing.get("_token") == ClientRequestToken:
                    return {"NamedQueryId": existing["NamedQueryId"]}
            query_id = str(uuid.uuid4())
            self.named_queries[query_id] = {
                "NamedQueryId": query_id,
                "Name": Name,
                "Description": Description,
                "Database": Database,
                "QueryString": QueryString,
                "WorkGroup": group,
                "_token": ClientRequestToken,
            }
            self._save_state()
        return {"NamedQueryId": query_id}

    def _named(self, query_id: str) -> dict[str, Any]:
        found = self.named_queries.get(query_id)
        if found is None:
            raise InvalidRequestException(f"NamedQuery {query_id} was not found")
        return {k: v for k, v in found.items() if not k.startswith("_") and v not in ("", None)}

    @handler("GetNamedQuery")
    def get_named_query(self, NamedQueryId: str) -> dict[str, Any]:
        """Returns a saved query."""
        with self.lock:
            return {"NamedQuery": self._named(NamedQueryId)}

    @handler("BatchGetNamedQuery")
    def batch_get_named_query(self, NamedQueryIds: list[str]) -> dict[str, Any]:
        """Returns saved queries by id; unknown ids are listed as unprocessed."""
        found, missing = [], []
        with self.lock:
            for query_id in NamedQueryIds:
                if query_id in self.named_queries:
                    found.append(self._named(query_id))
                else:
                    missing.append(
                        {"NamedQueryId": query_id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": "not found"}
                    )
        return {"NamedQueries": found, "UnprocessedNamedQueryIds": missing}

    @handler("ListNamedQueries", page_size=50)
    def list_named_queries(
        self,
        WorkGroup: str | None = None,
    ) -> dict[str, Any]:
        """Lists the ids of a workgroup's saved queries, paged."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            ids = [q["NamedQueryId"] for q in self.named_queries.values() if q["WorkGroup"] == group]
        return {"NamedQueryIds": ids}

    @handler("UpdateNamedQuery")
    def update_named_query(
        self, NamedQueryId: str, Name: str, QueryString: str, Description: str | None = None
    ) -> dict[str, Any]:
        """Changes a saved query's name, text and description."""
        with self.lock:
            self._named(NamedQueryId)
            self.named_queries[NamedQueryId].update(Name=Name, QueryString=QueryString)
            if Description is not None:
                self.named_queries[NamedQueryId]["Description"] = Description
            self._save_state()
        return {}

    @handler("DeleteNamedQuery")
    def delete_named_query(self, NamedQueryId: str) -> dict[str, Any]:
        """Deletes a saved query."""
        with self.lock:
            self._named(NamedQueryId)
            del self.named_queries[NamedQueryId]
            self._save_state()
        return {}

    # -- prepared statements ---------------------------------------------------------------------
    def prepared_statement(self, workgroup: str, name: str) -> dict[str, Any] | None:
        return self.prepared.get(workgroup, {}).get(name.lower())

    def save_prepared(
        self, workgroup: str, name: str, statement: str, description: str | None = None
    ) -> None:
        self.prepared.setdefault(workgroup, {})[name.lower()] = {
            "StatementName": name.lower(),
            "QueryStatement": statement,
            "WorkGroupName": workgroup,
            "Description": description,
            "LastModifiedTime": time.time(),
        }

    @handler("CreatePreparedStatement")
    def create_prepared_statement(
        self,
        StatementName: str,
        WorkGroup: str,
        QueryStatement: str,
        Description: str | None = None,
    ) -> dict[str, Any]:
        """Saves a prepared statement (`?` parameters) in a workgroup, for EXECUTE ... USING."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            if self.prepared_statement(group, StatementName):
                raise InvalidRequestException(
                    f"Prepared statement {StatementName} already exists in workgroup {group}"
                )
            self.save_prepared(group, StatementName, QueryStatement, Description)
            self._save_state()
        return {}

    def _prepared(self, group: str, name: str) -> dict[str, Any]:
        found = self.prepared_statement(group, name)
        if found is None:
            raise ResourceNotFoundException(f"Prepared statement {name} was not found in workgroup {group}")
        return {k: v for k, v in copy.deepcopy(found).items() if v not in (None, "")}

    @handler("GetPreparedStatement")
    def get_prepared_statement(self, StatementName: str, WorkGroup: str) -> dict[str, Any]:
        """Returns a prepared statement."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            return {"PreparedStatement": self._prepared(group, StatementName)}

    @handler("UpdatePreparedStatement")
    def update_prepared_statement(
        self,
        StatementName: str,
        WorkGroup: str,
        QueryStatement: str,
        Description: str | None = None,
    ) -> dict[str, Any]:
        """Replaces a prepared statement's text and description."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            self._prepared(group, StatementName)
            self.save_prepared(group, StatementName, QueryStatement, Description)
            self._save_state()
        return {}

    @handler("DeletePreparedStatement")
    def delete_prepared_statement(self, StatementName: str, WorkGroup: str) -> dict[str, Any]:
        """Deletes a prepared statement."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            self._prepared(group, StatementName)
            del self.prepared[group][StatementName.lower()]
            self._save_state()
        return {}

    @handler("ListPreparedStatements", page_size=50)
    def list_prepared_statements(self, WorkGroup: str) -> dict[str, Any]:
        """Lists a workgroup's prepared statements, paged."""
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            items = [
                {"StatementName": s["StatementName"], "LastModifiedTime": s["LastModifiedTime"]}
                for s in sorted(self.prepared.get(group, {}).values(), key=lambda s: s["StatementName"])
            ]
        return {"PreparedStatements": items}

    @handler("BatchGetPreparedStatement")
    def batch_get_prepared_statement(
        self, PreparedStatementNames: list[str], WorkGroup: str
    ) -> dict[str, Any]:
        """Returns a workgroup's prepared statements by name; unknown names are listed as unprocessed."""
        found, missing = [], []
        with self.lock:
            group = self.workgroup(WorkGroup)["Name"]
            for name in PreparedStatementNames:
                statement = self.prepared_statement(group, name)
                if statement is None:
                    missing.append(
                        {"StatementName": name, "ErrorCode": "INVALID_INPUT", "ErrorMessage": "not found"}
                    )
                else:
                    found.append({k: v for k, v in copy.deepcopy(statement).items() if v not in (None, "")})
        return {"PreparedStatements": found, "UnprocessedPreparedStatementNames": missing}
