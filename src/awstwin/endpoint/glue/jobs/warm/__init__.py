"""Warm Spark drivers: Glue job runs that skip the JVM's start, the way Glue's warm pools do.

A Spark job's first 7-14 s locally are the JVM starting and the SparkContext initialising, and its
first jobs run on cold code (class loading, no JIT). A warm driver keeps one JVM with its SparkContext
per Glue version and Spark configuration, and every run is still a process of its own:

- `driver.py`   the JVM: `spark-submit pyspark-shell`, PySpark's own gateway server, started by the
                endpoint and ended with it (its stdin is a pipe from the endpoint: the gateway exits
                when it closes, so even a SIGKILLed endpoint takes it along); its log lines go to the
                error stream of the run it serves;
- `pool.py`     which driver a run gets: one per key (Glue version + the Spark settings that only a
                new JVM can change), at most `AWSTWIN_GLUE_WARM_DRIVERS` of them (default 1; 0 turns
                warm drivers off), each ended after `AWSTWIN_GLUE_WARM_IDLE_SECONDS` idle (default
                900); a busy driver means a cold, one-shot run; `AWSTWIN_GLUE_PREWARM=1` starts one
                when a Spark job is created or updated (off by default, and no stack sets it yet:
                a driver warming beside Airflow's start competes with it for a 2-core machine);
- `conf.py`     that key: which settings a run may change in its session and which need their own JVM;
- `session.py`  inside the run's process: PySpark attaches to the driver's SparkContext instead of
                creating one, and each run starts clean (see below);
- `bootstrap.py` the run's entry point: installs `session.py`'s hooks, then runs the script as
                `__main__` with its own `sys.argv`;
- `warmup.py`   what a new driver runs once, so the first real run finds the JVM's code warm.

What each run gets of its own, and why it holds:
- a Python process (so `sys.modules`, `--extra-py-files`, job arguments, stdout/stderr to the run's
  own log streams, `sys.exit`, `os._exit` and any crash are the run's alone, exactly as a cold run);
- a new SparkSession: the previous run's default and active sessions are cleared, so the run's
  session has fresh SQL settings and no temporary views; global temporary views, cached tables and
  persisted RDDs are dropped and leftover Spark jobs cancelled before it starts;
- Spark SQL settings as configured (the driver's, then the job's `--conf spark.sql.*`, then what the
  script sets), reset before the next run; the Hadoop configuration reset to the driver's;
- Python UDF workers of its own (`sc.environment` carries the run id, and Spark keys its Python
  worker daemons by that environment), with the run's `--extra-py-files` on their path;
- a run that is stopped or times out, or a JVM that died, ends that driver; the next run gets a new one.
"""
