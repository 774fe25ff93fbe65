"""Airflow plumbing: a local AIRFLOW_HOME, connections and variables from a profile, DAG runs."""
