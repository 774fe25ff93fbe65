"""Named queries and prepared statements: batches, updates and listing pages, as boto3 calls them."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def test_named_queries_update_and_batch_get(aws):
    athena = aws("athena")
    query_id = athena.create_named_query(Name="n1", Database="default", QueryString="SELECT 1")[
        "NamedQueryId"
    ]
    athena.update_named_query(NamedQueryId=query_id, Name="n2", QueryString="SELECT 2", Description="two")
    got = athena.batch_get_named_query(NamedQueryIds=[query_id, "no-such-id"])
    assert [(q["Name"], q["QueryString"], q["Description"]) for q in got["NamedQueries"]] == [
        ("n2", "SELECT 2", "two")
    ]
    assert [u["NamedQueryId"] for u in got["UnprocessedNamedQueryIds"]] == ["no-such-id"]


def test_prepared_statements_page_update_and_batch_get(aws):
    athena = aws("athena")
    group = f"wg_{uuid.uuid4().hex[:8]}"
    athena.create_work_group(Name=group)
    for name in ("a", "b", "c"):
        athena.create_prepared_statement(StatementName=name, WorkGroup=group, QueryStatement="SELECT ?")
    athena.update_prepared_statement(StatementName="b", WorkGroup=group, QueryStatement="SELECT ? + 1")
    names, kwargs = [], {}
    while True:
        page = athena.list_prepared_statements(WorkGroup=group, MaxResults=2, **kwargs)
        assert len(page["PreparedStatements"]) <= 2
        names += [s["StatementName"] for s in page["PreparedStatements"]]
        if not page.get("NextToken"):
            break
        kwargs = {"NextToken": page["NextToken"]}
    assert sorted(names) == ["a", "b", "c"]
    first = athena.list_prepared_statements(WorkGroup=group, MaxResults=2)
    assert len(first["PreparedStatements"]) == 2 and first["NextToken"]
    got = athena.batch_get_prepared_statement(WorkGroup=group, PreparedStatementNames=["b", "zz"])
    assert [s["QueryStatement"] for s in got["PreparedStatements"]] == ["SELECT ? + 1"]
    assert [u["StatementName"] for u in got["UnprocessedPreparedStatementNames"]] == ["zz"]


def test_a_token_from_another_request_is_refused(aws):
    """Tokens are opaque and only good for the request that issued them (InvalidRequestException)."""
    athena = aws("athena")
    for name in ("tok_a", "tok_b"):
        athena.create_work_group(Name=f"{name}_{uuid.uuid4().hex[:6]}")
    token = athena.list_work_groups(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as caught:
        athena.list_named_queries(NextToken=token)
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    with pytest.raises(ClientError) as caught:
        athena.list_work_groups(NextToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
