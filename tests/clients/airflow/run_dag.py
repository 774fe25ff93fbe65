"""Run one DAG of tests/clients/airflow/dags with Airflow's own `dag.test()` and print each task's state
(`RESULT {...}` as the last line). Run in a process of its own by tests/clients/test_airflow.py.

    python run_dag.py <dags folder> <dag id>
"""

from __future__ import annotations

import json
import sys

from airflow.dag_processing.dagbag import DagBag
from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
from sqlalchemy import select

folder, dag_id = sys.argv[1], sys.argv[2]
bag = DagBag(dag_folder=folder)
if bag.import_errors:
    print("RESULT " + json.dumps({"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}}))
    sys.exit(1)
dag = bag.dags[dag_id]
run = dag.test()
with create_session() as session:
    instances = session.scalars(
        select(TaskInstance).where(TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == run.run_id)
    )
    tasks = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in instances}
    returned = session.scalars(
        select(XComModel).where(
            XComModel.dag_id == dag.dag_id, XComModel.run_id == run.run_id, XComModel.key == "return_value"
        )
    )
    xcoms = {x.task_id: XComModel.deserialize_value(x) for x in returned}
state = str(getattr(run.state, "value", run.state))
print("RESULT " + json.dumps({"state": state, "tasks": tasks, "xcoms": xcoms}, default=str), flush=True)
