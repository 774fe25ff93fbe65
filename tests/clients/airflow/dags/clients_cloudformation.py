"""CloudFormation as the Amazon provider's own system test for it uses it
(providers/amazon/tests/system/amazon/aws/example_cloudformation.py), written here for the local
endpoint with a stack the endpoint can create (a Glue database and an Athena workgroup; the example's
SQS queue is a type the endpoint does not create): create, the create sensor, delete, the delete sensor."""

from __future__ import annotations

import json
import os
from datetime import datetime

from airflow.providers.amazon.aws.operators.cloud_formation import (
    CloudFormationCreateStackOperator,
    CloudFormationDeleteStackOperator,
)
from airflow.providers.amazon.aws.sensors.cloud_formation import (
    CloudFormationCreateStackSensor,
    CloudFormationDeleteStackSensor,
)
from airflow.sdk import DAG, chain
from airflow.utils.trigger_rule import TriggerRule

ENV_ID = os.environ.get("AWSTWIN_SYSTEM_ENV_ID", "local")
TEMPLATE = {
    "Description": "Stack from the clients' CloudFormation DAG",
    "Resources": {
        "Database": {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseInput": {"Name": f"{ENV_ID}_cfn_db"},
            },
        },
        "WorkGroup": {"Type": "AWS::Athena::WorkGroup", "Properties": {"Name": f"{ENV_ID}-cfn-wg"}},
    },
}

with DAG(
    "clients_cloudformation", schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["clients"]
):
    stack = f"{ENV_ID}-stack"
    create = CloudFormationCreateStackOperator(
        task_id="create",
        stack_name=stack,
        cloudformation_parameters={
            "StackName": stack,
            "TemplateBody": json.dumps(TEMPLATE),
            "TimeoutInMinutes": 2,
            "OnFailure": "DELETE",
        },
    )
    created = CloudFormationCreateStackSensor(task_id="created", stack_name=stack, poke_interval=1)
    delete = CloudFormationDeleteStackOperator(
        task_id="delete", stack_name=stack, trigger_rule=TriggerRule.ALL_DONE
    )
    deleted = CloudFormationDeleteStackSensor(task_id="deleted", stack_name=stack, poke_interval=1)
    chain(create, created, delete, deleted)
