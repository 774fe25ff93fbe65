"""Which Spark settings a run may change in its own session, and which need a JVM of their own.

A SparkSession takes its SQL settings from the SparkContext's conf when it is created, so runs sharing
one driver can each have their own `spark.sql.*` values. Everything else (memory, jars, serializer,
`spark.hadoop.*`, static SQL settings) is fixed when the JVM starts: two runs that differ there need
two drivers, so those settings are part of the driver's key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from awstwin.endpoint.glue.jobs.warm.session import PER_RUN_KEYS, is_session_setting


@dataclass(frozen=True)
class DriverKey:
    """What makes two runs able to share a driver: the Glue version and the JVM-level settings."""

    glue_version: str
    jvm_settings: tuple[tuple[str, str], ...]

    @property
    def digest(self) -> str:
        text = json.dumps([self.glue_version, self.jvm_settings])
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def describe(self) -> str:
        return f"Glue {self.glue_version} ({len(self.jvm_settings)} JVM settings, {self.digest})"


def split(conf: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(JVM-level settings, session settings) of a run's Spark conf, per-process ones left out."""
    jvm: dict[str, str] = {}
    session: dict[str, str] = {}
    for key, value in conf.items():
        if key in PER_RUN_KEYS:
            continue
        (session if is_session_setting(key) else jvm)[key] = value
    return jvm, session


def driver_key(glue_version: str | None, conf: dict[str, str]) -> DriverKey:
    jvm, _ = split(conf)
    return DriverKey(glue_version or "default", tuple(sorted(jvm.items())))
