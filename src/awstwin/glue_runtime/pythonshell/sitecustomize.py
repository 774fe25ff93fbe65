"""Python shell jobs have no Spark on AWS: `import pyspark` fails there, and so it fails here.

The local job runner puts this folder first on a Python shell job's PYTHONPATH (and only there);
Python imports `sitecustomize` at start-up, which installs a finder that refuses PySpark and Py4J
with the error a Python without them raises. AWS's Python shell environment lists its libraries in
https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html (boto3, pandas, numpy, ...; no pyspark).
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder

ABSENT = ("pyspark", "py4j")


class _NotInPythonShell(MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ANN201
        if fullname.split(".", 1)[0] in ABSENT:
            error = ModuleNotFoundError(f"No module named '{fullname}'")
            error.name = fullname
            raise error
        return None


sys.meta_path.insert(0, _NotInPythonShell())
