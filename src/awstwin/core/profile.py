"""Profiles: the one config loader for the pipeline (`profiles/<name>.env`, plain KEY=VALUE lines).

A profile names where AWS is (the local endpoint or AWS itself), what the pipeline's resources are
called, and where the warehouse listens. Everything that differs between the local stack and AWS is a
line in a profile: the DAG, the Glue script and the CloudFormation template never change.
(`awstwin.core.config` holds the endpoint's own settings; this module holds the pipeline's.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from awstwin.core import local_secrets
from awstwin.core.config import GLUE_SPARK_MASTER_ENV
from awstwin.core.paths import PROFILES_DIR, STATE_DIR

# The dataset's fixed places inside the bucket (the same in every profile).
DATASET = "student_performance"
RAW_PREFIX = f"raw/{DATASET}/"
CURATED_PREFIX = f"curated/{DATASET}/"  # typed Parquet, one folder per ingest date
QUARANTINE_PREFIX = f"quarantine/{DATASET}/"  # rejected rows, their reasons and original values
REPORTS_PREFIX = "reports/"  # reports/<ingest_date>/: run_report.json, dashboard.html
# Each run writes its own folder in every zone, <zone>/student_performance/ingest_date=<d>/run=<id>/;
# the crawlers catalog those folders in the runs tables (keys ingest_date and run), and a run that
# succeeds points the published tables' partition for its date at its folders (awstwin.pipeline.
# publication). The upload has one name whatever the user's file is called: a name starting with `_`
# or `.` would hide it from Spark, Athena and the crawlers.
RAW_FILE_NAME = "student_performance.csv"
RUNS_TABLE_PREFIX = "runs_"
SCRIPT_KEY = "scripts/student_performance_etl.py"
# The Glue job's --extra-py-files: the dataset's rules, shipped as one stdlib-only module (see
# awstwin.core.paths.JOB_LIBRARIES for the file uploaded there).
SCHEMA_MODULE_KEY = "scripts/lib/student_performance_schema.py"
TEMP_PREFIX = "temp/"
ATHENA_RESULTS_PREFIX = "athena-results/"


def run_prefix(zone_prefix: str, ingest_date: str, run: str) -> str:
    """One run's folder in a zone: <zone>/student_performance/ingest_date=<d>/run=<id>/."""
    return f"{zone_prefix}ingest_date={ingest_date}/run={run}/"


class ProfileError(ValueError):
    """A profile file is missing, malformed, or lacks a key."""


@dataclass(frozen=True)
class Profile:
    """One profile's values, typed. Field names are the file's keys in lower case."""

    name: str
    aws_region: str
    aws_endpoint_url: str  # empty: real AWS
    aws_access_key_id: str
    aws_secret_access_key: str
    stack_name: str
    bucket: str
    glue_database: str
    glue_role: str
    raw_crawler: str
    raw_table_prefix: str
    glue_job: str
    glue_connection: str
    athena_workgroup: str
    warehouse_table: str
    warehouse_host: str
    warehouse_port: int
    warehouse_db: str
    warehouse_user: str
    warehouse_password: str
    warehouse_jdbc_scheme: str
    poll_seconds: float  # may be a fraction: 0.5 locally, where a check takes a tenth of that
    task_retries: int
    # Optional keys (defaults in OPTIONAL_DEFAULTS): the zones' crawlers and tables, the warehouse's
    # quarantine table.
    curated_crawler: str = ""
    quarantine_crawler: str = ""
    curated_table_prefix: str = ""
    quarantine_table_prefix: str = ""
    warehouse_quarantine_table: str = ""
    # The Spark master of an existing cluster the local endpoint runs Glue Spark jobs on (`spark://...`,
    # `k8s://...`); empty: `local[*]` in the run's process. AWS runs them on Glue workers (aws.env: empty).
    glue_spark_master: str = ""
    # Not a key of the file: set by a stack whose AWS services answer on several endpoints (the
    # `localstack` stack, as compose: Glue, Athena and Secrets Manager apart from LocalStack).
    # (boto3 service name, endpoint URL) pairs; every other service is AWS_ENDPOINT_URL.
    service_endpoints: tuple[tuple[str, str], ...] = ()

    @property
    def is_local(self) -> bool:
        return bool(self.aws_endpoint_url)

    def endpoint_environment(self) -> dict[str, str]:
        """What the profile sets in the local endpoint's environment (a stack starts it with this)."""
        return {GLUE_SPARK_MASTER_ENV: self.glue_spark_master} if self.glue_spark_master else {}

    def endpoint_for(self, service: str) -> str:
        """The endpoint URL of a boto3 service: its own when the stack gives it one, else AWS_ENDPOINT_URL."""
        return dict(self.service_endpoints).get(service, self.aws_endpoint_url)

    @property
    def raw_table(self) -> str:
        """The crawler names a table after the folder it finds the data in, plus its prefix."""
        return f"{self.raw_table_prefix}{DATASET}"

    @property
    def raw_location(self) -> str:
        return f"s3://{self.bucket}/{RAW_PREFIX}"

    def raw_key(self, ingest_date: str, run: str) -> str:
        """The run's upload: raw/student_performance/ingest_date=<d>/run=<id>/student_performance.csv."""
        return f"{run_prefix(RAW_PREFIX, ingest_date, run)}{RAW_FILE_NAME}"

    @property
    def curated_table(self) -> str:
        return f"{self.curated_table_prefix}{DATASET}"

    @property
    def curated_ruleset(self) -> str:
        """The Glue Data Quality ruleset on the curated rows (rulesets are per account, not per
        database: named after the database so two stacks on one endpoint or account never share one)."""
        return f"{self.glue_database}_{self.curated_table}"

    @property
    def quarantine_table(self) -> str:
        return f"{self.quarantine_table_prefix}{DATASET}"

    @property
    def zones(self) -> tuple[tuple[str, str], ...]:
        """(prefix in the bucket, published table) of the raw, curated and quarantine zones."""
        return (
            (RAW_PREFIX, self.raw_table),
            (CURATED_PREFIX, self.curated_table),
            (QUARANTINE_PREFIX, self.quarantine_table),
        )

    @staticmethod
    def runs_table(table: str) -> str:
        """The crawled table of every kept run of a zone (`runs_` + the published table's name)."""
        return f"{RUNS_TABLE_PREFIX}{table}"

    def zone_location(self, prefix: str) -> str:
        """s3://<bucket>/<zone>/student_performance/ for one of the *_PREFIX constants."""
        return f"s3://{self.bucket}/{prefix}"

    def report_key(self, ingest_date: str, file_name: str) -> str:
        return f"{REPORTS_PREFIX}{ingest_date}/{file_name}"

    @property
    def script_location(self) -> str:
        return f"s3://{self.bucket}/{SCRIPT_KEY}"

    @property
    def temp_dir(self) -> str:
        return f"s3://{self.bucket}/{TEMP_PREFIX}"

    @property
    def athena_output(self) -> str:
        return f"s3://{self.bucket}/{ATHENA_RESULTS_PREFIX}"

    @property
    def warehouse_jdbc_url(self) -> str:
        return f"jdbc:{self.warehouse_jdbc_scheme}://{self.warehouse_host}:{self.warehouse_port}/{self.warehouse_db}"

    def replace(self, **changes: object) -> Profile:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


_FIELDS = {f.name: f for f in dataclasses.fields(Profile) if f.name not in ("name", "service_endpoints")}
# Keys a profile may leave out, with the value it then gets.
OPTIONAL_DEFAULTS: dict[str, str] = {
    "aws_endpoint_url": "",
    "aws_access_key_id": "",
    "aws_secret_access_key": "",
    "curated_crawler": f"{DATASET}_curated",
    "quarantine_crawler": f"{DATASET}_quarantine",
    "curated_table_prefix": "curated_",
    "quarantine_table_prefix": "quarantine_",
    "warehouse_quarantine_table": "public.student_performance_quarantine",
    "glue_spark_master": "",
}
_OPTIONAL = set(OPTIONAL_DEFAULTS)
# A local profile leaves its secrets empty: they are generated for the checkout (awstwin.core.local_secrets).
# (The aws profile leaves them empty too: there they come from the deployed stack and the AWS chain.)
GENERATED_SECRETS = {
    "warehouse_password": "AWSTWIN_WAREHOUSE_PASSWORD",
    "aws_access_key_id": "AWSTWIN_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWSTWIN_SECRET_ACCESS_KEY",
}


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; `#` comments and blank lines ignored; no expansion, surrounding quotes dropped."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.partition("=")
        if not sep or not key.strip().replace("_", "").isalnum():
            raise ProfileError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def profile_path(name: str) -> Path:
    return PROFILES_DIR / f"{name}.env"


def load_profile(name: str = "local", overrides: dict[str, object] | None = None) -> Profile:
    """Read `profiles/<name>.env` into a `Profile`; `overrides` (field -> value) win over the file."""
    path = profile_path(name)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.env"))) or "none"
        raise ProfileError(f"no profile {name!r}: {path} does not exist (profiles here: {known})")
    raw = {key.lower(): value for key, value in parse_env_file(path).items()}
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise ProfileError(f"{path}: unknown keys {', '.join(k.upper() for k in unknown)}")
    raw.update({key: str(value) for key, value in (overrides or {}).items()})
    missing = sorted(k for k in _FIELDS if k not in raw and k not in _OPTIONAL)
    if missing:
        raise ProfileError(f"{path}: missing keys {', '.join(k.upper() for k in missing)}")
    values: dict[str, object] = {"name": name}
    for key, field in _FIELDS.items():
        text = raw.get(key, OPTIONAL_DEFAULTS.get(key, ""))
        if field.type in ("int", int):
            try:
                values[key] = int(text)
            except ValueError:
                raise ProfileError(f"{path}: {key.upper()} must be a whole number, got {text!r}") from None
        elif field.type in ("float", float):
            try:
                values[key] = float(text)
            except ValueError:
                raise ProfileError(f"{path}: {key.upper()} must be a number, got {text!r}") from None
        else:
            values[key] = text
    if values["aws_endpoint_url"] and any(not values[key] for key in GENERATED_SECRETS):
        generated = local_secrets.load(STATE_DIR)
        for key, name in GENERATED_SECRETS.items():
            values[key] = values[key] or generated[name]
    return Profile(**values)  # type: ignore[arg-type]
