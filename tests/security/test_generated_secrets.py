"""No fixed secret: the local stacks' passwords and keys are generated once per checkout, kept private
(0600 in a 0700 folder), reused, and agreed on by every process that needs them; none is written in a
file of the repository."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from awstwin.core import local_secrets
from awstwin.core.paths import PROFILES_DIR, PROJECT_DIR, STATE_DIR
from awstwin.core.profile import load_profile, parse_env_file
from awstwin.warehouse import Warehouse

# Secrets the project once shipped as literals: no tracked file may hold them again.
RETIRED = ("Awstwin-local-1", "awstwin-local-only-jwt-secret", "airflow:airflow@")


def test_made_once_private_and_reused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = local_secrets.load(state)
    assert set(first) == set(local_secrets.RECIPES) and all(first.values())
    path = local_secrets.path_in(state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert local_secrets.load(state) == first
    assert local_secrets.load(tmp_path / "elsewhere") != first
    assert len(set(first.values())) == len(first), "each secret is its own"


def test_an_older_file_keeps_its_values_and_gains_the_new_ones(tmp_path: Path) -> None:
    path = local_secrets.path_in(tmp_path)
    path.write_text("# old\nAWSTWIN_WAREHOUSE_PASSWORD=Kept-from-before-1\n")
    path.chmod(0o600)
    values = local_secrets.load(tmp_path)
    assert values["AWSTWIN_WAREHOUSE_PASSWORD"] == "Kept-from-before-1"
    assert set(values) == set(local_secrets.RECIPES)
    assert local_secrets.parse(path.read_text()) == values


def test_processes_starting_at_once_agree(tmp_path: Path) -> None:
    code = (
        "import json, pathlib, sys\n"
        "from awstwin.core import local_secrets\n"
        "print(json.dumps(local_secrets.load(pathlib.Path(sys.argv[1]))))\n"
    )
    starts = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    seen = [json.loads(process.communicate(timeout=60)[0]) for process in starts]
    assert all(values == seen[0] for values in seen)
    assert local_secrets.load(tmp_path) == seen[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [local_secrets.FILE_NAME]  # no temp left


@pytest.mark.parametrize("_", range(20))
def test_the_shapes_fit_where_they_go(_: int) -> None:
    # Redshift: https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html (8-64 characters,
    # an upper case letter, a lower case letter and a digit; not ' " \ / @ or a space).
    password = local_secrets.warehouse_password()
    assert 8 <= len(password) <= 64
    assert re.search("[A-Z]", password) and re.search("[a-z]", password) and re.search("[0-9]", password)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", password)  # and safe in URLs, JSON and compose files
    key = local_secrets.access_key_id()
    assert re.fullmatch(r"[A-Z2-7]{20}", key) and not key.startswith(("AKIA", "ASIA", "LKIA", "LSIA"))
    assert len(local_secrets.secret_access_key()) == 40


def test_the_local_profiles_leave_their_secrets_to_the_checkout() -> None:
    generated = local_secrets.load(STATE_DIR)
    for name in ("local", "compose"):
        assert parse_env_file(PROFILES_DIR / f"{name}.env")["WAREHOUSE_PASSWORD"] == ""
        assert load_profile(name).warehouse_password == generated["AWSTWIN_WAREHOUSE_PASSWORD"]
    compose = load_profile("compose")
    assert (compose.aws_access_key_id, compose.aws_secret_access_key) == (
        generated["AWSTWIN_ACCESS_KEY_ID"],
        generated["AWSTWIN_SECRET_ACCESS_KEY"],
    )
    assert load_profile("local", {"warehouse_password": "Given-1234"}).warehouse_password == "Given-1234"
    assert load_profile("aws").warehouse_password == "", "AWS: the deployed stack's secret, never ours"


def test_a_warehouse_given_no_password_makes_its_own(tmp_path: Path) -> None:
    cluster = Warehouse(tmp_path / "wh")
    password = cluster.password
    assert password == Warehouse(tmp_path / "wh").password  # kept beside the cluster
    assert password != Warehouse(tmp_path / "other").password
    kept = tmp_path / "wh" / "generated.password"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_no_tracked_file_holds_a_retired_secret() -> None:
    listed = subprocess.run(
        ["git", "-C", str(PROJECT_DIR), "ls-files", "-z"], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.strip()}")
    this_file = Path(__file__).resolve()
    for name in filter(None, listed.stdout.split("\0")):
        path = PROJECT_DIR / name
        if path.resolve() == this_file or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for secret in RETIRED:
            assert secret not in text, f"{name} holds the retired secret {secret!r}"
