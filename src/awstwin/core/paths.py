"""Where the project's folders are: the one place that knows the checkout's layout."""

from __future__ import annotations

import os
from pathlib import Path

# src/awstwin/core/paths.py -> the checkout root; AWSTWIN_PROJECT_DIR overrides it (an installed wheel).
PROJECT_DIR = Path(os.environ.get("AWSTWIN_PROJECT_DIR") or Path(__file__).resolve().parents[3])

DAGS_DIR = PROJECT_DIR / "dags"
SPARK_JOBS_DIR = PROJECT_DIR / "spark_jobs"
PROFILES_DIR = PROJECT_DIR / "profiles"
INFRA_DIR = PROJECT_DIR / "infra"
POSTGRES_INIT_DIR = PROJECT_DIR / "postgres_init"
TEMPLATE = INFRA_DIR / "pipeline.yaml"

# Files a Glue job gets through --extra-py-files that do not live in spark_jobs/, by the name they
# have in S3: the dataset's rules are the package's own module, shipped as is (stdlib only).
JOB_LIBRARIES = {"student_performance_schema.py": Path(__file__).resolve().parents[1] / "data" / "schema.py"}

STATE_DIR = PROJECT_DIR / ".state"
ARTIFACTS_DIR = PROJECT_DIR / "artifacts"
REPORT_PATH = ARTIFACTS_DIR / "run_report.json"
