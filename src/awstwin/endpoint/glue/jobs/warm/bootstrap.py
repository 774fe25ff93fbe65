"""A run's entry point on a warm driver: `python -u bootstrap.py script.py --JOB_NAME n ...`.

It hooks PySpark (`session.py`, loaded by path under a private name so that no module of the job's can
clash with it), then runs the script as `__main__` exactly as `python script.py args` would: its own
`sys.argv`, its folder first on `sys.path`, and its exit status (`sys.exit`, an exception, `os._exit`)
as the process's. Standard library only until the script runs.
"""

import importlib.util
import runpy
import sys
from pathlib import Path

SESSION_MODULE = "_awstwin_warm_session"


def _load_session():  # noqa: ANN202
    path = Path(__file__).with_name("session.py")
    spec = importlib.util.spec_from_file_location(SESSION_MODULE, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[SESSION_MODULE] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: bootstrap.py script.py [arguments]")
    script = str(Path(sys.argv[1]).resolve())
    _load_session().install()
    sys.argv = [script, *sys.argv[2:]]
    sys.path[0] = str(Path(script).parent)
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
