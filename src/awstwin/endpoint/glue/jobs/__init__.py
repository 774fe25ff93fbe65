"""Glue jobs.

- `models.py`       the backend: jobs and run history in one state file, recovery, shutdown
- `definitions.py`  Create/Update/Get/List/BatchGet/DeleteJob (job definitions)
- `runs.py`         StartJobRun, GetJobRun(s), BatchStopJobRun, a run from start to end
- `shared.py`       constants and ids both use
- `bookmarks.py`    job bookmarks (GetJobBookmark, ResetJobBookmark) and what a run starts from
- `exchange.py`     what a finished run left behind: its bookmark commit, published DQ results
- `versions.py`     what each GlueVersion means for a run (Spark, Python, ANSI, logging), as data
- `interpreters.py` which Python runs a job: the one AWS uses when this machine has it
- `execution.py`, `runner.py`, `sparkconf.py`, `logs.py`, `diagnosis.py`: running a script for real
"""
