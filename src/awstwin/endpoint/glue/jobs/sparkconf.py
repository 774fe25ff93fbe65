"""How a local Glue job's Spark is configured: one set of settings for job runs and for tests.

A Glue script creates its own `SparkContext()` before our runtime is involved, so the job runner hands
these settings to Spark the way Spark reads them itself: a properties file (`spark-submit
--properties-file`, through PYSPARK_SUBMIT_ARGS) and a quiet `log4j2.properties` named in the driver's
Java options. (Not a SPARK_CONF_DIR: spark-submit puts that folder on the driver's class path, which
then differs for every run, and Java maps the Spark class archive only for the class path it was
made with: classdata.py.) Plain Spark I/O on `s3://`, `s3a://` and `s3n://` paths
works unchanged in both of the endpoint's S3 modes, through small Hadoop FileSystems compiled once
from `glue_runtime/java/`:
- S3 objects are plain files (the endpoint serves S3): the schemes map onto that tree
  (S3TreeFileSystem; any bucket), or, with no `javac`, Hadoop's ViewFileSystemOverloadScheme (buckets
  present at start);
- S3 is elsewhere (LocalStack, another S3 server): S3RestFileSystem speaks the S3 REST API to it,
  unless hadoop-aws is on Spark's classpath (the compose image), whose S3A is then used as configured.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import awstwin
from awstwin.endpoint.glue.jobs import classdata

log = logging.getLogger(__name__)

GLUE_RUNTIME_DIR = Path(awstwin.__file__).resolve().parent / "glue_runtime"
JAVA_SOURCES = GLUE_RUNTIME_DIR / "java"
S3_TREE_FILESYSTEM = "awstwin.hadoop.S3TreeFileSystem"
S3_REST_FILESYSTEM = "awstwin.hadoop.S3RestFileSystem"
S3_SCHEMES = ("s3", "s3a", "s3n")

# What every local Glue Spark session runs with, and why:
SPARK_DEFAULTS: dict[str, str] = {
    "spark.master": "local[*]",
    "spark.ui.enabled": "false",  # no port to clash with, nothing to serve
    "spark.ui.showConsoleProgress": "false",  # progress bars would flood the job's logs
    "spark.sql.ansi.enabled": "false",  # Glue 5 is Spark 3.5: a bad cast is null, not an error
    "spark.sql.session.timeZone": "UTC",  # Glue runs in UTC
    "spark.sql.shuffle.partitions": "4",  # 200 tiny tasks cost seconds on a laptop
    "spark.default.parallelism": "4",
    "spark.sql.files.maxPartitionBytes": "32m",  # a 100 MB CSV is read by every core, not one
    "spark.driver.memory": "2g",
    # The driver's RPC and block-manager ports serve this machine only (Spark binds the host's
    # address otherwise, reachable from the network).
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    # Files Spark writes (zone Parquet, `_SUCCESS`, staging) are private like PutObject's: Hadoop's
    # local file systems set modes from this umask, not from the process's.
    "spark.hadoop.fs.permissions.umask-mode": "077",
    # S3 has no `_SUCCESS` objects after a Glue write, and local files need no `.crc` companions.
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    "spark.hadoop.fs.file.impl.disable.cache": "true",
    "spark.pyspark.python": sys.executable,
    "spark.pyspark.driver.python": sys.executable,
}

# Extra options for the JVM of every local Glue Spark driver, space-separated. Nothing by default.
# `-XX:TieredStopAtLevel=1` (the test suite's setting) compiles with C1 only: a job of a few thousand
# rows then costs about half the JVM's CPU (C2 compiling thousands of Spark methods it runs a few times),
# a job of a million rows about 1.4 times more (hot loops stay unoptimised).
JAVA_OPTIONS_ENV = "AWSTWIN_SPARK_JAVA_OPTIONS"

QUIET_LOG4J2 = """\
# Local Glue jobs: Spark and Hadoop speak only when something is wrong; the script's output stays
# readable. PySpark resets the root level to the level of Spark's own loggers (and says so on
# stderr) unless the two match, so `org.apache.spark` is configured explicitly at the root's level.
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.spark.name = org.apache.spark
logger.spark.level = error
"""

_compile_lock = threading.Lock()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "awstwin"


def hadoop_client_jar() -> Path | None:
    import pyspark

    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar"))
    return jars[-1] if jars else None


def _sources() -> list[Path]:
    return sorted(JAVA_SOURCES.rglob("*.java"))


def hadoop_aws_jar() -> Path | None:
    """hadoop-aws in pyspark's own jars (the compose image adds it), else None (pyspark ships none)."""
    import pyspark

    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("hadoop-aws-*.jar"))
    return jars[-1] if jars else None


def filesystems_jar() -> Path | None:
    """The compiled S3 FileSystems (files and REST), built on first use into a cache keyed by their source.

    Returns None (and logs why) when it cannot be built: no `javac`, no Hadoop jar, a compile error.
    """
    sources = _sources()
    javac = shutil.which("javac")
    hadoop = hadoop_client_jar()
    if not sources or javac is None or hadoop is None:
        log.info("S3 FileSystem for Spark not built (javac=%s, hadoop jar=%s)", javac, hadoop)
        return None
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.read_bytes())
    digest.update(hadoop.name.encode())
    target = cache_dir() / f"awstwin-s3fs-{digest.hexdigest()[:16]}.jar"
    with _compile_lock:
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="awstwin-javac-") as tmp:
            classes = Path(tmp) / "classes"
            command = [javac, "--release", "17", "-nowarn", "-cp", str(hadoop), "-d", str(classes)]
            result = subprocess.run(command + [str(p) for p in sources], capture_output=True, text=True)
            if result.returncode != 0:
                log.warning("javac failed building %s: %s", target.name, result.stderr.strip()[-2000:])
                return None
            # Staged beside the target and renamed: another process (a parallel test worker, a
            # second endpoint) never loads a half-written jar.
            staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            with zipfile.ZipFile(staging, "w") as jar:
                for path in sorted(classes.rglob("*.class")):
                    jar.write(path, path.relative_to(classes).as_posix())
            os.replace(staging, target)
    return target


def s3_tree_conf(s3_root: Path) -> dict[str, str]:
    """Spark settings that make s3:// paths the plain files under `s3_root`."""
    jar = filesystems_jar()
    if jar is not None:
        conf = {"spark.jars": str(jar), "spark.hadoop.fs.s3tree.root": str(s3_root)}
        for scheme in S3_SCHEMES:
            conf[f"spark.hadoop.fs.{scheme}.impl"] = S3_TREE_FILESYSTEM
            conf[f"spark.hadoop.fs.{scheme}.impl.disable.cache"] = "true"
        return conf
    return viewfs_conf(s3_root)


def viewfs_conf(s3_root: Path) -> dict[str, str]:
    """The no-compiler route: stock Hadoop, one mount per bucket that exists now."""
    conf: dict[str, str] = {}
    for scheme in S3_SCHEMES:
        conf[f"spark.hadoop.fs.{scheme}.impl"] = "org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme"
        conf[f"spark.hadoop.fs.{scheme}.impl.disable.cache"] = "true"
    buckets = sorted(p.name for p in s3_root.iterdir() if p.is_dir()) if s3_root.is_dir() else []
    for bucket in buckets:
        conf[f"spark.hadoop.fs.viewfs.mounttable.{bucket}.linkFallback"] = (s3_root / bucket).as_uri()
    return conf


def s3_rest_conf(s3_url: str) -> dict[str, str]:
    """Spark settings that make s3:// paths objects of the S3 server at `s3_url`, over its REST API
    (credentials and region from the job's standard AWS environment); {} when that cannot be built."""
    jar = filesystems_jar()
    if jar is None:
        log.warning("no s3:// for Spark in this job: the S3 FileSystem could not be built (see above)")
        return {}
    conf = {"spark.jars": str(jar), "spark.hadoop.fs.s3rest.endpoint": s3_url}
    for scheme in S3_SCHEMES:
        conf[f"spark.hadoop.fs.{scheme}.impl"] = S3_REST_FILESYSTEM
    return conf


def session_conf(
    s3_root: Path | None = None, scratch: Path | None = None, s3_url: str | None = None
) -> dict[str, str]:
    """Every Spark setting of a local Glue session; `scratch` holds Spark's temporary files. S3 is the
    files under `s3_root` when given, else the S3 server at `s3_url` (see the module's docstring)."""
    conf = dict(SPARK_DEFAULTS)
    if scratch is not None:
        conf["spark.local.dir"] = str(scratch / "spark-local")
        conf["spark.sql.warehouse.dir"] = (scratch / "spark-warehouse").as_uri()
        (scratch / "java-tmp").mkdir(parents=True, exist_ok=True)
    java_options = driver_java_options(scratch)
    if java_options:
        conf["spark.driver.extraJavaOptions"] = java_options
    if s3_root is not None:
        conf.update(s3_tree_conf(s3_root))
    elif s3_url and hadoop_aws_jar() is None:
        conf.update(s3_rest_conf(s3_url))
    return conf


def driver_java_options(scratch: Path | None) -> str:
    """The driver JVM's options: its temporary folder inside `scratch`, the Spark class archive when
    there is one (classdata.py), then $AWSTWIN_SPARK_JAVA_OPTIONS."""
    options = [f"-Djava.io.tmpdir={scratch / 'java-tmp'}"] if scratch is not None else []
    options += classdata.java_options()
    options += os.environ.get(JAVA_OPTIONS_ENV, "").split()
    return " ".join(options)


def write_properties(target: Path, conf: dict[str, str]) -> Path:
    """`target/spark-defaults.conf` holding `conf`, with quiet logging (`target/log4j2.properties`,
    named in the driver's Java options); the properties file, for spark-submit's --properties-file
    (classdata.submit_args: a SPARK_CONF_DIR would go on the driver's class path)."""
    target.mkdir(parents=True, exist_ok=True)
    logging_conf = target / "log4j2.properties"
    logging_conf.write_text(QUIET_LOG4J2, encoding="utf-8")
    conf = dict(conf)
    logging_option = f"-Dlog4j2.configurationFile={logging_conf.as_uri()}"
    conf["spark.driver.extraJavaOptions"] = (
        f"{logging_option} {conf.get('spark.driver.extraJavaOptions', '')}".strip()
    )
    lines = [f"{key} {value}" for key, value in sorted(conf.items())]
    properties = target / "spark-defaults.conf"
    properties.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return properties
