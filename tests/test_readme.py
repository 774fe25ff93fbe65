"""The README is the front door: what it claims about commands and supported actions stays true."""

from __future__ import annotations

import re
from pathlib import Path

from awstwin.endpoint import actions

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_supported_actions_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    section = re.search(r"<!-- actions:start -->\n(.*?)\n<!-- actions:end -->", text, re.S)
    assert section, "README lost its actions markers"
    assert section.group(1).strip() == actions.markdown().strip(), (
        "README's actions table is stale: paste the output of `python -m awstwin.endpoint.actions`"
    )


def test_every_make_target_the_readme_names_exists():
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z-]+)", README.read_text(encoding="utf-8")))
    assert {"run", "test"} <= named
    assert named <= targets, f"README names make targets the Makefile lacks: {sorted(named - targets)}"
