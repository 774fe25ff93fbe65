"""LocalStack on the host for tests: installed once per checkout (.venv-localstack/, a few seconds with
uv's cache, about 2.5 minutes with pip), skipped with the reason only when no Python 3.13 exists here
or when the package registry does not answer during the one-time install."""

from __future__ import annotations

import pytest

from awstwin.stack.localstack_host.install import Installation, InstallError, ensure_installed
from awstwin.stack.localstack_host.toolchain import NoSuitablePython


def installed_or_skip() -> Installation:
    try:
        return ensure_installed(echo=print)
    except NoSuitablePython as exc:
        pytest.skip(f"LocalStack 4.14.0 needs Python 3.13: {exc}")
    except InstallError as exc:
        if exc.registry_unreachable:
            pytest.skip(f"LocalStack is not installed and the package registry did not answer: {exc}")
        raise
