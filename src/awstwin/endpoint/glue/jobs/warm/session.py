"""Inside a run's process on a warm driver: attach to the driver's SparkContext and start the run clean.

`install()` changes two things of PySpark, in this process only:
- `SparkContext._initialize_context` (where PySpark creates the JVM's SparkContext) returns the
  driver's running one when there is one, after `begin_run` has cleaned up whatever the previous run
  left in the JVM; on a new driver it creates it, as PySpark would;
- `SparkContext.stop` detaches this process instead of stopping the shared SparkContext (a script's
  `spark.stop()` at its end must not cost the next run its warm JVM).
The run's settings come in `AWSTWIN_WARM_RUN` (JSON: run id, the session's SQL settings, the
Python path for UDF workers). This file is loaded by path (`bootstrap.py`), imports only the standard
library and PySpark, and is never imported into the endpoint except for `is_session_setting`.
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from typing import Any

RUN_ENV = "AWSTWIN_WARM_RUN"
RUN_ID_ENV = "AWSTWIN_GLUE_RUN_ID"  # in sc.environment: Spark keys Python worker daemons by it
HADOOP_BASELINE = "awstwin.warm.hadoopBaseline"  # a JVM system property: the driver's Hadoop conf
BASE_LOG_LEVEL = "ERROR"  # what sparkconf.QUIET_LOG4J2 sets
# The runner's own settings for each run: its name and scratch folders (its spark-defaults.conf) differ
# from the driver's by design, and a driver's JVM options are read once, when it starts (as on Glue,
# whose driver JVM runs before the script does). They say nothing about what a run wants from the JVM:
# neither part of a driver's key (conf.py) nor settings a script asked for (script_settings).
PER_RUN_KEYS = (
    "spark.app.name",
    "spark.local.dir",
    "spark.sql.warehouse.dir",
    "spark.driver.extraJavaOptions",
)
# Keys (or prefixes) a script's own SparkConf may hold that say nothing about what it wants of the JVM.
IGNORED_SCRIPT_KEYS = (*PER_RUN_KEYS, "spark.master", "spark.executorEnv.", "spark.submit.", "spark.app.")


# SQL settings Spark reads once per JVM (SQLConf's StaticSQLConf); a run cannot change them.
STATIC_SQL = (
    "spark.sql.warehouse.dir",
    "spark.sql.catalogImplementation",
    "spark.sql.extensions",
    "spark.sql.globalTempDatabase",
    "spark.sql.queryExecutionListeners",
    "spark.sql.streaming.streamingQueryListeners",
    "spark.sql.cache.serializer",
    "spark.sql.hive.",
    "spark.sql.ui.",
    "spark.sql.event.",
    "spark.sql.sources.schemaStringLengthThreshold",
    "spark.sql.legacy.sessionInitWithConfigDefaults",
)


def is_session_setting(key: str) -> bool:
    """True for a setting a run's SparkSession can take on a shared JVM (a new session copies the
    SparkContext's `spark.sql.*` settings when it is created)."""
    return key.startswith("spark.sql.") and not key.startswith(STATIC_SQL)


def run_settings() -> dict[str, Any]:
    return json.loads(os.environ.get(RUN_ENV) or "{}")


def _warn(message: str) -> None:
    print(f"WARN GlueRunner: {message}", file=sys.stderr, flush=True)


def active_context(jvm: Any) -> Any | None:
    """The JVM's running SparkContext, or None (SparkContext.getActive is private to Spark's package
    in Scala, public on its companion object in bytecode)."""
    companion = getattr(getattr(jvm.org.apache.spark, "SparkContext$"), "MODULE$")
    found = companion.getActive()
    return found.get() if found.isDefined() else None


def _properties(xml_text: str) -> dict[str, str]:
    root = ET.fromstring(xml_text)
    found: dict[str, str] = {}
    for prop in root.iter("property"):
        name, value = prop.findtext("name"), prop.findtext("value")
        if name is not None:
            found[name] = value or ""
    return found


def _hadoop_xml(jvm: Any, hadoop_conf: Any) -> str:
    writer = jvm.java.io.StringWriter()
    hadoop_conf.writeXml(writer)
    return writer.toString()


def remember_hadoop_baseline(jvm: Any, jsc: Any) -> None:
    """Keep the driver's Hadoop configuration as it is before any run changed it (once per JVM)."""
    system = jvm.java.lang.System
    if system.getProperty(HADOOP_BASELINE) is None:
        system.setProperty(HADOOP_BASELINE, _hadoop_xml(jvm, jsc.hadoopConfiguration()))


def reset_hadoop(jvm: Any, jsc: Any) -> int:
    """Put the Hadoop configuration back as the driver had it; returns how many keys changed."""
    baseline_xml = jvm.java.lang.System.getProperty(HADOOP_BASELINE)
    if baseline_xml is None:
        return 0
    live = jsc.hadoopConfiguration()
    baseline, now = _properties(baseline_xml), _properties(_hadoop_xml(jvm, live))
    changed = 0
    for key in now.keys() - baseline.keys():
        live.unset(key)
        changed += 1
    for key, value in baseline.items():
        if now.get(key) != value:
            live.set(key, value)
            changed += 1
    return changed


def reset_sessions(jvm: Any, jsc: Any) -> None:
    """Cancel leftover jobs; drop cached data, global temporary views and persisted RDDs; clear the
    default and active sessions so that this run's first session is a new one."""
    jsc.sc().cancelAllJobs()
    sessions = jvm.SparkSession  # org.apache.spark.sql.classic.SparkSession (PySpark imports it)
    default = sessions.getDefaultSession()
    if default.isDefined():
        shared = default.get().sharedState()
        shared.cacheManager().clearCache()
        shared.globalTempViewManager().clear()
    persisted = jsc.getPersistentRDDs()
    for rdd_id in list(persisted.keySet()):
        persisted.get(rdd_id).unpersist()
    sessions.clearDefaultSession()
    sessions.clearActiveSession()


def apply_session_settings(live_conf: Any, wanted: dict[str, str]) -> None:
    """Make the SparkContext's `spark.sql.*` settings exactly `wanted` (a new session copies them)."""
    current = {entry._1(): entry._2() for entry in live_conf.getAll()}
    for key in current:
        if is_session_setting(key) and key not in wanted:
            live_conf.remove(key)
    for key, value in wanted.items():
        if current.get(key) != value:
            live_conf.set(key, value)


def script_settings(jconf: Any, live_conf: Any) -> tuple[dict[str, str], dict[str, str]]:
    """What the script's own SparkConf sets differently from the driver: (session settings, others)."""
    live = {entry._1(): entry._2() for entry in live_conf.getAll()}
    session: dict[str, str] = {}
    others: dict[str, str] = {}
    for entry in jconf.getAll():
        key, value = entry._1(), entry._2()
        if key.startswith(IGNORED_SCRIPT_KEYS) or live.get(key) == value:
            continue
        (session if is_session_setting(key) else others)[key] = value
    return session, others


def begin_run(sc: Any, jsc: Any, jconf: Any, settings: dict[str, Any], created: bool) -> None:
    """Everything a run starts with on a warm driver (see the package's docstring)."""
    jvm = sc._jvm
    live_conf = jsc.sc().conf()
    if created:
        remember_hadoop_baseline(jvm, jsc)
    else:
        reset_sessions(jvm, jsc)
        reset_hadoop(jvm, jsc)
        jsc.setLogLevel(BASE_LOG_LEVEL)
    session, others = script_settings(jconf, live_conf)
    if others:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(others.items()))
        _warn(
            f"the warm Spark driver keeps its JVM settings; the script's {shown} take effect only in a "
            "new JVM: pass them in the job's --conf argument (a driver with them is started), or set "
            "AWSTWIN_GLUE_WARM_DRIVERS=0"
        )
    apply_session_settings(live_conf, {**settings.get("session_conf", {}), **session})


def install(settings: dict[str, Any] | None = None) -> None:
    """Hook PySpark in this process (see the module's docstring)."""
    from pyspark import SparkContext

    settings = run_settings() if settings is None else settings
    create_context = SparkContext._initialize_context
    stop_context = SparkContext.stop

    def initialize_context(self: Any, jconf: Any) -> Any:
        self.environment[RUN_ID_ENV] = settings.get("run_id", "")
        if settings.get("python_path"):
            self.environment["PYTHONPATH"] = settings["python_path"]
        running = active_context(self._jvm)
        jsc = create_context(self, jconf) if running is None else self._jvm.JavaSparkContext(running)
        begin_run(self, jsc, jconf, settings, created=running is None)
        return jsc

    def detach(self: Any) -> None:
        """`sc.stop()` on a warm driver: this process lets go; the JVM's SparkContext stays."""
        self._jsc = None  # stop_context() then skips the JVM's stop and only ends this side
        stop_context(self)

    SparkContext._initialize_context = initialize_context
    SparkContext.stop = detach
