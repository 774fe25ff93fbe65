"""`make run`: the stage list (stages.py) walked by the runner (runner.py) with one target per stack
(targets/), the input (dataset.py), the upload, what a run left behind (outcome.py, counts.py) and
its report (report.py)."""
